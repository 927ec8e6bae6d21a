import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { RouteHandler } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import { RolloutNotFoundError } from '../../domain/errors.ts';
import { isFinished, type Rollout } from '../../domain/rollout.ts';
import type { RolloutStore } from '../../kubernetes/rollout-store.ts';
import { withDeadline } from '../../services/deadline.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from '../../services/dependency.ts';
import type { AppEnv } from '../app-env.ts';
import { HeartbeatWheel, type Beating } from '../jobs/heartbeat-wheel.ts';
import { HEARTBEAT_FRAME, openSseWire, SSE_HEADERS, sseFrame, type SseWire, type WireEvents } from '../jobs/sse-wire.ts';
import { rolloutProgress } from './rollout-progress.schema.ts';
import type { rolloutEventsRoute } from './rollout-events.routes.ts';

export type RolloutEventsOptions = {
  /** How often a followed rollout is read again: the rollout sweep's tick, since the record changes no faster. */
  pollMs: number;
  heartbeatMs: number;
  logger: Logger;
  /** Ends every open stream (clients resume elsewhere with Last-Event-ID). */
  shutdown?: AbortSignal | undefined;
};

/** One read of the record, formatted once for every client of it. */
type Snapshot = { id: string; finished: boolean; frame: Uint8Array };

const snapshotOf = ({ rollout, resourceVersion }: { rollout: Rollout; resourceVersion: string }): Snapshot => {
  const finished = isFinished(rollout.state);
  return { id: resourceVersion, finished, frame: sseFrame(finished ? 'finished' : 'progress', resourceVersion, JSON.stringify(rolloutProgress(rollout))) };
};

/** One client's stream: the last snapshot it was sent, by resourceVersion. */
class Client implements WireEvents {
  wire!: SseWire;
  follow: Follow | undefined;
  /** Reads of its follow that began before it joined; their (possibly older) snapshots do not reach it. */
  since = 0;
  #lastId: string | undefined;
  #writtenAt = Date.now();
  #blocked = false;
  #ended = false;
  readonly #heartbeatDueMs: number;

