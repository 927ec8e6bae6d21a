import type { TenantRecord } from '../../../../src/domain/tenant-record.ts';
import type { Actor, World } from './world.ts';

/**
 * What a deployed revision runs: the parts of the values the invariants compare with the intent,
 * and the blue-green slots the chart renders (one API and one Web Deployment per slot, running the
 * app version named; the Services select `active`).
 */
export type ReleaseShape = { tier: string; hibernated: boolean; customDomain: string | null; active: string; slots: Record<string, string> };
export type Revision = { revision: number; status: string; shape: ReleaseShape | undefined };

/**
 * One tenant namespace: its record (labels and annotations), resourceVersion, Secrets, and the Helm
 * release living in it. Deleting the namespace takes all of it, database volumes included.
 */
export type Namespace = {
  record: TenantRecord;
  version: number;
  secrets: Map<string, string>;
  release: Revision[];
  /** This incarnation's release reached `deployed` once: from then on it holds customer data. */
  everDeployed: boolean;
  /** The slot each Service selects: Helm applies the rendered one, a switch or rollback patches it. */
  services: Map<string, string>;
};

/**
 * The cluster the ports look at, in memory. The ports (store, Helm, Kubernetes, workloads) are thin
 * views over it, so a namespace deleted through one is gone for all. It also checks, as calls
 * happen, the invariants that are about an instant: destructive calls against the intent timeline
 * (1), one mutator per tenant (2), and writes of values older than the intent (4).
 */
export class FakeCluster {
  readonly world: World;
  readonly namespaces = new Map<string, Namespace>();
  /** Stripe ids as billing or the provision request last set them: what set-billing-info may write. */
  readonly stripe = new Map<string, { customer: string | null; subscription: string | null }>();
  /** Mutating calls in flight per tenant, by actor. */
  private readonly inFlight = new Map<string, Map<string, { what: string; actor: Actor }>>();
  readonly destructive: string[] = [];
  secretCounter = 0;

  constructor(world: World) {
    this.world = world;
  }

  tenantOfNamespace(namespace: string): string {
    for (const [tenantId, ns] of this.namespaces) if (ns.record.namespace === namespace) return tenantId;
    return namespace.replace(/^[a-z]+-/, '');
  }

  nsByName(namespace: string): Namespace | undefined {
    for (const ns of this.namespaces.values()) if (ns.record.namespace === namespace) return ns;
    return undefined;
  }

  /**
   * Invariant 2: a worker's mutating call on a tenant while another actor's is in flight. Returns
   * the function that ends the call.
   */
  begin(tenantId: string, what: string): () => void {
    const actor = this.world.actor();
    if (actor.kind !== 'worker') return () => undefined;
    const calls = this.inFlight.get(tenantId) ?? new Map<string, { what: string; actor: Actor }>();
    this.inFlight.set(tenantId, calls);
    for (const [other, call] of calls) {
      // A killed worker's call never returns and never lands (World.step): it is no longer a mutator.
      if (other !== actor.id && !call.actor.killed) this.world.violate('2 one mutator', `${what} on ${tenantId} while ${other} is in ${call.what}`);
    }
    calls.set(actor.id, { what, actor });
    return () => {
      if (calls.get(actor.id)?.what === what) calls.delete(actor.id);
    };
  }

  /**
   * Invariant 1: a namespace, release, database or Secret of a tenant whose release holds data
   * (it reached `deployed`) is removed only while the latest accepted intent is its removal.
   */
  destroying(tenantId: string, what: string): void {
    const ns = this.namespaces.get(tenantId);
    const intent = this.world.intents.get(tenantId);
    this.destructive.push(`${this.world.actor().id} ${what} ${tenantId}`);
    if (ns?.everDeployed && intent?.alive !== false) {
      this.world.violate(
        '1 no live tenant removed',
        `${what} of ${tenantId} (release deployed once) while its latest accepted intent is ${intent?.operation ?? 'unknown'} ${intent?.jobId ?? ''} by ${intent?.by ?? '?'}`,
      );
    }
  }

  /** Removes a namespace with everything in it. */
  deleteNamespace(tenantId: string): boolean {
    if (!this.namespaces.has(tenantId)) return false;
    this.destroying(tenantId, 'namespace deletion');
    this.namespaces.delete(tenantId);
    return true;
  }

  /** Invariant 4: a worker writing a field must write what the current intent says. */
  checkWrite(tenantId: string, field: string, value: string | null, intended: string | null): void {
    if (this.world.actor().kind === 'worker' && value !== intended) {
      this.world.violate('4 no stale write', `${field} of ${tenantId} written as ${value ?? 'null'} while the intent says ${intended ?? 'null'}`);
    }
  }

  current(tenantId: string): Revision | undefined {
    return this.namespaces.get(tenantId)?.release.at(-1);
  }
}
