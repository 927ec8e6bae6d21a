import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';

/** What a fence let through and what it refused; times are epoch ms. */
export type FenceRecord = {
  /** When the first and the last Helm→API-server chunk were forwarded; undefined if none was. */
  forwardedFrom: number | undefined;
  forwardedUntil: number | undefined;
  chunks: number;
  connections: number;
  refusedChunks: number;
  refusedConnections: number;
};

export type ApiFence = {
  /** The loopback port Helm is pointed at (`--kube-apiserver`). */
  readonly port: number;
  record(): FenceRecord;
  /** Stops listening and destroys every connection; resolves the final record. Idempotent. */
  close(): Promise<FenceRecord>;
};

export type ApiFenceOptions = {
  /** The real API server (host without brackets, port). */
  target: { host: string; port: number };
  /** Synchronous: may a byte reach the API server now? Asked for every connection and every chunk. */
  heldNow: () => boolean;
  /** Aborts when the lease is lost: every connection is destroyed at once. */
  lost: AbortSignal;
};

/**
 * A TCP relay between one job's Helm children and the API server, gated by the job's lease. A
 * lease cannot stop a process that acts after a pause (SIGSTOP of a whole process group, an event
 * loop blocked past the TTL): the child resumes before the worker's deadline timer can kill it.
 * What it sends next has to pass through here, and each chunk is checked against the clock when
 * the worker's loop reads it, so a chunk read after validity ended is never forwarded, however
 * late the loop runs. Only Helm→server bytes are gated: the server's answers change nothing. TLS
 * passes through untouched (the relay never sees a key or a token).
 */
export async function openApiFence(options: ApiFenceOptions): Promise<ApiFence> {
  const { target, heldNow, lost } = options;
  const record: FenceRecord = { forwardedFrom: undefined, forwardedUntil: undefined, chunks: 0, connections: 0, refusedChunks: 0, refusedConnections: 0 };
  const open = new Set<Socket>();
  let closed = false;
  const destroyAll = () => {
    for (const socket of open) socket.destroy();
    open.clear();
  };
  lost.addEventListener('abort', destroyAll, { once: true });

  const server = createServer({ pauseOnConnect: true }, (helm) => {
    if (closed || !heldNow()) {
      record.refusedConnections += 1;
      helm.destroy();
      return;
    }
    record.connections += 1;
    const upstream = connect({ host: target.host, port: target.port });
    open.add(helm).add(upstream);
    const end = () => {
      open.delete(helm);
      open.delete(upstream);
    };
    helm.once('close', () => (upstream.destroy(), end()));
    // The API server away (a restart): a reset, so Helm reports the cluster unreachable as it
    // would have without the relay, and the job waits for it rather than spending an attempt.
    upstream.on('error', () => helm.resetAndDestroy());
    upstream.once('close', () => (helm.destroy(), end()));
    helm.on('error', () => upstream.destroy());
    helm.once('end', () => upstream.end());
    upstream.pipe(helm);
    // Nothing is read from Helm before the server's connection is up: a chunk is forwarded in the
    // tick that checked it, never queued behind a connect that completes after validity ended.
    upstream.once('connect', () => helm.resume());
    helm.on('data', (chunk: Buffer) => {
      if (!heldNow()) {
        record.refusedChunks += 1;
        helm.destroy();
        upstream.destroy();
        return;
      }
      const now = Date.now();
      record.forwardedFrom ??= now;
      record.forwardedUntil = now;
      record.chunks += 1;
      if (!upstream.write(chunk)) {
        helm.pause();
        upstream.once('drain', () => helm.resume());
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the API fence has no TCP port');

  let closing: Promise<FenceRecord> | undefined;
  return {
    port: address.port,
    record: () => ({ ...record }),
    close() {
      closing ??= (async () => {
        closed = true;
        lost.removeEventListener('abort', destroyAll);
        destroyAll();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        return { ...record };
      })();
      return closing;
    },
  };
}
