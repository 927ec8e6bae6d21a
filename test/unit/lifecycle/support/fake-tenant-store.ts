import type { DesiredState, OperationMarker, TenantRecord } from '../../../../src/domain/tenant-record.ts';
import type { TierName } from '../../../../src/domain/tiers.ts';
import type { RunningVersion } from '../../../../src/domain/tenant-version.ts';
import { kubeError } from '../../api/support/fake-cluster.ts';
import type { FakeCluster, Namespace } from './fake-cluster.ts';

const copy = <T>(value: T): T => structuredClone(value);

/** A change to a tenant's intent: the old TenantIntents' and the new TenantStore's, both. */
export type IntentChange = {
  desired?: DesiredState;
  operation?: OperationMarker | null;
  expiresAt?: string | null;
  stripe?: { customerId: string | null; subscriptionId: string | null };
  /** What the worker deployed: the slot serving decides whether a release is a blue-green switch. */
  running?: RunningVersion;
};
export type NewTenant = Omit<TenantRecord, 'namespace' | 'tier' | 'createdAt' | 'terminating'> & { createdAt?: string };
type Annotations = Partial<Record<'customDomain' | 'stripeCustomerId' | 'stripeSubscriptionId' | 'expiresAt' | 'operation', string | null>>;

/** The error classes the code under test tells apart (they live where its store adapter does). */
export type StoreErrors = { conflict: new (tenantId: string) => Error; exists: new (tenantId: string) => Error };

/**
 * The tenant store over one cluster: it serves as TenantIntents and TenantRegistry (today's two
 * ports over one namespace) and as the TenantStore that merges them. resourceVersion preconditions
 * and 409s like the API server's (FakeIntents in test/unit/worker has the same write rules, over a
 * map of its own; this one shares the namespace with Helm, Secrets and workloads), unconditional
 * merge patches bump the version too, and every call is a scheduling point. Intake callers' writes
 * are recorded as the intent timeline. It imports nothing from the adapter it stands in for, so a
 * rename there touches only build-system.ts.
 */
export class FakeTenantStore {
  private readonly cluster: FakeCluster;
  private readonly prefix: string;
  private readonly errors: StoreErrors;

  constructor(cluster: FakeCluster, namespacePrefix: string, errors: StoreErrors) {
    this.cluster = cluster;
    this.prefix = namespacePrefix;
    this.errors = errors;
  }

  private get world() {
    return this.cluster.world;
  }

  namespaceOf(tenantId: string) {
    return `${this.prefix}${tenantId}`;
  }

  private intentFrom(tenantId: string, operation: OperationMarker | null | undefined) {
    const ns = this.cluster.namespaces.get(tenantId);
    if (!this.world.isIntake() || !operation || !ns) return;
    this.world.recordIntent(tenantId, operation.type !== 'deprovision', operation.type, operation.jobId, ns.record.desired);
  }

  async read(tenantId: string) {
    await this.world.step(`read ${tenantId}`);
    const ns = this.cluster.namespaces.get(tenantId);
    return ns && { tenant: copy(ns.record), resourceVersion: String(ns.version) };
  }

  async write(tenantId: string, resourceVersion: string, change: IntentChange) {
    await this.world.step(`write ${tenantId} ${change.operation ? `${change.operation.type}:${change.operation.state}` : ''}`);
    const ns = this.cluster.namespaces.get(tenantId);
    if (!ns) throw kubeError(404);
    if (String(ns.version) !== resourceVersion) throw new this.errors.conflict(tenantId);
    const t = ns.record;
    if (this.world.actor().kind === 'expiry' && change.operation && (t.expiresAt === null || Date.parse(t.expiresAt) > Date.now())) {
      this.world.violate(
        '1 no live tenant removed',
        `the expiry sweep recorded ${change.operation.type} over ${tenantId}, which does not expire now (expiresAt ${t.expiresAt ?? 'none'}, tier ${t.desired.tier})`,
      );
    }
    if (change.desired) Object.assign(t, { desired: copy(change.desired), tier: change.desired.tier, customDomain: change.desired.customDomain });
    if (change.operation !== undefined) t.operation = copy(change.operation);
    if (change.expiresAt !== undefined) t.expiresAt = change.expiresAt;
    if (change.running) t.running = copy(change.running);
    if (change.stripe) this.writeStripe(tenantId, ns.record, change.stripe.customerId, change.stripe.subscriptionId);
    ns.version++;
    this.intentFrom(tenantId, change.operation);
    return String(ns.version);
  }

