import { indexedUnder, type TenantIndex } from '../../../../src/kubernetes/tenant-index.ts';
import type { NewTenant, TenantRecord } from '../../../../src/domain/tenant-record.ts';
import { IntentConflictError, TenantExistsError, type IntentChange, type TenantStore } from '../../../../src/kubernetes/tenant-store.ts';

/** TenantStore over a Map, with resourceVersion preconditions like the API server's. */
export class FakeIntents implements TenantStore {
  readonly tenants = new Map<string, { tenant: TenantRecord; version: number }>();
  writes = 0;
  /** Called between a read and the next write, to simulate a concurrent writer. */
  beforeWrite?: () => void;

  put(tenant: TenantRecord) {
    this.tenants.set(tenant.tenantId, { tenant: structuredClone(tenant), version: (this.tenants.get(tenant.tenantId)?.version ?? 0) + 1 });
  }

  async read(tenantId: string) {
    const entry = this.tenants.get(tenantId);
    return entry && { tenant: structuredClone(entry.tenant), resourceVersion: String(entry.version) };
  }

  async write(tenantId: string, resourceVersion: string, change: IntentChange) {
    const hook = this.beforeWrite;
    this.beforeWrite = undefined;
    hook?.();
    const entry = this.tenants.get(tenantId);
    if (!entry) throw Object.assign(new Error('not found'), { code: 404 });
    if (String(entry.version) !== resourceVersion) throw new IntentConflictError(tenantId);
    const t = entry.tenant;
    if (change.desired) Object.assign(t, { desired: structuredClone(change.desired), tier: change.desired.tier, customDomain: change.desired.customDomain });
    if (change.operation !== undefined) t.operation = change.operation;
    if (change.expiresAt !== undefined) t.expiresAt = change.expiresAt;
    if (change.stripe) Object.assign(t, { stripeCustomerId: change.stripe.customerId, stripeSubscriptionId: change.stripe.subscriptionId });
    if (change.running) t.running = structuredClone(change.running);
    if (change.pin !== undefined) t.pin = change.pin;
    if (change.template !== undefined) t.template = change.template;
    if (change.labels) t.labels = structuredClone(change.labels.to);
    entry.version++;
    this.writes++;
    return String(entry.version);
  }

  namespaceOf(tenantId: string) {
    return `tenant-${tenantId}`;
  }

  async create(tenant: NewTenant) {
    if (this.tenants.has(tenant.tenantId)) throw new TenantExistsError(tenant.tenantId);
    const record: TenantRecord = {
      ...structuredClone(tenant),
      namespace: this.namespaceOf(tenant.tenantId),
      tier: tenant.desired.tier,
      createdAt: tenant.createdAt ?? new Date().toISOString(),
      terminating: false,
    };
    this.put(record);
    return structuredClone(record);
  }

  async get(tenantId: string) {
    return (await this.read(tenantId))?.tenant;
  }

  async list(options: { limit: number; continue?: string | undefined }) {
    const all = [...this.tenants.values()].map((e) => structuredClone(e.tenant));
    const start = Number(options.continue ?? 0);
    return { items: all.slice(start, start + options.limit), continue: start + options.limit < all.length ? String(start + options.limit) : undefined };
  }

  async findBy(index: TenantIndex, value: string) {
    return (await this.list({ limit: Number.MAX_SAFE_INTEGER })).items.filter((t) => indexedUnder(t, index, value));
  }

  async templates() {
    return (await this.list({ limit: Number.MAX_SAFE_INTEGER })).items.filter((t) => t.template);
  }

  /** Every record here is indexed as it is written: nothing predates the index. */
  async backfillIndex() {
    return 0;
  }

  async *all() {
    yield* (await this.list({ limit: Number.MAX_SAFE_INTEGER })).items;
  }

  async ensureAccess() {}

  deleted: string[] = [];
  async delete(tenantId: string, expected?: { resourceVersion: string }) {
    const entry = this.tenants.get(tenantId);
    if (expected && entry && String(entry.version) !== expected.resourceVersion) return 'changed' as const;
    this.deleted.push(tenantId);
    return this.tenants.delete(tenantId) ? ('deleting' as const) : ('absent' as const);
  }
}

export function tenantRecord(overrides: Partial<TenantRecord> = {}): TenantRecord {
  return {
    tenantId: 'acme-abc123',
    namespace: 'tenant-acme-abc123',
    tier: 'professional',
    companyName: 'Acme',
    ownerEmail: 'a@example.com',
    ownerName: 'Ada',
    customDomain: null,
    stripeCustomerId: null,
    stripeSubscriptionId: null,
    expiresAt: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    terminating: false,
    desired: { tier: 'professional', customDomain: null, resourceOverrides: {}, hibernated: false },
    operation: { type: 'provision', jobId: 'p-1', state: 'completed', at: '2026-01-01T00:00:00.000Z' },
    ...overrides,
  };
}
