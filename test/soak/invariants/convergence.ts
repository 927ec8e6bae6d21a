import type { Accepted, Intent, Ledger } from '../ledger.ts';
import { latestRevision, type TenantView } from './cluster-view.ts';

export type ConvergenceFinding = { tenants: number; converged: number; failedWithReason: number; expired: number };

/** Why a tenant's present state is not `intent`, or undefined when it is. */
function mismatch(intent: Intent, view: TenantView | undefined): string | undefined {
  if (intent.kind === 'removed') return view ? `namespace ${view.namespace} still there${view.record?.terminating ? ' (terminating)' : ''}` : undefined;
  if (intent.kind === 'closed') {
    // After its window the sweep purges it: gone is then as good as closed.
    if (!view?.record) return Date.now() > intent.purgeAfter ? undefined : 'purged within its window';
    if (!view.record.desired.closed) return `not closed (last operation ${view.record.operation?.type ?? 'none'} ${view.record.operation?.state ?? ''})`;
    if (view.record.operation?.state !== 'completed') return `last operation ${view.record.operation?.type} ${view.record.operation?.state}`;
    return view.database?.hibernated === false ? 'closed with its database awake' : undefined;
  }
  if (!view?.record) return 'no tenant';
  const { desired, operation } = view.record;
  if (desired.tier !== intent.tier || desired.hibernated !== intent.hibernated) {
    return `desired ${desired.tier}${desired.hibernated ? ' hibernated' : ''}, promised ${intent.tier}${intent.hibernated ? ' hibernated' : ''}`;
  }
  if (operation && operation.state !== 'completed') return `last operation ${operation.type} ${operation.state}`;
  const release = latestRevision(view);
  if (release?.status !== 'deployed') return `release ${release ? `revision ${release.revision} ${release.status}` : 'missing'}`;
  if (!view.database) return 'no database';
  if (view.database.hibernated !== intent.hibernated) return `database ${view.database.hibernated ? '' : 'not '}hibernated`;
  if (intent.app !== undefined && view.record.running?.app !== intent.app)
    return `running app ${view.record.running?.app ?? 'unknown'}, promised ${intent.app}`;
  return undefined;
}

/**
 * Every tenant the drivers touched, against the latest intent a request for it was accepted with:
 * - it is in that state (present: tier, hibernation, a deployed release and its database; removed: no namespace);
 * - or its last operation failed and says why (a failed provision is compensated: no namespace, and
 *   its provision job's history ends `failed` with a reason);
 * - an ambiguous latest intent (the client never learnt whether it was taken) accepts the one before too;
 * - a tenant whose trial expired (the clock driver) may be hibernated or removed instead, and one
 *   upgraded after its expiry keeps the sweep's hibernation unless a later request said otherwise.
 */
export async function checkConvergence(
  ledger: Ledger,
  views: Map<string, TenantView>,
  failure: (jobId: string) => Promise<string | undefined>,
): Promise<ConvergenceFinding> {
  const finding: ConvergenceFinding = { tenants: 0, converged: 0, failedWithReason: 0, expired: 0 };
  const byTenant = new Map<string, Accepted[]>();
  for (const a of ledger.accepted) byTenant.set(a.tenantId, [...(byTenant.get(a.tenantId) ?? []), a]);
  for (const [tenantId, accepted] of byTenant) {
    finding.tenants += 1;
    const view = views.get(tenantId);
    const latest = accepted.at(-1)!;
    const allowed: Intent[] = [latest.intent];
    if (latest.ambiguous) allowed.push(accepted.at(-2)?.intent ?? { kind: 'removed' });
    const expired = ledger.expired.has(tenantId) || (view?.record?.expiresAt ? Date.parse(view.record.expiresAt) <= Date.now() : false);
    if (expired && latest.intent.kind === 'present' && latest.intent.tier === 'demo') allowed.push({ kind: 'removed' }, { ...latest.intent, hibernated: true });
    // The expiry sweep hibernates on its own: a tier change after it (a demo tenant upgraded) keeps
    // that hibernation, and the client that sent it could not know. Only a later hibernate, resume
    // or billing decision makes the hibernation a promise again.
    const expiredAt = ledger.expired.get(tenantId);
    const hibernationSaid = accepted.some((a) => expiredAt !== undefined && a.at > expiredAt && a.operation !== 'update' && a.operation !== 'release');
    if (expiredAt !== undefined && !hibernationSaid && latest.intent.kind === 'present')
      allowed.push({ ...latest.intent, hibernated: !latest.intent.hibernated });
    const reasons = allowed.map((intent) => mismatch(intent, view));
    if (reasons.includes(undefined)) {
      finding.converged += 1;
      if (expired && !view) finding.expired += 1;
      continue;
    }
    const operation = view?.record?.operation;
    if (operation?.state === 'failed' && operation.message) {
      finding.failedWithReason += 1;
      continue;
    }
    if (!view) {
      const failed = (await Promise.all(accepted.flatMap((a) => (a.operation === 'provision' && a.jobId ? [failure(a.jobId)] : [])))).find(Boolean);
      if (failed) {
        finding.failedWithReason += 1;
        continue;
      }
    }
    ledger.violate(
      'converged',
      `${tenantId}: ${reasons.join('; ')} (latest: ${latest.operation} via API ${latest.via}${latest.ambiguous ? ', ambiguous' : ''})`,
    );
  }
  return finding;
}
