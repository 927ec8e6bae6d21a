import type { Lease, TenantLeases } from '../../../../src/worker/tenant-lease.ts';

/** The lease contract in memory: one holder per tenant, increasing tokens, expiry by a clock we drive. */
export class FakeLeases implements TenantLeases {
  readonly ttlMs: number;
  private readonly held = new Map<string, { token: number; until: number }>();
  private readonly fence = new Map<string, number>();
  now = 0;
  failRenewals = false;
  /** Renewals that never answer, as on a Redis connection that hangs. */
  hangRenewals = false;

  constructor(ttlMs = 300) {
    this.ttlMs = ttlMs;
  }

  private current(tenantId: string) {
    const entry = this.held.get(tenantId);
    return entry && entry.until > this.now ? entry : undefined;
  }

  async acquire(tenantId: string) {
    if (this.current(tenantId)) return undefined;
    const token = (this.fence.get(tenantId) ?? 0) + 1;
    this.fence.set(tenantId, token);
    this.held.set(tenantId, { token, until: this.now + this.ttlMs });
    return { tenantId, token, acquiredAt: Date.now() };
  }

  async isHeld(lease: Lease) {
    return this.current(lease.tenantId)?.token === lease.token;
  }

  async renew(lease: Lease) {
    if (this.hangRenewals) return new Promise<boolean>(() => undefined);
    if (this.failRenewals) throw new Error('redis down');
    const entry = this.current(lease.tenantId);
    if (entry?.token !== lease.token) return false;
    entry.until = this.now + this.ttlMs;
    return true;
  }

  async release(lease: Lease) {
    if (this.current(lease.tenantId)?.token === lease.token) this.held.delete(lease.tenantId);
  }

  async holder(tenantId: string) {
    return this.current(tenantId)?.token;
  }

  /** Another worker takes the tenant, as after our lease expired unrenewed. */
  steal(tenantId: string) {
    this.held.delete(tenantId);
    return this.acquire(tenantId);
  }
}
