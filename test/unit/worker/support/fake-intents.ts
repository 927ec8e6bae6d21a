import type { OperationMarker, TenantRecord } from '../../../../src/domain/tenant-record.ts';
import { IntentConflictError, type IntentChange, type TenantIntents } from '../../../../src/kubernetes/tenant-intents.ts';

/** TenantIntents over a Map, with resourceVersion preconditions like the API server's. */
export class FakeIntents implements TenantIntents {
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
    entry.version++;
    this.writes++;
    return String(entry.version);
  }

  async markOperation(tenantId: string, marker: OperationMarker) {
    const entry = this.tenants.get(tenantId);
    if (!entry || (entry.tenant.operation && entry.tenant.operation.jobId !== marker.jobId)) return false;
    await this.write(tenantId, String(entry.version), { operation: marker });
    return true;
  }
}

export function tenantRecord(overrides: Partial<TenantRecord> = {}): TenantRecord {
  return {
    tenantId: 'acme-abc123', namespace: 'tenant-acme-abc123', tier: 'professional', companyName: 'Acme', ownerEmail: 'a@example.com',
    ownerName: 'Ada', customDomain: null, stripeCustomerId: null, stripeSubscriptionId: null, expiresAt: null,
    createdAt: '2026-01-01T00:00:00.000Z', terminating: false,
    desired: { tier: 'professional', customDomain: null, resourceOverrides: {}, hibernated: false },
    operation: { type: 'provision', jobId: 'p-1', state: 'completed', at: '2026-01-01T00:00:00.000Z' },
    ...overrides,
  };
}
