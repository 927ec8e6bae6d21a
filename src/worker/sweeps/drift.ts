import { FIRST_SLOT } from '../../domain/slots.ts';
import type { DesiredState } from '../../domain/tenant-record.ts';
import type { RunningVersion } from '../../domain/tenant-version.ts';
import { desiredHashOf } from '../../lifecycle/running-version.ts';
import type { ReleaseRecord } from '../../kubernetes/release-records.ts';

/** What the cluster should show for a tenant, from its desired state through the values builder. */
export type ExpectedShape = { hibernated: boolean; postgresInstances: number; apiReplicas: number; webReplicas: number };

/** What the cluster shows; undefined fields are objects that do not exist. */
export type ObservedShape = {
  release: ReleaseRecord | undefined;
  database: { instances: number | undefined; hibernated: boolean } | undefined;
  apiReplicas: number | undefined;
  webReplicas: number | undefined;
};

const PENDING = /^pending-/;

/** What the cluster's workloads show, without the release: what a watch-fed cache can answer. */
export type ObservedWorkloads = Omit<ObservedShape, 'release'>;

/** Why the release's own state is wrong (missing, failed, stuck pending-*), or undefined. */
export function findReleaseDrift(release: ReleaseRecord | undefined, now: Date, stuckAfterSeconds: number): string | undefined {
  if (!release) return 'release missing';
  if (PENDING.test(release.status)) {
    const age = release.modifiedAt ? (now.getTime() - release.modifiedAt.getTime()) / 1000 : Infinity;
    return age >= stuckAfterSeconds ? `release stuck in ${release.status} for ${Math.round(age)} s` : undefined;
  }
  if (release.status !== 'deployed') return `release ${release.status} at revision ${release.revision}`;
  return undefined;
}

/**
 * Why the workloads differ from the desired state, or undefined. Replica counts compare specs
 * (what the release asks for), not readiness, so a rollout in progress is not drift; hibernated
 * means 0 API and Web replicas.
 */
export function findWorkloadDrift(expected: ExpectedShape, observed: ObservedWorkloads): string | undefined {
  const db = observed.database;
  if (!db) return 'database cluster missing';
  if (db.hibernated !== expected.hibernated)
    return `database ${db.hibernated ? 'hibernated' : 'running'}, desired ${expected.hibernated ? 'hibernated' : 'running'}`;
  if (db.instances !== expected.postgresInstances) return `database has ${db.instances ?? 'no'} instances, desired ${expected.postgresInstances}`;
  const want = (n: number) => (expected.hibernated ? 0 : n);
  if (observed.apiReplicas !== want(expected.apiReplicas)) return `API has ${observed.apiReplicas ?? 'no'} replicas, desired ${want(expected.apiReplicas)}`;
  if (observed.webReplicas !== want(expected.webReplicas)) return `Web has ${observed.webReplicas ?? 'no'} replicas, desired ${want(expected.webReplicas)}`;
  return undefined;
}

/**
 * Why what a job recorded as deployed (the running record) is not what the tenant's intent asks,
 * or undefined. A job that read a desired state which was then taken back (an intake whose job
 * could not be queued withdraws its intent) deploys a tier, a domain or a switch nobody asks for
 * any more; replica counts often cannot show it (two tiers with one replica each), the record does,
 * without a request. Never from configuration, so a changed image tag is no drift here (rollouts
 * ship those in waves). A tenant with no running record, or one written before the record kept the
 * desired state's fingerprint, is not judged on what it lacks.
 */
export function findIntentDrift(desired: DesiredState, running: RunningVersion | undefined | null): string | undefined {
  if (!running) return undefined;
  const desiredSlot = desired.slot ?? FIRST_SLOT;
  const runningSlot = running.slot ?? FIRST_SLOT;
  if (runningSlot !== desiredSlot) return `Services select the ${runningSlot} slot, desired ${desiredSlot}`;
  if (running.desiredHash !== undefined && running.desiredHash !== desiredHashOf(desired))
    return `revision ${running.revision} was deployed from a desired state the tenant no longer asks for`;
  return undefined;
}

/**
 * Why a tenant whose last operation completed no longer matches its desired state, or undefined.
 * Pure, so every rule is unit-tested. A release that is not `deployed` wins over what the
 * workloads show; a release still pending-* but younger than `stuckAfterSeconds` is an upgrade in
 * progress, not drift.
 */
export function findDrift(expected: ExpectedShape, observed: ObservedShape, now: Date, stuckAfterSeconds: number): string | undefined {
  if (!observed.release || observed.release.status !== 'deployed') return findReleaseDrift(observed.release, now, stuckAfterSeconds);
  return findWorkloadDrift(expected, observed);
}