  async markOperation(tenantId: string, marker: OperationMarker) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.read(tenantId);
      if (!current) return false;
      if (current.tenant.operation && current.tenant.operation.jobId !== marker.jobId) return false;
      try {
        await this.write(tenantId, current.resourceVersion, { operation: marker });
        return true;
      } catch (error) {
        if (!(error instanceof this.errors.conflict)) throw error;
      }
    }
    throw new this.errors.conflict(tenantId);
  }

  async create(tenant: NewTenant) {
    await this.world.step(`create ${tenant.tenantId}`);
    if (this.cluster.namespaces.has(tenant.tenantId)) throw new this.errors.exists(tenant.tenantId);
    const record: TenantRecord = {
      ...copy(tenant),
      namespace: this.namespaceOf(tenant.tenantId),
      tier: tenant.desired.tier,
      createdAt: tenant.createdAt ?? new Date().toISOString(),
      terminating: false,
    };
    this.cluster.namespaces.set(tenant.tenantId, { record, version: 1, secrets: new Map(), release: [], everDeployed: false, services: new Map() });
    this.cluster.stripe.set(tenant.tenantId, { customer: tenant.stripeCustomerId, subscription: tenant.stripeSubscriptionId });
    this.intentFrom(tenant.tenantId, tenant.operation);
    return copy(record);
  }

  async get(tenantId: string) {
    return (await this.read(tenantId))?.tenant;
  }

  async list(options: { limit: number; continue?: string | undefined; tier?: TierName | undefined }) {
    await this.world.step(`list ${options.continue ?? ''}`);
    const all = [...this.cluster.namespaces.values()]
      .map((n) => n.record)
      .filter((t) => !options.tier || t.tier === options.tier)
      .sort((a, b) => a.namespace.localeCompare(b.namespace));
    const start = options.continue === undefined ? 0 : Number(options.continue);
    const next = start + options.limit;
    return { items: copy(all.slice(start, next)), continue: next < all.length ? String(next) : undefined };
  }

  async *all(options: { tier?: TierName; pageSize?: number } = {}) {
    let cursor: string | undefined;
    do {
      const page = await this.list({ limit: options.pageSize ?? 200, continue: cursor, tier: options.tier });
      yield* page.items;
      cursor = page.continue;
    } while (cursor !== undefined);
  }

  /** Stripe ids: billing and the provision request set what they should be; a worker may only repeat it. */
  private writeStripe(tenantId: string, t: TenantRecord, customer: string | null | undefined, subscription: string | null | undefined) {
    const intended = this.cluster.stripe.get(tenantId) ?? { customer: null, subscription: null };
    if (customer !== undefined) {
      this.cluster.checkWrite(tenantId, 'stripeCustomerId', customer, intended.customer);
      t.stripeCustomerId = customer;
    }
    if (subscription !== undefined) {
      this.cluster.checkWrite(tenantId, 'stripeSubscriptionId', subscription, intended.subscription);
      t.stripeSubscriptionId = subscription;
    }
    if (this.world.isIntake()) this.cluster.stripe.set(tenantId, { customer: t.stripeCustomerId, subscription: t.stripeSubscriptionId });
  }

  async setOperation(tenantId: string, operation: OperationMarker) {
    await this.patch(tenantId, `setOperation ${operation.type}:${operation.state}`, (ns) => {
      ns.record.operation = copy(operation);
      this.intentFrom(tenantId, operation);
    });
  }

  async setAnnotations(tenantId: string, annotations: Annotations) {
    await this.patch(tenantId, `setAnnotations ${Object.keys(annotations).join(',')}`, (ns) => {
      const t = ns.record;
      if (annotations.customDomain !== undefined) {
        this.cluster.checkWrite(tenantId, 'customDomain', annotations.customDomain, t.desired.customDomain);
        t.customDomain = annotations.customDomain;
      }
      if (annotations.stripeCustomerId !== undefined || annotations.stripeSubscriptionId !== undefined) {
        this.writeStripe(tenantId, t, annotations.stripeCustomerId, annotations.stripeSubscriptionId);
      }
      if (annotations.expiresAt !== undefined) t.expiresAt = annotations.expiresAt;
      if (annotations.operation === null) t.operation = null;
    });
  }

  async ensureAccess(tenantId: string) {
    await this.world.step(`ensureAccess ${tenantId}`);
  }

  async delete(tenantId: string, expected?: { resourceVersion: string }) {
    const end = this.cluster.begin(tenantId, 'namespace deletion');
    try {
      await this.world.step(`delete namespace ${tenantId}`);
      // The API server's delete precondition: 409 (here 'changed') unless still at that version.
      const ns = this.cluster.namespaces.get(tenantId);
      if (expected && ns && String(ns.version) !== expected.resourceVersion) return 'changed' as const;
      if (!this.cluster.deleteNamespace(tenantId)) return 'absent' as const;
      return 'deleting' as const;
    } finally {
      end();
    }
  }

  /** An unconditional merge patch: no precondition, but the version moves on like any write. */
  private async patch(tenantId: string, what: string, apply: (ns: Namespace) => void) {
    const end = this.cluster.begin(tenantId, what);
    try {
      await this.world.step(`${what} ${tenantId}`);
      const ns = this.cluster.namespaces.get(tenantId);
      if (!ns) throw kubeError(404);
      apply(ns);
      ns.version++;
    } finally {
      end();
    }
  }
}
