import type { Redis } from 'ioredis';

/** The right to mutate one tenant, with the fencing token that proves it is still the current one. */
export type Lease = { tenantId: string; token: number };

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

const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export function createTenantLeases(redis: Redis, options: { prefix: string; ttlMs: number }): TenantLeases {
  // The hash tag keeps a tenant's lease and counter in one slot, so the scripts also run on Redis Cluster.
  const leaseKey = (tenantId: string) => `${options.prefix}:tenant-lease:{${tenantId}}`;
  const fenceKey = (tenantId: string) => `${options.prefix}:tenant-fence:{${tenantId}}`;
  const ttl = String(options.ttlMs);

  return {
    ttlMs: options.ttlMs,
    async acquire(tenantId) {
      const token = Number(await redis.eval(ACQUIRE, 2, leaseKey(tenantId), fenceKey(tenantId), ttl));
      return token > 0 ? { tenantId, token } : undefined;
    },
    async isHeld(lease) {
      return (await redis.get(leaseKey(lease.tenantId))) === String(lease.token);
    },
    async renew(lease) {
      return Number(await redis.eval(RENEW, 1, leaseKey(lease.tenantId), String(lease.token), ttl)) === 1;
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
