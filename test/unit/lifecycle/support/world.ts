import { AsyncLocalStorage } from 'node:async_hooks';
import type { Scheduler } from 'fast-check';
import type { DesiredState } from '../../../../src/domain/tenant-record.ts';

/** Who is calling a port: the intake paths, the sweeps, one run of a job on a worker, an SSE client. */
export type ActorKind = 'setup' | 'http' | 'billing' | 'expiry' | 'reconcile' | 'worker' | 'sse';
export type Actor = { id: string; kind: ActorKind; jobId?: string; jobName?: string; killed: boolean };

/** One broken rule, with the invariant's number from issue 11 and what happened. */
export type Violation = { invariant: string; detail: string };

/** What the intake accepted for a tenant last: what the tenant must end as. */
export type Intent = { seq: number; alive: boolean; by: string; operation: string; jobId: string | undefined; desired: DesiredState };

/** Faults the scenario arms; each fires on the next matching call, whoever makes it. */
export type Faults = {
  /** The next n Redis writes (history appends, progress, delays, enqueues) fail, as under READONLY or OOM. */
  redisWrites: number;
  /** The next n pub/sub announcements are lost (a subscriber reconnecting). */
  pubsubDrops: number;
  /** The next upgrade of a tenant's release fails: permanently (the chart does not render) or not. */
  helm: Map<string, 'permanent' | 'transient'>;
};

const setupActor: Actor = { id: 'setup', kind: 'setup', killed: false };

/**
 * The shared state of one run: the scheduler that orders every port call, who is calling, the
 * intent timeline and the violations the fakes saw while it ran. Fakes call `step()` before each
 * effect, so the scheduler decides which caller goes next; a killed worker's calls never return.
 */
export class World {
  readonly actors = new AsyncLocalStorage<Actor>();
  readonly violations: Violation[] = [];
  readonly intents = new Map<string, Intent>();
  private readonly candidates = new Map<string, Intent>();
  readonly faults: Faults = { redisWrites: 0, pubsubDrops: 0, helm: new Map() };
  readonly trace: string[] = [];
  private seq = 0;
  private ids = 0;
  scheduler: Scheduler | undefined;

  actor(): Actor {
    return this.actors.getStore() ?? setupActor;
  }

  as<T>(kind: ActorKind, work: () => Promise<T>, extra: Partial<Actor> = {}): { actor: Actor; done: Promise<T> } {
    const actor: Actor = { id: `${kind}#${++this.ids}${extra.jobId ? `(${extra.jobName} ${extra.jobId})` : ''}`, kind, killed: false, ...extra };
    return { actor, done: this.actors.run(actor, work) };
  }

  /** A point where the scheduler may let another caller run first. */
  async step(label: string): Promise<void> {
    const actor = this.actor();
    if (this.scheduler && actor.kind !== 'setup') await this.scheduler.schedule(Promise.resolve(), `${actor.id} ${label}`);
    // A dead process: nothing after this point happens for it.
    if (actor.killed) await new Promise<never>(() => undefined);
  }

  note(line: string): void {
    this.trace.push(`${this.actor().id}: ${line}`);
  }

  violate(invariant: string, detail: string): void {
    this.violations.push({ invariant, detail: `${detail} [by ${this.actor().id}]` });
  }

  /**
   * Records an intent an intake path (HTTP, billing, a sweep) wrote. It counts as accepted only once
   * that caller queued its job (the 202 follows): an intent written and then undone because the
   * job could not be queued was never accepted. Accepted intents are ordered by when they were written.
   */
  recordIntent(tenantId: string, alive: boolean, operation: string, jobId: string | undefined, desired: DesiredState): void {
    const intent = { seq: ++this.seq, alive, by: this.actor().id, operation, jobId, desired: structuredClone(desired) };
    if (this.actor().kind === 'setup') this.intents.set(tenantId, intent);
    else this.candidates.set(`${intent.by}/${tenantId}`, intent);
  }

  /** The caller queued `jobId` for `tenantId`: the intent it wrote for that job is accepted. */
  accept(tenantId: string, jobId: string): void {
    const candidate = this.candidates.get(`${this.actor().id}/${tenantId}`);
    if (candidate?.jobId !== jobId) return;
    if ((this.intents.get(tenantId)?.seq ?? -1) < candidate.seq) this.intents.set(tenantId, candidate);
  }

  /** True for callers that decide intents; workers and SSE clients only act on them. */
  isIntake(): boolean {
    const kind = this.actor().kind;
    return kind === 'http' || kind === 'billing' || kind === 'expiry' || kind === 'reconcile' || kind === 'setup';
  }

  /** Takes one armed Redis write failure, if any. */
  redisWriteFails(): boolean {
    if (this.faults.redisWrites <= 0) return false;
    this.faults.redisWrites--;
    return true;
  }
}

/** What ioredis rejects a write with while Redis is read-only. */
export const redisWriteError = () => new Error("READONLY You can't write against a read only replica.");
