import type { OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import type { AppEnv } from '../app-env.ts';
import { BEARER_SCHEME } from './security.ts';

export const OPENAPI_PATH = '/openapi.json';

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
  app.get('/docs', Scalar({ url: OPENAPI_PATH, pageTitle: 'tenant-provisioner API' }));
}
