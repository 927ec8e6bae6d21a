import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Logger } from '../../observability/logger.ts';

// Static: it is served for any host and path, so it names no tenant and echoes nothing of the request.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>This account is closed</title>
<style>
  body { font-family: system-ui, sans-serif; color: #1f2933; background: #f5f7fa; margin: 0; display: grid; place-items: center; min-height: 100vh; }
  main { max-width: 32rem; padding: 2rem; text-align: center; }
  h1 { font-size: 1.5rem; margin: 0 0 1rem; }
  p { line-height: 1.5; margin: 0; }
</style>
</head>
<body>
<main>
<h1>This account is closed</h1>
<p>The shop that used this address has closed its account. If it is yours, contact support: a closed account can be reopened, with its data, for a while after it closed.</p>
</main>
</body>
</html>
`;

/**
 * "This account is closed" for every request: what a closed account's hosts are routed to
 * (platform.closedPage). 410 Gone, never cached (an undelete brings the shop back at once), and no
 * other route: it listens on a port of its own, apart from the API's.
 */
export function createClosedPageApp(): Hono {
  const app = new Hono();
  app.all('*', (c) => c.html(PAGE, 410, { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }));
  return app;
}

/** Serves the page on `port` (server.closedPagePort); resolves the closer for the releasers. */
export function startClosedPage(o: { host: string; port: number; logger: Logger }): () => Promise<void> {
  const server = serve({ fetch: createClosedPageApp().fetch, port: o.port, hostname: o.host }, (info) =>
    o.logger.info({ url: `http://${o.host}:${info.port}` }, 'closed page listening'),
  );
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
