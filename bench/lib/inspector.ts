// Talks to a child process's inspector (started with --inspect=127.0.0.1:<port>) to force a full
// garbage collection and read its memory, so retained memory can be told from garbage not yet collected.
import { now } from './env.ts';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

export async function inspectorSession(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`inspector on ${port} refused`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, Pending>();
  socket.addEventListener('message', (message) => {
    const reply = JSON.parse(String(message.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = reply.id === undefined ? undefined : pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id!);
    if (reply.error) waiter.reject(new Error(reply.error.message));
    else waiter.resolve(reply.result);
  });
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    /** A full GC, then the process's memoryUsage(); also how long the collection took. */
    async collectAndMeasure(): Promise<{ rss: number; heapUsed: number; gcMs: number }> {
      const started = now();
      await call('HeapProfiler.collectGarbage');
      const gcMs = now() - started;
      const result = (await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })) as {
        result: { value: string };
      };
      const usage = JSON.parse(result.result.value) as { rss: number; heapUsed: number };
      return { rss: usage.rss, heapUsed: usage.heapUsed, gcMs };
    },
    close: () => socket.close(),
  };
}
