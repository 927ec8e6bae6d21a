import { servingDatabase } from '../domain/database-generation.ts';
import { ZodError } from 'zod';
import type { Config } from '../config/config.schema.ts';
import { fieldErrorsFrom, type FieldError } from '../domain/field-error.ts';
import { byteCount } from '../domain/quantity.ts';
import { releaseFor } from '../domain/tenant-id.ts';
import type { DesiredState, TenantRecord } from '../domain/tenant-record.ts';
import { chartRefFor, unavailableChartVersion } from '../helm/chart-catalog.ts';
import { HelmError, helmMessage } from '../helm/helm-error.ts';
import type { HelmClient } from '../helm/helm-client.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';
import type { TenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import { tenantObjectNames } from './plans/plan-deps.ts';
import { tenantChartValues } from './tenant-values.ts';
import { FIRST_SLOT } from '../domain/slots.ts';

export type PreflightDeps = {
  config: Config;
  helm: Pick<HelmClient, 'template'>;
  /** How long `helm template` may run before it is killed (default PREFLIGHT_RENDER_MS). */
  renderDeadlineMs?: number | undefined;
  workloads: Pick<TenantWorkloads, 'readDatabase'>;
  tenants: Pick<TenantStore, 'findBy'>;
};

/** Below the API's own deadline for a lifecycle request (3 × 10 s), so the render is over before the answer. */
export const PREFLIGHT_RENDER_MS = 20_000;

type LiveStorage = { spec?: { storage?: { size?: string; storageClass?: string } } };

/**
 * What cannot be done, found before anything changes: the values the chart would get are built
 * and rendered by `helm template` against the cluster (schema, templates), and the live database
 * is compared with the new one (volumes do not shrink, their StorageClass cannot change).
 * Returns the reasons; empty means the update may be queued. Transient failures (Helm or the API
 * server unreachable) are thrown, not reported as the client's fault.
 */
export async function preflightUpdate(
  deps: PreflightDeps,
  tenant: TenantRecord,
  desired: DesiredState,
  expiresAt: string | null,
  options: { render?: boolean } = {},
): Promise<FieldError[]> {
  const { config } = deps;
  let built: ReturnType<typeof tenantChartValues>;
  try {
    built = tenantChartValues(config, { tenantId: tenant.tenantId, companyName: tenant.companyName, expiresAt }, desired);
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    // Builder paths are `tenant.customDomain`, `tenant.resourceOverrides.x`: the request's own names.
    return fieldErrorsFrom(error).map((e) => ({ ...e, path: e.path.replace(/^tenant\./, '') }));
  }
  const errors: FieldError[] = [];
  const live = (await deps.workloads.readDatabase(
    tenant.namespace,
    tenantObjectNames(tenant.tenantId, FIRST_SLOT, servingDatabase(tenant).generation).database,
  )) as LiveStorage | undefined;
  const next = built.values.postgres.storage;
  // Against the live volume and the currently desired one: an accepted, still queued growth may be
  // applied at any moment, so going below it is a shrink too.
  const current = [live?.spec?.storage?.size, currentStorage(config, tenant)].filter((q): q is string => q !== undefined);
  const largest = current.sort((a, b) => byteCount(b) - byteCount(a))[0];
  if (largest && byteCount(next.size) < byteCount(largest)) {
    const path = desired.resourceOverrides.postgresStorageSize ? 'resourceOverrides.postgresStorageSize' : 'subscriptionTier';
    errors.push({ path, message: `would shrink PostgreSQL storage from ${largest} to ${next.size}; volumes can only grow` });
  }
  const liveClass = live?.spec?.storage?.storageClass;
  const asked = desired.resourceOverrides.storageClass !== tenant.desired.resourceOverrides.storageClass;
  if (live && asked && (liveClass ?? null) !== next.storageClass) {
    errors.push({
      path: 'resourceOverrides.storageClass',
      message: `would move PostgreSQL volumes from StorageClass ${liveClass ?? '(cluster default)'} to ${next.storageClass ?? '(cluster default)'}; existing volumes cannot change class`,
    });
  }
  if (desired.customDomain && desired.customDomain !== tenant.desired.customDomain) {
    const owner = await domainOwner(deps.tenants, desired.customDomain, tenant.tenantId);
    if (owner) errors.push({ path: 'customDomain', message: `is already used by tenant ${owner}` });
  }
  const chart = chartRefFor(config.platform.chart, desired.chartVersion);
  if (!chart) errors.push({ path: 'chartVersion', message: unavailableChartVersion(config.platform.chart, desired.chartVersion ?? '') });
  if (errors.length > 0 || !chart || options.render === false) return errors;
  try {
    // Killed, not abandoned, when it overruns: the API answers within its own deadline, and a Helm
    // child must not outlive the request that started it.
    await deps.helm.template({
      release: releaseFor(config.platform.releasePrefix, tenant.tenantId),
      namespace: tenant.namespace,
      chart,
      values: built.yaml,
      signal: AbortSignal.timeout(deps.renderDeadlineMs ?? PREFLIGHT_RENDER_MS),
    });
  } catch (error) {
    if (error instanceof HelmError && error.permanent) return [{ path: 'chart', message: helmMessage(error.stderr) || error.message }];
    throw error;
  }
  return [];
}

// One label-selected list (tenant-index.ts), however many tenants there are.
async function domainOwner(tenants: Pick<TenantStore, 'findBy'>, domain: string, self: string): Promise<string | undefined> {
  const wanted = domain.toLowerCase();
  const owners = await tenants.findBy('customDomain', domain);
  return owners.find((t) => t.tenantId !== self && [t.customDomain, t.desired.customDomain].some((d) => d?.toLowerCase() === wanted))?.tenantId;
}

function currentStorage(config: Config, tenant: TenantRecord): string | undefined {
  try {
    return tenantChartValues(config, { tenantId: tenant.tenantId, companyName: tenant.companyName, expiresAt: tenant.expiresAt }, tenant.desired).values
      .postgres.storage.size;
  } catch {
    return undefined;
  }
}
