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
  /**
   * Replicas that must acknowledge an acquisition or renewal (WAIT) before it counts; 0 with one
   * Redis. With Sentinel at least 1: see "Failover" below.
   */
  replicas?: number;
};

/** An acquisition or renewal Redis applied but too few replicas acknowledged: it must not be relied on. */
export class LeaseNotReplicatedError extends Error {
  constructor(tenantId: string, acknowledged: number, wanted: number) {
    super(`lease write on tenant ${tenantId} reached ${acknowledged} of ${wanted} replicas in time; not relied on`);
    this.name = 'LeaseNotReplicatedError';
  }
}

// Failover. Replication is asynchronous: a primary acknowledges a write before its replicas have
// it, and a failover loses what they had not. Without a guard that breaks the lease two ways:
// 1. A lost acquisition: the new primary has no lease, so another job takes the tenant at once,
//    while the first still believes it holds it. The fence counter's INCR may be lost with it, so the
//    second job can even get the SAME token, and the first job's guard (GET == token) then passes.
// 2. A lost renewal: the new primary's lease expires earlier than the holder computed from its last
//    acknowledged renewal, so the keeper's give-up-before-expiry (lease-keeper.ts) comes too late.
// Both come from the holder relying on a write the next primary may not have. So a write counts
// only once `replicas` replicas acknowledged it (WAIT, in the same pipeline on the same connection,
// which never resends a command on a new one: a WAIT answered by the next primary would vouch for
// nothing). Sentinel promotes the replica with the highest replication offset, so with one replica
// (or `replicas` = all of them) the new primary has every write the holder relies on: the lease key
// with its absolute expiry (PXAT, replicated as such) and the counter that issued its token. Then a
// later acquirer must wait for that expiry, the holder gives up before it (renewal send time + TTL −
// margin), and tokens never repeat. With more replicas than `replicas`, a failover to one that did
// not acknowledge can still lose a lease: that is the cost of not waiting for all of them.
// An unacknowledged acquisition is given back and reported as not acquired (the job waits and
// tries again); an unacknowledged renewal is an error, which the keeper retries without extending.
// Clocks: the expiry is the old primary's clock; the replicas and the workers must agree with it to
// well within the margin (NTP), as they already must for the TTL itself.

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

  const replicas = options.replicas ?? 0;
  // Well inside the lease connection's command timeout (a third of the TTL), so a slow replica makes
  // the write unacknowledged rather than the whole command timed out.
  const waitMs = Math.max(20, Math.floor(options.ttlMs / 6));
  /** Runs a lease script; with replicas, followed in one pipeline by the WAIT that confirms it. */
  const write = async (args: [string, number, ...string[]]): Promise<{ result: number; acks: number }> => {
    if (replicas === 0) return { result: Number(await redis.eval(...args)), acks: 0 };
    const [[scriptError, result] = [], [waitError, acks] = []] =
      (await redis
        .pipeline()
        .eval(...args)
        .wait(replicas, waitMs)
        .exec()) ?? [];
    if (scriptError) throw scriptError;
    if (waitError) throw waitError;
    return { result: Number(result), acks: Number(acks) };
  };
  const acknowledged = (acks: number) => acks >= replicas;

  return {
    ttlMs: options.ttlMs,
    async acquire(tenantId) {
      const acquiredAt = Date.now();
      const { result: token, acks } = await write([ACQUIRE, 2, leaseKey(tenantId), fenceKey(tenantId), ttl, fenceTtl]);
      if (token > 0 && !acknowledged(acks)) {
        // Given back while this primary still has it; if the release is lost too, the lease expires.
        await redis.eval(RELEASE, 1, leaseKey(tenantId), String(token)).catch(() => undefined);
        return undefined;
      }
      return token > 0 ? { tenantId, token, acquiredAt } : undefined;
    },
    async isHeld(lease) {
      return (await redis.get(leaseKey(lease.tenantId))) === String(lease.token);
    },
    async renew(lease) {
      const { result, acks } = await write([RENEW, 2, leaseKey(lease.tenantId), fenceKey(lease.tenantId), String(lease.token), ttl, fenceTtl]);
      // Refused (0) is final whatever the replicas say; applied but unacknowledged is not a renewal.
      if (result === 1 && !acknowledged(acks)) throw new LeaseNotReplicatedError(lease.tenantId, acks, replicas);
      return result === 1;
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
