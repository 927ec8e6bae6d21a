import { z } from '@hono/zod-openapi';
import { ChangeRejectedError, TenantConflictError, TenantNotFoundError } from '../domain/errors.ts';
import { diffManifests, ObjectChange } from '../domain/manifest-diff.ts';
import type { UpdateRequest } from '../domain/provision-request.ts';
import { Slot } from '../domain/slots.ts';
import type { HelmClient } from '../helm/helm-client.ts';
import { pendingSwitch } from './blue-green.ts';
import { planUpdate } from './desired-change.ts';
import type { LifecycleDeps } from './intake.ts';
import { isLabelsOnly } from './labels-intake.ts';
import { PREFLIGHT_RENDER_MS, preflightUpdate } from './preflight.ts';
import { tenantRef } from './tenant-ref.ts';
import { tenantChartValues } from './tenant-values.ts';
import { tenantChart } from './tenant-chart.ts';

/** What `PUT /api/provisioning/{tenantId}?dryRun=true` answers: the objects the update would change, and nothing changed. */
export const UpdateDryRun = z
  .object({
    tenantId: z.string(),
    dryRun: z.literal(true),
    /** The blue-green switch the update is, when it is one: the new release is staged on `to`, then the Services move to it. */
    switch: z.object({ from: Slot, to: Slot }).nullable(),
    changes: z.array(ObjectChange).openapi({
      description: "Against the live release's manifest (`helm get manifest`); for a switch, the state once switched, the old slot kept for the window",
    }),
  })
  .openapi('UpdateDryRun');
export type UpdateDryRun = z.infer<typeof UpdateDryRun>;

export type DryRunDeps = LifecycleDeps & { helm: Pick<HelmClient, 'template' | 'manifest'> };

/**
 * An update as the intake would accept it (the same plan and preflight, the same refusals), rendered
 * by `helm template --validate` against the cluster and compared object by object with what the live
 * release applied. Writes nothing, claims no domain and queues no job.
 */
export async function dryRunUpdate(deps: DryRunDeps, tenantId: string, change: UpdateRequest): Promise<UpdateDryRun> {
  const found = await deps.tenants.read(tenantId);
  if (!found) throw new TenantNotFoundError(tenantId);
  const tenant = found.tenant;
  if (tenant.terminating) throw new TenantConflictError(tenantId, 'deprovisioning', `Tenant ${tenantId} is being removed`);
  // Labels are namespace metadata that no release renders: nothing to render or compare.
  if (isLabelsOnly(change)) return { tenantId, dryRun: true, switch: null, changes: [] };
  const plan = planUpdate(deps.config, tenant, change);
  if (plan.refusals.length > 0) throw new ChangeRejectedError(tenantId, plan.refusals);
  const reasons = await preflightUpdate(deps, tenant, plan.desired, plan.expiresAt);
  if (reasons.length > 0) throw new ChangeRejectedError(tenantId, reasons);
  const next = { ...tenant, desired: plan.desired, expiresAt: plan.expiresAt };
  const staged = pendingSwitch(deps.config.platform.images, next);
  const { yaml } = tenantChartValues(deps.config, next, plan.desired);
  const { release, namespace } = tenantRef(deps.config, tenantId);
  // Both Helm children are killed at the deadline, like the preflight's render.
  const signal = AbortSignal.timeout(deps.renderDeadlineMs ?? PREFLIGHT_RENDER_MS);
  const [live, rendered] = await Promise.all([
    deps.helm.manifest(release, namespace, signal),
    deps.helm.template({ release, namespace, chart: tenantChart(deps.config, plan.desired), values: yaml, signal }),
  ]);
  return { tenantId, dryRun: true, switch: staged ? { from: staged.from, to: staged.to } : null, changes: diffManifests(live ?? '', rendered) };
}
