// The HTTP baseline: a bare Hono app on @hono/node-server answering the same paths with canned
// JSON (the job view the service returned, byte for byte; a fixed 202 for the intake).
// usage: node bench/baselines/bare-hono.ts <port> <job-view.json>
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const [port, viewFile] = process.argv.slice(2) as [string, string];
const view = JSON.parse(readFileSync(viewFile, 'utf8')) as Record<string, unknown>;
const accepted = {
  jobId: 'x',
  tenantId: 'bench',
  namespace: 'tenant-bench',
  state: 'queued',
  links: { job: '/api/jobs/x', events: '/api/jobs/x/events', status: '/api/provisioning/bench/status' },
};

const app = new Hono();
app.get('/healthz', (c) => c.text('ok'));
app.get('/api/jobs/:jobId', (c) => c.json(view));
app.post('/api/provisioning/provision', async (c) => {
  await c.req.json();
  return c.json(accepted, 202);
});
serve({ fetch: app.fetch, port: Number(port), hostname: '127.0.0.1' });
