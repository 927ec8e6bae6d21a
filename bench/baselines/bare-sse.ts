// The SSE fan-out baseline: plain node:http, one Redis subscription on the same job-events channel
// the service uses, frames built once per event and written to every subscriber of the job, one
// shared timer for heartbeats (each connection's every 15 s, spread over the period so they never
// all land at once). No authentication, validation, history replay or resumption.
// usage: node bench/baselines/bare-sse.ts <port> <redisUrl> <channel>
import { createServer, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';

const [port, redisUrl, channel] = process.argv.slice(2) as [string, string, string];
const subscribers = new Map<string, Set<ServerResponse>>();
const HEARTBEAT_SLOTS = 15;
const slots = Array.from({ length: HEARTBEAT_SLOTS }, () => new Set<ServerResponse>());
let count = 0;
let opened = 0;

const subscriber = new Redis(redisUrl);
subscriber.on('message', (_channel: string, message: string) => {
  const event = JSON.parse(message) as { jobId: string; id: string; type: string; data: unknown };
  const set = subscribers.get(event.jobId);
  if (!set) return;
  const frame = `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
  for (const res of set) res.write(frame);
});
await subscriber.subscribe(channel);

let tick = 0;
setInterval(() => {
  for (const res of slots[tick++ % HEARTBEAT_SLOTS]!) res.write(': heartbeat\n\n');
}, 1_000);

const server = createServer((req, res) => {
  const m = /^\/api\/jobs\/([^/]+)\/events$/.exec(req.url ?? '');
  if (req.url === '/stats') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ subscribers: count }));
    return;
  }
  if (req.url === '/healthz') {
    res.writeHead(200).end('ok');
    return;
  }
  if (!m) {
    res.writeHead(404).end();
    return;
  }
  const jobId = decodeURIComponent(m[1]!);
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.flushHeaders();
  let set = subscribers.get(jobId);
  if (!set) subscribers.set(jobId, (set = new Set()));
  set.add(res);
  const slot = slots[opened++ % HEARTBEAT_SLOTS]!;
  slot.add(res);
  count += 1;
  req.on('close', () => {
    set.delete(res);
    slot.delete(res);
    if (set.size === 0) subscribers.delete(jobId);
    count -= 1;
  });
});
server.listen(Number(port), '127.0.0.1');
