import { z } from '@hono/zod-openapi';
import type { Config } from '../config/config.schema.ts';
import type { PlatformConfig } from '../config/platform-config.schema.ts';
import { customDomainJsonSchema, customDomainRule } from '../domain/custom-domain.ts';
import { fieldErrorsFrom, FieldErrorSchema, type FieldError } from '../domain/field-error.ts';
import { ProvisionRequest, type CloneFrom } from '../domain/provision-request.ts';
import { ValidationError } from '../domain/errors.ts';
import { cloneDatabase } from '../lifecycle/clone-intake.ts';
import type { TenantWorkloads } from '../kubernetes/tenant-workloads.ts';
import { reservedTenantIdRule, reservedTenantIds, reservedTenantIdsJsonSchema } from '../domain/tenant-id.ts';
import type { HelmClient } from '../helm/helm-client.ts';
import type { Kubernetes } from '../kubernetes/kube-client.ts';
import { kubeMessage } from '../kubernetes/kube-errors.ts';
import type { DomainClaims } from '../kubernetes/domain-claims.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';
import { withDeadline, withDeadlineSignal } from './deadline.ts';

/** What `POST /api/provisioning/validate` answers: the route documents this schema, the service returns its type. */
export const ValidationReport = z
  .object({
    valid: z.boolean(),
    errors: z.array(FieldErrorSchema),
    warnings: z.array(z.string()),
  })
  .openapi('ValidationReport');
export type ValidationReport = z.infer<typeof ValidationReport>;

export type ValidationDeps = {
  config: Config;
  registry: Pick<TenantStore, 'get' | 'read'>;
  /** A clone's source's backups (cloneFrom is checked as the intake checks it); absent: not checked. */
  workloads?: Pick<TenantWorkloads, 'listBackups'> | undefined;
  claims: Pick<DomainClaims, 'owner'>;
  kube: Pick<Kubernetes, 'version'>;
  helm: Pick<HelmClient, 'version'>;
};

const CHECK_DEADLINE_MS = 5_000;

/**
 * The provision body schema with the platform's rules (custom domain, reserved tenant ids); the
 * provision route validates with it too. A fresh object over ProvisionRequest's fields, registered
 * under the same name: its document then carries those rules as JSON Schema (a refinement of the
 * registered schema would be documented as the bare `$ref`, without them).
 */
export function provisionRequestSchema(platform: Pick<PlatformConfig, 'baseDomain' | 'reservedTenantIds'>) {
  const reservedIds = reservedTenantIds(platform.reservedTenantIds);
  return z
    .strictObject(ProvisionRequest.shape)
    .superRefine(customDomainRule(platform.baseDomain))
    .superRefine(reservedTenantIdRule(platform.reservedTenantIds))
    .openapi('ProvisionRequest', {
      description: `A tenant to create. tenantId must not be a reserved id (one of ${reservedIds.join(', ')}); customDomain must not be ${platform.baseDomain} or under it`,
      allOf: [reservedTenantIdsJsonSchema(reservedIds), customDomainJsonSchema(platform.baseDomain)],
    });
}

/**
 * What `POST /api/provisioning/provision` would think of `body`, without creating anything: the
 * schema, then the tenant id and custom domain against existing tenants, then whether the cluster
 * and Helm answer. Every check runs even when another failed, so one call lists every problem.
 */
export async function validateProvisionRequest(deps: ValidationDeps, body: unknown): Promise<ValidationReport> {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  const parsed = provisionRequestSchema(deps.config.platform).safeParse(body);
  const checks: Array<Promise<FieldError[]>> = [reachability(deps)];
  if (!parsed.success) errors.push(...fieldErrorsFrom(parsed.error, 'body'));
  else {
    const request = parsed.data;
    const tier = deps.config.tiers[request.subscriptionTier];
    if (tier.expiresAfterDays !== null) {
      warnings.push(`${request.subscriptionTier} tenants expire ${tier.expiresAfterDays} days after they are provisioned`);
    }
    if (request.tenantId === undefined) warnings.push('no tenantId given: one will be generated from the company name');
    else checks.push(tenantIdFree(deps, request.tenantId));
    if (request.customDomain !== undefined) checks.push(customDomainFree(deps, request.customDomain, request.tenantId));
    if (request.cloneFrom !== undefined) checks.push(cloneSourceUsable(deps, request.cloneFrom, request.tenantId));
  }
  for (const found of await Promise.all(checks)) errors.push(...found);
  return { valid: errors.length === 0, errors, warnings };
}

async function tenantIdFree(deps: ValidationDeps, tenantId: string): Promise<FieldError[]> {
  try {
    const existing = await withDeadline(deps.registry.get(tenantId), CHECK_DEADLINE_MS, 'tenant lookup');
    return existing ? [{ path: 'tenantId', message: `is already taken${existing.terminating ? ' (its namespace is being deleted)' : ''}` }] : [];
  } catch (error) {
    return [{ path: 'tenantId', message: `could not be checked: ${describe(error)}` }];
  }
}

/** One read of the host's claim (the claim the intake takes atomically), not a scan of every tenant. */
async function customDomainFree(deps: ValidationDeps, domain: string, tenantId: string | undefined): Promise<FieldError[]> {
  try {
    const owner = await withDeadline(deps.claims.owner(domain), CHECK_DEADLINE_MS, 'custom-domain claim');
    if (owner && owner !== tenantId) return [{ path: 'customDomain', message: `is already used by tenant ${owner}` }];
    return [];
  } catch (error) {
    return [{ path: 'customDomain', message: `could not be checked: ${describe(error)}` }];
  }
}

/** The intake's own decision on cloneFrom (clone-intake.ts), so validate lists what provision would refuse. */
async function cloneSourceUsable(deps: ValidationDeps, cloneFrom: CloneFrom, tenantId: string | undefined): Promise<FieldError[]> {
  if (!deps.workloads) return [];
  const clone = { config: deps.config, tenants: deps.registry, workloads: deps.workloads };
  try {
    await withDeadline(cloneDatabase(clone, tenantId ?? 'new-tenant', cloneFrom, new Date()), CHECK_DEADLINE_MS, 'clone source');
    return [];
  } catch (error) {
    if (error instanceof ValidationError) return [...error.errors];
    return [{ path: 'cloneFrom', message: `could not be checked: ${describe(error)}` }];
  }
}

async function reachability(deps: ValidationDeps): Promise<FieldError[]> {
  const [cluster, helm] = await Promise.allSettled([
    withDeadline(deps.kube.version.getCode(), CHECK_DEADLINE_MS, 'the Kubernetes API'),
    // Helm is a child process: at the deadline it is killed, not left running behind the answer.
    withDeadlineSignal(CHECK_DEADLINE_MS, 'helm', (signal) => deps.helm.version(signal)),
  ]);
  const errors: FieldError[] = [];
  if (cluster.status === 'rejected') errors.push({ path: 'cluster', message: `the Kubernetes API is not reachable: ${describe(cluster.reason)}` });
  if (helm.status === 'rejected') errors.push({ path: 'helm', message: `Helm is not usable: ${describe(helm.reason)}` });
  return errors;
}

// Client-facing: the API server's own message or the first line of the error, never a stack or a response dump.
function describe(error: unknown): string {
  return kubeMessage(error).slice(0, 200);
}
