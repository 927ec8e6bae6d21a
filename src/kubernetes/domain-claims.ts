import { createHash } from 'node:crypto';
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import { MANAGED_BY, TENANT_LABELS as L } from '../domain/tenant-record.ts';
import { isConflict, isNotFound } from './kube-errors.ts';

/** What a claim found: the host is now the tenant's, was already, or belongs to another tenant. */
export type ClaimOutcome = 'claimed' | 'already-yours' | { ownedBy: string };
/** What a release found: removed, nothing there, or another tenant's claim (left alone). */
export type ReleaseOutcome = 'released' | 'absent' | { ownedBy: string };

/**
 * Custom-domain ownership, decided by the API server: one ConfigMap per host, and creating it is
 * the atomic step, so two tenants can never both be told 'claimed' for one host.
 */
export interface DomainClaims {
  claim(host: string, tenantId: string): Promise<ClaimOutcome>;
  /** Removes the claim only if `tenantId` holds it; idempotent. */
  release(host: string, tenantId: string): Promise<ReleaseOutcome>;
  owner(host: string): Promise<string | undefined>;
}

export type DomainClaimsOptions = {
  /** Where the claims live: the provisioner's own namespace (platform.claimsNamespace). */
  namespace: string;
  /** A tenant's namespace; a claim whose owner has none (and is old enough) is an orphan. */
  tenantNamespace: (tenantId: string) => string;
  /**
   * Provision intake claims before it creates the namespace, so a young claim without a namespace
   * is a tenant being born, not an orphan. Only older claims are taken over. Default 10 minutes.
   */
  orphanAfterMs?: number | undefined;
  now?: (() => Date) | undefined;
};

/** Labels a claim carries besides the owner's tenant id, so `kubectl get cm -l` finds them all. */
const CLAIM_LABEL = 'tenant-provisioner.io/claim';
const CLAIM_KIND = 'custom-domain';
const DEFAULT_ORPHAN_AFTER_MS = 10 * 60_000;
// A claim can change between our read and our write only as often as tenants race for one host;
// a few rounds settle it, and more would mean something is flapping.
const ROUNDS = 5;

/** Hosts are case-insensitive and `example.com.` is `example.com`. */
export function normaliseHost(host: string): string {
  const normal = host.trim().toLowerCase().replace(/\.$/, '');
  if (normal === '' || normal.includes('/') || /\s/.test(normal)) throw new RangeError(`not a hostname: ${JSON.stringify(host)}`);
  return normal;
}

/** The claim's ConfigMap name: deterministic, a valid name for any host (hosts reach 253 characters, names too). */
export function claimName(host: string): string {
  return `domain-${createHash('sha256').update(normaliseHost(host)).digest('hex').slice(0, 40)}`;
}

type Claim = { tenantId: string; host: string; claimedAt: string; resourceVersion: string; uid: string };

export function createDomainClaims(core: CoreV1Api, options: DomainClaimsOptions): DomainClaims {
  const { namespace } = options;
  const orphanAfterMs = options.orphanAfterMs ?? DEFAULT_ORPHAN_AFTER_MS;
  const now = options.now ?? (() => new Date());

  const body = (host: string, tenantId: string, base?: Claim): V1ConfigMap => ({
    metadata: {
      name: claimName(host),
      labels: { [L.managedBy]: MANAGED_BY, [L.tenantId]: tenantId, [CLAIM_LABEL]: CLAIM_KIND },
      ...(base ? { resourceVersion: base.resourceVersion } : {}),
    },
    data: { host, tenantId, claimedAt: now().toISOString() },
  });

  async function read(host: string): Promise<Claim | undefined> {
    const cm = await core.readNamespacedConfigMap({ namespace, name: claimName(host) }).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
    if (!cm) return undefined;
    const data = cm.data ?? {};
    // 160 bits of SHA-256 do not collide; a mismatch means someone else wrote this object.
    if (data['host'] !== host || !data['tenantId']) throw new Error(`ConfigMap ${namespace}/${claimName(host)} is not the claim of ${host}`);
    return { tenantId: data['tenantId'], host, claimedAt: data['claimedAt'] ?? '', resourceVersion: cm.metadata!.resourceVersion!, uid: cm.metadata!.uid! };
  }

  async function isOrphan(claim: Claim): Promise<boolean> {
    const claimedAt = Date.parse(claim.claimedAt);
    if (!(now().getTime() - claimedAt >= orphanAfterMs)) return false;
    // A terminating namespace still counts as alive: its deprovision releases the claim when it is gone.
    return core.readNamespace({ name: options.tenantNamespace(claim.tenantId) }).then(
      () => false,
      (error: unknown) => {
        if (isNotFound(error)) return true;
        throw error;
      },
    );
  }

  return {
    async claim(rawHost, tenantId) {
      const host = normaliseHost(rawHost);
      for (let round = 0; round < ROUNDS; round++) {
        try {
          await core.createNamespacedConfigMap({ namespace, body: body(host, tenantId) });
          return 'claimed';
        } catch (error) {
          if (!isConflict(error)) throw error;
        }
        const current = await read(host);
        if (!current) continue; // released between our create and our read: try again
        if (current.tenantId === tenantId) return 'already-yours';
        if (!(await isOrphan(current))) return { ownedBy: current.tenantId };
        // Conditioned on what we read: of several claimers taking over the same orphan, one wins.
        try {
          await core.replaceNamespacedConfigMap({ namespace, name: claimName(host), body: body(host, tenantId, current) });
          return 'claimed';
        } catch (error) {
          if (!isConflict(error) && !isNotFound(error)) throw error;
        }
      }
      throw new ClaimContentionError(host);
    },

    async release(rawHost, tenantId) {
      const host = normaliseHost(rawHost);
      for (let round = 0; round < ROUNDS; round++) {
        const current = await read(host);
        if (!current) return 'absent';
        if (current.tenantId !== tenantId) return { ownedBy: current.tenantId };
        try {
          // Preconditions: a claim taken over since our read is someone else's now and must stay.
          await core.deleteNamespacedConfigMap({
            namespace,
            name: claimName(host),
            body: { preconditions: { uid: current.uid, resourceVersion: current.resourceVersion } },
          });
          return 'released';
        } catch (error) {
          if (isNotFound(error)) return 'absent';
          if (!isConflict(error)) throw error;
        }
      }
      throw new ClaimContentionError(host);
    },

    async owner(rawHost) {
      return (await read(normaliseHost(rawHost)))?.tenantId;
    },
  };
}

/** The claim kept changing under us; transient (retry later), like the 409s behind it. */
class ClaimContentionError extends Error {
  constructor(host: string) {
    super(`the claim of ${host} kept changing; try again`);
    this.name = 'ClaimContentionError';
  }
}
