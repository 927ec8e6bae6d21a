import type { Redis } from 'ioredis';

/**
 * The right to mutate one tenant, with the fencing token that proves it is still the current one.
 * `acquiredAt` is when the acquiring command was sent: Redis started the TTL no earlier.
 */
export type Lease = { tenantId: string; token: number; acquiredAt: number };

/**
 * One mutating job per tenant. BullMQ's job lock is per job and can be lost while a processor keeps
 * running (a stall, a blocked event loop), so two jobs, or two runs of one job, could otherwise
 * touch a tenant at once. Each acquisition takes a new token from a per-tenant counter (INCR); the
 * holder checks its token before every mutating step and stops once a later token took over.
 */
export interface TenantLeases {
  /** A new lease with a new token, or undefined while another holder's lease is live. */
  acquire(tenantId: string): Promise<Lease | undefined>;
  /** True while `lease` is still the tenant's current lease. */
  isHeld(lease: Lease): Promise<boolean>;
  /** Extends a held lease by the TTL; false when it was lost (expired or taken over). */
  renew(lease: Lease): Promise<boolean>;
  /** Gives the lease up if it is still ours; a lost lease is left to its new holder. */
  release(lease: Lease): Promise<void>;
  /** The token holding the tenant now, if any. */
  holder(tenantId: string): Promise<number | undefined>;
  readonly ttlMs: number;
}

// The fence counter outlives every lease of its tenant: each script that sets or extends a lease
// pushes the counter's expiry to at least the lease's (fenceTtlMs >= ttlMs). So while any lease
// key exists the counter does too, and tokens only ever grow; a counter is forgotten only after a
// whole fenceTtlMs in which no lease was taken or renewed, when every holder's lease has long expired.
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export type TenantLeaseOptions = {
  prefix: string;
  ttlMs: number;
  /** How long a tenant's fence counter outlives its last lease (default: ten TTLs, at least a day). */
  fenceTtlMs?: number;
};

/**
 * Give `redis` a `commandTimeout` (the composition root builds a connection for leases alone): a
 * hung acquire, guard or renewal must fail rather than stall the job past its lease.
 */
export function createTenantLeases(redis: Redis, options: TenantLeaseOptions): TenantLeases {
  // The hash tag keeps a tenant's lease and counter in one slot, so the scripts also run on Redis Cluster.
  const leaseKey = (tenantId: string) => `${options.prefix}:tenant-lease:{${tenantId}}`;
  const fenceKey = (tenantId: string) => `${options.prefix}:tenant-fence:{${tenantId}}`;
  const ttl = String(options.ttlMs);
  const fenceTtl = String(Math.max(options.fenceTtlMs ?? Math.max(10 * options.ttlMs, 86_400_000), options.ttlMs));

  return {
    ttlMs: options.ttlMs,
    async acquire(tenantId) {
      const acquiredAt = Date.now();
      const token = Number(await redis.eval(ACQUIRE, 2, leaseKey(tenantId), fenceKey(tenantId), ttl, fenceTtl));
      return token > 0 ? { tenantId, token, acquiredAt } : undefined;
    },
    async isHeld(lease) {
      return (await redis.get(leaseKey(lease.tenantId))) === String(lease.token);
    },
    async renew(lease) {
      return Number(await redis.eval(RENEW, 2, leaseKey(lease.tenantId), fenceKey(lease.tenantId), String(lease.token), ttl, fenceTtl)) === 1;
    },
    async release(lease) {
      await redis.eval(RELEASE, 1, leaseKey(lease.tenantId), String(lease.token));
    },
    async holder(tenantId) {
      const value = await redis.get(leaseKey(tenantId));
      return value === null ? undefined : Number(value);
    },
  };
}
