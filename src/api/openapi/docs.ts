import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { BEARER_SCHEME } from './security.ts';

export const OPENAPI_PATH = '/openapi.json';

// Swagger UI from the swagger-ui-dist package, served by this process: the page works without
// internet access and runs no third party's script with an operator's session. The version is in
// the asset path, so a browser may keep an asset for as long as it likes.
const require = createRequire(import.meta.url);
const SWAGGER_UI = require('swagger-ui-dist/package.json') as { version: string };
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS_PATH = `/docs/assets/${SWAGGER_UI.version}`;
const ASSETS = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
} as const;

// Same-origin scripts only (no inline script: the initialiser is a file of ours too). Swagger UI's
// React components set style attributes and its icons are data: URIs, hence those two allowances.
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io.
const INITIALISER = `const root = document.getElementById('swagger-ui');
window.ui = SwaggerUIBundle({ url: root.dataset.url, domNode: root, deepLinking: true, validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout' });
`;

const page = (title: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-url="${OPENAPI_PATH}"></div>
<script src="${ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="${ASSETS_PATH}/docs.js"></script>
</body>
</html>
`;

const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
const IMMUTABLE = { ...SECURITY_HEADERS, 'Cache-Control': 'public, max-age=31536000, immutable' };

/**
 * Serves the OpenAPI 3.1 document generated from the routes' zod schemas (the same ones that
 * validate requests) and an API reference page for it. Call after every router is mounted.
 */
export function mountApiDocs(app: OpenAPIHono<AppEnv>, version: string): void {
  app.openAPIRegistry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A JWT whose roles claim includes the required role (superadmin by default)',
  });
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: {
      title: 'tenant-provisioner',
      version,
      description: 'Provisions, tracks and removes isolated per-customer stacks on Kubernetes. Errors are RFC 9457 problem+json.',
    },
  });
  const html = page('tenant-provisioner API');
  app.get('/docs', (c) => c.html(html, 200, { ...SECURITY_HEADERS, 'Content-Security-Policy': DOCS_CSP, 'Cache-Control': 'no-cache' }));
  app.get(`${ASSETS_PATH}/docs.js`, (c) => c.body(INITIALISER, 200, { ...IMMUTABLE, 'Content-Type': 'text/javascript; charset=utf-8' }));
  // Read on first request, then kept: most processes (workers, tests) never serve the page.
  const loaded = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  for (const [name, type] of Object.entries(ASSETS)) {
    app.get(`${ASSETS_PATH}/${name}`, async (c) => {
      let body = loaded.get(name);
      if (!body)
        loaded.set(
          name,
          (body = readFile(join(SWAGGER_UI_DIR, name)).then(
            (b) => new Uint8Array(b),
            (error: unknown) => {
              loaded.delete(name); // a failed read is retried by the next request
              throw error;
            },
          )),
        );
      return c.body(await body, 200, { ...IMMUTABLE, 'Content-Type': type });
    });
  }
}
