import { servingDatabase } from '../domain/database-generation.ts';
import { FIRST_SLOT, SLOT_LABEL, stackImagesOf, type Slot, type StackImages } from '../domain/slots.ts';
import { isNotFound } from '../kubernetes/kube-errors.ts';
import { setServiceSelectorLabel } from '../kubernetes/service-selector.ts';
import type { DesiredState, TenantRecord } from '../domain/tenant-record.ts';
import { changeIntent } from './change-intent.ts';
import { slotServiceNames, type OperationDeps } from './plans/plan-deps.ts';
import { recordRunningVersion, runningVersionOf } from './running-version.ts';
import type { TenantRef } from './tenant-ref.ts';
import type { SlotLayout } from './tenant-values.ts';
import { tenantChartValues } from './tenant-values.ts';
import { tenantChart } from './tenant-chart.ts';

/**
 * A blue-green switch the desired state asks for and the cluster has not made: `from` serves, `to` is
 * staged. `servingChart` is the chart version the serving release was installed from (absent: the
 * configured chart), which a switch given up goes back to.
 */
export type PendingSwitch = { from: Slot; to: Slot; serving: StackImages; next: StackImages; servingChart?: string | undefined };

/** The slot the Services select, as the last deploy recorded it (blue for records older than slots). */
export const servingSlot = (t: Pick<TenantRecord, 'running'>): Slot => t.running?.slot ?? FIRST_SLOT;

/**
 * The switch a tenant is waiting for, if any: it runs (deployed, not hibernated), its desired slot is
 * not the one serving, and the serving slot's release is known (`previous`, recorded by the intake).
 */
export function pendingSwitch(platformImages: StackImages, t: Pick<TenantRecord, 'desired' | 'running'>): PendingSwitch | undefined {
  const { desired } = t;
  const to = desired.slot ?? FIRST_SLOT;
  const from = servingSlot(t);
  if (!t.running || desired.hibernated || to === from || desired.previous?.slot !== from) return undefined;
  return { from, to, serving: desired.previous.images, next: desired.images ?? stackImagesOf(platformImages), servingChart: desired.previous.chartVersion };
}

/**
 * The desired state of a rollback: the previous slot serves its release again, and the slot rolled
 * back from is kept as the new previous (so the window stays, and rolling back again is the same
 * call). Only inside a window: a switch made (the desired slot serves), the other slot still running,
 * something serving. Undefined otherwise.
 */
export function rolledBack(platformImages: StackImages, t: Pick<TenantRecord, 'desired' | 'running'>): DesiredState | undefined {
  const { desired } = t;
  const current = desired.slot ?? FIRST_SLOT;
  if (!t.running || desired.hibernated || current !== servingSlot(t)) return undefined;
  return swapped(platformImages, desired);
}

/** The previous slot and the current one exchanged: a rollback, and the undoing of one. */
function swapped(platformImages: StackImages, desired: DesiredState): DesiredState | undefined {
  const current = desired.slot ?? FIRST_SLOT;
  if (!desired.previous || desired.previous.slot === current) return undefined;
  const { chartVersion: _current, ...rest } = desired;
  // The chart goes with its release: the next upgrade installs the rolled-back-to release's chart.
  return {
    ...rest,
    slot: desired.previous.slot,
    images: desired.previous.images,
    ...withChart(desired.previous.chartVersion),
    previous: { slot: current, images: desired.images ?? stackImagesOf(platformImages), ...withChart(desired.chartVersion) },
  };
}

const withChart = (chartVersion: string | undefined) => (chartVersion === undefined ? {} : { chartVersion });

/**
 * Points both of a tenant's Services at one slot: only their selectors change, no Helm call. Both
 * at once, as they are independent and a fleet rollout's makespan pays each round trip per tenant.
 * `missingIsFine`: a Service already gone is not an error (a rollback given up on a tenant being removed).
 */
export async function switchServicesTo(
  deps: Pick<OperationDeps, 'kube'>,
  ref: Pick<TenantRef, 'tenantId' | 'namespace'>,
  slot: Slot,
  signal: AbortSignal,
  missingIsFine = false,
): Promise<void> {
  await Promise.all(
    slotServiceNames(ref.tenantId).map((service) =>
      setServiceSelectorLabel(deps.kube, ref.namespace, service, SLOT_LABEL, slot, signal).catch((error: unknown) => {
        if (!missingIsFine || !isNotFound(error)) throw error;
      }),
    ),
  );
}

