import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiFence } from '../../../src/helm/api-fence.ts';

// The fence's gate on real loopback sockets, with a TCP echo server standing in for the API server:
// what the fence forwards comes back, what it refuses never does. (The fence in front of the real
// API server, with real Helm, is fenced-helm-thaw.test.ts.)
let echo: Server;
let echoPort = 0;
const received: Buffer[] = [];
const echoSockets = new Set<Socket>();

beforeAll(async () => {
  echo = createServer((socket) => {
    echoSockets.add(socket);
    socket.on('close', () => echoSockets.delete(socket));
    socket.on('data', (chunk) => {
      received.push(chunk);
      socket.write(chunk);
    });
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  echoPort = (echo.address() as { port: number }).port;
});

afterAll(async () => {
  for (const socket of echoSockets) socket.destroy();
  await new Promise((resolve) => echo.close(resolve));
});

/** A client of the fence that collects what comes back and whether the fence closed it. */
async function client(port: number) {
  const socket = connect({ host: '127.0.0.1', port });
  const answers: string[] = [];
  socket.on('data', (chunk: Buffer) => answers.push(chunk.toString()));
  socket.on('error', () => undefined);
  // Not events.once: it rejects on the 'error' a reset emits before 'close'.
  const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
  await once(socket, 'connect');
  return { socket, answers, closed, isClosed: () => Promise.race([closed, sleep(1_000).then(() => false)]) };
}

async function answered(answers: string[], text: string) {
  for (let i = 0; i < 100 && !answers.join('').includes(text); i++) await sleep(10);
  return answers.join('');
}

describe('the API fence', () => {
  it('forwards both ways while the lease is valid, and records the window', async () => {
    const fence = await openApiFence({ target: { host: '127.0.0.1', port: echoPort }, heldNow: () => true, lost: new AbortController().signal });
    const c = await client(fence.port);
    const before = Date.now();
    c.socket.write('hello');
    expect(await answered(c.answers, 'hello')).toBe('hello');
    c.socket.write(' again');
    expect(await answered(c.answers, 'again')).toBe('hello again');
    const record = await fence.close();
    expect(record).toMatchObject({ connections: 1, chunks: 2, refusedChunks: 0, refusedConnections: 0 });
    expect(record.forwardedFrom).toBeGreaterThanOrEqual(before);
    expect(record.forwardedUntil).toBeGreaterThanOrEqual(record.forwardedFrom!);
    expect(await c.isClosed()).toBe(true);
  });

  it('refuses a chunk that arrives once validity ended and closes the connection, without forwarding it', async () => {
    let valid = true;
    const fence = await openApiFence({ target: { host: '127.0.0.1', port: echoPort }, heldNow: () => valid, lost: new AbortController().signal });
    const c = await client(fence.port);
    c.socket.write('in time');
    await answered(c.answers, 'in time');
    const forwardedUntil = fence.record().forwardedUntil;
    valid = false;
    c.socket.write('too late');
    expect(await c.isClosed()).toBe(true);
    expect(received.join('')).not.toContain('too late');
    const record = await fence.close();
    expect(record).toMatchObject({ chunks: 1, refusedChunks: 1, forwardedUntil });
  });

  it('once the lease is lost: closes open connections at once and refuses new ones', async () => {
    const lost = new AbortController();
    const fence = await openApiFence({ target: { host: '127.0.0.1', port: echoPort }, heldNow: () => !lost.signal.aborted, lost: lost.signal });
    const c = await client(fence.port);
    c.socket.write('ping');
    await answered(c.answers, 'ping');
    lost.abort();
    // Closed by the fence, not by anything the client sent.
    expect(await c.isClosed()).toBe(true);
    const late = await client(fence.port);
    late.socket.write('after the loss');
    expect(await late.isClosed()).toBe(true);
    expect(late.answers).toEqual([]);
    expect(received.join('')).not.toContain('after the loss');
    expect(await fence.close()).toMatchObject({ connections: 1, chunks: 1, refusedConnections: 1 });
  });

  it('resets the connection when the server is away, as Helm would see a refused dial', async () => {
    const fence = await openApiFence({ target: { host: '127.0.0.1', port: 1 }, heldNow: () => true, lost: new AbortController().signal });
    const c = await client(fence.port);
    const error = once(c.socket, 'error').then(([e]) => (e as NodeJS.ErrnoException).code);
    expect(await Promise.race([error, sleep(2_000).then(() => 'no error')])).toBe('ECONNRESET');
    expect(await fence.close()).toMatchObject({ connections: 1, chunks: 0, forwardedFrom: undefined });
  });
});
