import { TenantConflictError, TenantNotFoundError } from '../domain/errors.ts';
import type { TemplateMark, TemplateRequest } from '../domain/tenant-template.ts';
import type { TenantRecord } from '../domain/tenant-record.ts';
import { changeIntent } from './change-intent.ts';
import type { IntakeDeps } from './intake.ts';
import { tenantChartValues } from './tenant-values.ts';
import { intakeVerdict, refusal } from './transitions.ts';

type TemplateDeps = Pick<IntakeDeps, 'tenants' | 'now' | 'config'>;

/**
 * Marking and unmarking a template are changes of intent without a job, like a pin: decided on the
 * tenant as it is (one being removed takes no mark, 409) and written in the same conditional write.
 * Only a tier with backups can be a template: clones start from its backups.
 */
async function changeTemplate(deps: TemplateDeps, tenantId: string, decide: (tenant: TenantRecord) => TemplateMark | null): Promise<TemplateMark | null> {
  const outcome = await changeIntent(deps.tenants, tenantId, (tenant) => {
    if (intakeVerdict(tenant, 'template') !== 'accept') throw refusal(tenant, 'template');
    const current = tenant.template ?? null;
    const next = decide(tenant);
    if (next === current) return { result: current };
    return { change: { template: next }, result: next };
  });
  if (!outcome) throw new TenantNotFoundError(tenantId);
  return outcome.result;
}

/** Marks the tenant as a template; asking again with the same description keeps the first mark (who and when). */
export async function requestTemplateMark(deps: TemplateDeps, tenantId: string, request: TemplateRequest, markedBy: string): Promise<TemplateMark> {
  const markedAt = (deps.now?.() ?? new Date()).toISOString();
  const mark = await changeTemplate(deps, tenantId, (tenant) => {
    if (!tenantChartValues(deps.config, tenant, tenant.desired).values.backup.enabled) {
      throw new TenantConflictError(tenantId, 'no-backups', `Tier ${tenant.desired.tier} of tenant ${tenantId} has no backups for clones to start from`);
    }
    const current = tenant.template;
    return current && current.description === request.description ? current : { description: request.description, markedBy, markedAt };
  });
  return mark!;
}

/** Removes the mark; idempotent. Clones already made keep their data. */
export async function requestTemplateUnmark(deps: TemplateDeps, tenantId: string): Promise<void> {
  await changeTemplate(deps, tenantId, () => null);
}
