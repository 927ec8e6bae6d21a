// A child process holding many SSE subscriptions (node:http, keep-alive agent), driven over IPC by
// bench/benchmarks/sse.ts. It stamps each `bench:<sentAt>` progress event on arrival and reports
// latencies. The parent ends it with SIGKILL: every connection drops at once, without a goodbye.
import { Agent, request } from 'node:http';

type Command = { cmd: 'connect'; baseUrl: string; token: string; paths: string[]; count: number; perSecond: number } | { cmd: 'stats' };

const now = () => performance.timeOrigin + performance.now();
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
let latencies: number[] = [];
let received = 0;
let open = 0;
let errors = 0;
let statusErrors = 0;
const MARK = '"message":"bench:';

function subscribe(baseUrl: string, token: string, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${baseUrl}${path}`, { agent, headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        statusErrors += 1;
        res.resume();
        resolve(false);
        return;
      }
      open += 1;
      resolve(true);
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const at = now();
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const i = frame.indexOf(MARK);
          if (i < 0) continue;
          const start = i + MARK.length;
          const sentAt = Number(frame.slice(start, frame.indexOf('"', start)));
          latencies.push(at - sentAt);
          received += 1;
        }
      });
      res.on('close', () => (open -= 1));
      res.on('error', () => undefined);
    });
    req.on('error', () => {
      errors += 1;
      resolve(false);
    });
    req.end();
  });
}

async function connect(c: Extract<Command, { cmd: 'connect' }>): Promise<number> {
  const batch = Math.max(1, Math.round(c.perSecond / 20));
  let ok = 0;
  for (let i = 0; i < c.count; i += batch) {
    const started = Date.now();
    const n = Math.min(batch, c.count - i);
    const results = await Promise.all(Array.from({ length: n }, (_, k) => subscribe(c.baseUrl, c.token, c.paths[(i + k) % c.paths.length]!)));
    ok += results.filter(Boolean).length;
    const wait = 50 - (Date.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return ok;
}

process.on('message', (message: Command) => {
  if (message.cmd === 'connect') {
    void connect(message).then((ok) => process.send!({ type: 'connected', ok, open, errors, statusErrors }));
  } else if (message.cmd === 'stats') {
    process.send!({ type: 'stats', latencies, received, open, errors, statusErrors });
    latencies = [];
    received = 0;
  }
});
process.send!({ type: 'ready' });
