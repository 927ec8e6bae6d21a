import { countOf, type RolloutRequest, type RolloutTarget, type RolloutWave } from '../domain/rollout.ts';
import { matchesLabels } from '../domain/tenant-labels.ts';
import type { TenantRecord } from '../domain/tenant-record.ts';
import { isPending } from './transitions.ts';

/** `desired.closed`: a closed account (offboarding) is not updated; absent in older callers' records reads as open. */
export type RolloutCandidate = Pick<TenantRecord, 'tenantId' | 'tier' | 'terminating' | 'pin' | 'running' | 'operation' | 'labels'> & {
  desired?: Pick<TenantRecord['desired'], 'closed'>;
};
export type RolloutPlan = { waves: RolloutWave[]; skipped: Array<{ tenantId: string; reason: string }> };

/**
 * A tenant runs the target: its recorded app version and chart version are the ones the target
 * names (one it leaves out is not compared) and nothing is pending that could change that.
 */
export function runsTarget(t: Pick<TenantRecord, 'running' | 'operation'>, target: RolloutTarget): boolean {
  const running = t.running;
  if (!running || isPending(t.operation)) return false;
  return (
    (target.appVersion === undefined || running.app === target.appVersion) &&
    (target.chartVersion === undefined || running.chart.version === target.chartVersion)
  );
}

/**
 * The frozen plan of a rollout over the tenants as they are now, in tenant-id order: who is
 * selected (named, of a selected tier, carrying every selected label; the rest are not listed),
 * who is skipped and why (pinned, being removed, closed, excluded, already on the target, not a tenant),
 * the canaries first (named, else the first N), then waves whose sizes are cumulative
 * counts or percentages of the tenants after the canaries, the last reaching all of them.
 * Pure; throws RangeError for named canaries outside the selection.
 */
export function planRollout(request: RolloutRequest, tenants: readonly RolloutCandidate[]): RolloutPlan {
  const { selector, strategy, target } = request;
  const skipped: RolloutPlan['skipped'] = [];
  const byId = new Map(tenants.map((t) => [t.tenantId, t]));
  for (const id of selector.tenantIds ?? []) if (!byId.has(id)) skipped.push({ tenantId: id, reason: 'no such tenant' });
  const excluded = new Set(selector.exclude);
  const selected: string[] = [];
  for (const t of [...tenants].sort((a, b) => a.tenantId.localeCompare(b.tenantId))) {
    if (selector.tenantIds && !selector.tenantIds.includes(t.tenantId)) continue;
    if (selector.tiers && !selector.tiers.includes(t.tier)) continue;
    if (selector.labels && !matchesLabels(t.labels, selector.labels)) continue;
    const reason = excluded.has(t.tenantId)
      ? 'excluded'
      : t.terminating
        ? 'being removed'
        : t.desired?.closed
          ? `closed (kept until ${t.desired.closed.purgeAfter})`
          : t.pin
            ? `pinned to ${t.pin.version.chart}/${t.pin.version.app}`
            : runsTarget(t, target)
              ? 'already on the target'
              : undefined;
    if (reason) skipped.push({ tenantId: t.tenantId, reason });
    else selected.push(t.tenantId);
  }
  const named = strategy.canary.tenantIds;
  const outside = named?.filter((id) => !selected.includes(id)) ?? [];
  if (outside.length > 0) throw new RangeError(`canary tenants not in the selection: ${outside.join(', ')}`);
  const canaries = named ?? selected.slice(0, strategy.canary.count);
  const rest = selected.filter((id) => !canaries.includes(id));
  const waves: RolloutWave[] = canaries.length > 0 ? [{ name: 'canary', tenantIds: canaries, canary: true }] : [];
  let done = 0;
  for (const size of [...strategy.waves, '100%' as const]) {
    const upTo = Math.max(done, countOf(size, rest.length));
    if (upTo > done) waves.push({ name: `wave-${waves.filter((w) => !w.canary).length + 1}`, tenantIds: rest.slice(done, upTo), canary: false });
    done = upTo;
  }
  return { waves, skipped };
}