  constructor(lastId: string | undefined, heartbeatDueMs: number) {
    this.#lastId = lastId;
    this.#heartbeatDueMs = heartbeatDueMs;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Sends the snapshot if the client has not seen it (a heartbeat when due otherwise); ends after the final one. */
  deliver(snapshot: Snapshot): void {
    if (this.#blocked || this.#ended) return;
    if (snapshot.id !== this.#lastId) {
      this.#lastId = snapshot.id;
      this.#write(snapshot.frame);
      if (snapshot.finished) this.end();
    } else this.idle();
  }

  idle(): void {
    if (!this.#blocked && !this.#ended && Date.now() - this.#writtenAt >= this.#heartbeatDueMs) this.#write(HEARTBEAT_FRAME);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.follow?.leave(this);
    this.wire.end();
  }

  // A client that has not taken the last frames is skipped; the next read after it drains sends the latest snapshot.
  drained(): void {
    this.#blocked = false;
  }

  closed(): void {
    this.#ended = true;
    this.follow?.leave(this);
  }

  #write(frame: Uint8Array): void {
    this.#writtenAt = Date.now();
    if (!this.wire.write(frame)) this.#blocked = true;
  }
}

/**
 * One rollout's open streams in this process: one read of the record per poll whatever the number of
 * clients, and a member of the wheel only while it has clients.
 */
class Follow implements Beating {
  readonly clients = new Set<Client>();
  slot = -1;
  reads = 0;
  #reading = false;
  #failing = false;

  readonly rolloutId: string;
  readonly shared: Shared;

  constructor(rolloutId: string, shared: Shared) {
    this.rolloutId = rolloutId;
    this.shared = shared;
  }

  join(client: Client): void {
    client.follow = this;
    client.since = this.reads;
    this.clients.add(client);
    if (this.slot === -1) {
      this.shared.follows.set(this.rolloutId, this);
      this.slot = this.shared.wheel.add(this);
    }
  }

  leave(client: Client): void {
    if (!this.clients.delete(client) || this.clients.size > 0) return;
    this.shared.wheel.delete(this, this.slot);
    this.shared.follows.delete(this.rolloutId);
    this.slot = -1;
  }

  beat(): void {
    // A read slower than the poll period is not doubled: the next beat after it reads again.
    if (!this.#reading) void this.#read();
  }

  async #read(): Promise<void> {
    this.#reading = true;
    const read = ++this.reads;
    try {
      const found = await withDeadline(this.shared.store.read(this.rolloutId), CLUSTER_DEADLINE_MS, 'The Kubernetes API');
      this.#failing = false;
      // Removed: nothing more will happen to it; a reconnect is answered 404.
      const snapshot = found && snapshotOf(found);
      for (const client of [...this.clients]) {
        if (!snapshot) client.end();
        else if (client.since < read) client.deliver(snapshot);
        else client.idle();
      }
    } catch (error) {
      // The streams stay open on heartbeats; the next poll reads again.
      if (!this.#failing) this.shared.logger.warn({ err: error, rolloutId: this.rolloutId }, 'rollout event stream: the record could not be read');
      this.#failing = true;
      for (const client of this.clients) client.idle();
    } finally {
      this.#reading = false;
    }
  }
}

type Shared = { store: Pick<RolloutStore, 'read'>; wheel: HeartbeatWheel<Follow>; follows: Map<string, Follow>; logger: Logger };

/**
 * `GET /api/rollouts/{rolloutId}/events`. The change source is the rollout's ConfigMap, read on a
 * heartbeat wheel (one timer for every stream of the process, one GET per followed rollout per poll),
 * not a Kubernetes watch: the record is in the cluster, so any replica serves any client with no
 * sticky session; a GET needs only the verb the provisioner already has on its namespace's ConfigMaps
 * (a watch would need list and watch on all of them); the record changes at most once per sweep tick,
 * so polling at that tick loses nothing a watch would show; and there is no watch connection per
 * rollout to renew, time out or re-list after a 410.
 */
export function rolloutEventsHandler(store: Pick<RolloutStore, 'read'>, options: RolloutEventsOptions): RouteHandler<typeof rolloutEventsRoute, AppEnv> {
  const pollMs = Math.min(options.pollMs, options.heartbeatMs);
  const shared: Shared = { store, wheel: new HeartbeatWheel<Follow>(pollMs), follows: new Map(), logger: options.logger };
  // A heartbeat is due when nothing was written for about a heartbeat period (beats come once per poll).
  const heartbeatDueMs = options.heartbeatMs - pollMs / 2;
  options.shutdown?.addEventListener(
    'abort',
    () => {
      for (const follow of [...shared.follows.values()]) for (const client of [...follow.clients]) client.end();
    },
    { once: true },
  );

  return async (c) => {
    const { rolloutId } = c.req.valid('param');
    // The header is what EventSource sends on reconnect; the query keeps the id of the first connection.
    const lastId = c.req.valid('header')['last-event-id'] ?? c.req.valid('query').lastEventId;
    const found = await dependencyCall('The Kubernetes API', store.read(rolloutId), CLUSTER_DEADLINE_MS);
    if (!found) throw new RolloutNotFoundError(rolloutId);
    const snapshot = snapshotOf(found);
    // The client saw the final event: 204 is the answer that stops EventSource reconnecting for ever.
    if (snapshot.finished && lastId === snapshot.id) return c.body(null, 204);
    c.header('X-Accel-Buffering', 'no');
    // HEAD (answered by the GET handler) gets the headers only: nothing would read the stream.
    if (c.req.method === 'HEAD') return c.body(null, 200, SSE_HEADERS);
    const client = new Client(lastId, heartbeatDueMs);
    const opened = openSseWire(c, client);
    if (!opened) return RESPONSE_ALREADY_SENT;
    client.wire = opened.wire;
    if (options.shutdown?.aborted) client.end();
    // The current snapshot at once, unless the client has it (a reconnect with nothing new).
    client.deliver(snapshot);
    if (!client.ended) (shared.follows.get(rolloutId) ?? new Follow(rolloutId, shared)).join(client);
    return opened.answer;
  };
}
