import { TenantNotFoundError } from '../domain/errors.ts';
import type { UpdateRequest } from '../domain/provision-request.ts';
import { sameLabels, type TenantLabels } from '../domain/tenant-labels.ts';
import { changeIntent } from './change-intent.ts';
import type { IntakeDeps } from './intake.ts';
import { intakeVerdict, refusal } from './transitions.ts';

/** An update that names labels and nothing else: nothing the release renders changes, so no job. */
export const isLabelsOnly = (change: UpdateRequest): change is UpdateRequest & { labels: TenantLabels } =>
  change.labels !== undefined && Object.entries(change).every(([key, value]) => key === 'labels' || value === undefined);

/**
 * Replaces a tenant's labels. A change of intent like a pin: decided on the tenant as it is, by the
 * intake's table (a tenant being removed accepts none, 409), and written conditioned on the version
 * it was decided on, so it neither undoes nor is undone by a concurrent write (the worker's markers
 * retry over it). No job follows: labels are namespace metadata, which no Helm upgrade renders, and
 * they are visible to listings and rollouts as soon as this resolves. Resolves the labels now set.
 */
export async function requestLabels(deps: Pick<IntakeDeps, 'tenants'>, tenantId: string, labels: TenantLabels): Promise<TenantLabels> {
  const outcome = await changeIntent(deps.tenants, tenantId, (tenant) => {
    if (intakeVerdict(tenant, 'labels') !== 'accept') throw refusal(tenant, 'labels');
    const current = tenant.labels ?? {};
    if (sameLabels(current, labels)) return { result: current };
    return { change: { labels: { from: current, to: labels } }, result: labels };
  });
  if (!outcome) throw new TenantNotFoundError(tenantId);
  return outcome.result;
}