/**
 * After a rollback failed (the previous slot not ready, a Service patch refused): both Services go
 * back to the slot the running record says serves, so none is left half-switched, and the intent is
 * swapped back unless a newer request replaced this job's. No Helm call.
 */
export async function abandonRollback(deps: OperationDeps, ref: TenantRef, jobId: string, signal: AbortSignal): Promise<string | undefined> {
  const found = await deps.tenants.read(ref.tenantId);
  if (!found || found.tenant.terminating) return undefined;
  const serving = servingSlot(found.tenant);
  await switchServicesTo(deps, ref, serving, signal, true);
  await changeIntent(deps.tenants, ref.tenantId, (t) => {
    const back =
      t.operation?.jobId === jobId && (t.desired.slot ?? FIRST_SLOT) !== servingSlot(t) ? swapped(deps.config.platform.images, t.desired) : undefined;
    return back ? { change: { desired: back }, result: undefined } : { result: undefined };
  });
  return `rollback abandoned: the Services select ${serving}, as before`;
}

/**
 * Whether a tenant's switch window is over: a switch made (the desired slot serves), the previous
 * slot still kept, and `windowSeconds` passed since the last deploy or rollback recorded.
 */
export function windowExpired(t: Pick<TenantRecord, 'desired' | 'running'>, now: Date, windowSeconds: number): boolean {
  if (!t.running || !t.desired.previous || (t.desired.slot ?? FIRST_SLOT) !== servingSlot(t)) return false;
  return now.getTime() - Date.parse(t.running.at) >= windowSeconds * 1000;
}

/** The desired state once the window closed: the previous slot is scaled away (the next upgrade removes its Deployments). */
export function withoutWindow(desired: DesiredState): DesiredState {
  const { previous: _closed, ...rest } = desired;
  return rest;
}

/** Before the switch: the serving slot exactly as it runs, and the new release staged on the other slot. */
export const stagedLayout = (s: PendingSwitch): SlotLayout => ({ active: s.from, images: s.serving, inactive: s.next });

/** The desired state of a switch given up: the serving slot and its release, with no window. */
export function withoutSwitch(desired: DesiredState, s: PendingSwitch): DesiredState {
  const { chartVersion: _staged, ...rest } = withoutWindow(desired);
  return { ...rest, slot: s.from, images: s.serving, ...withChart(s.servingChart) };
}

/**
 * After a switch failed (the new slot never became ready, a migration failed, Helm refused): the
 * intent goes back to the serving release, unless a newer request replaced this job's, and the
 * release is upgraded to it, which removes the staged slot and leaves the serving Deployments as
 * they render now (no pod restarts). Resolves what was done, for the job's log.
 */
export async function abandonSwitch(deps: OperationDeps, ref: TenantRef, jobId: string, signal: AbortSignal): Promise<string | undefined> {
  const outcome = await changeIntent(deps.tenants, ref.tenantId, (t) => {
    const pending = t.operation?.jobId === jobId && !t.terminating ? pendingSwitch(deps.config.platform.images, t) : undefined;
    if (!pending) return { result: undefined };
    const desired = withoutSwitch(t.desired, pending);
    return { change: { desired }, result: { tenant: t, pending, desired } };
  });
  if (!outcome?.result) return undefined;
  const { tenant, pending, desired } = outcome.result;
  const built = tenantChartValues(deps.config, tenant, desired);
  const release = await deps.helm.upgradeInstall({
    release: ref.release,
    namespace: ref.namespace,
    chart: tenantChart(deps.config, desired),
    values: built.yaml,
    signal,
  });
  await recordRunningVersion(
    deps.tenants,
    ref.tenantId,
    runningVersionOf(release, { desired, ...built, database: servingDatabase(tenant) }, deps.now?.() ?? new Date()),
  );
  return `switch to ${pending.to} abandoned: ${pending.from} keeps serving; the staged slot is removed (revision ${release.revision})`;
}
