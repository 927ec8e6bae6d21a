import type { RouteHandler } from '@hono/zod-openapi';
import { generateTenantId } from '../../domain/tenant-id.ts';
import type { Kubernetes } from '../../kubernetes/kube-client.ts';
import type { TenantStore } from '../../kubernetes/tenant-store.ts';
import { readAdminCredentials } from '../../kubernetes/tenant-secrets.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from '../../services/dependency.ts';
import { validateProvisionRequest, type ValidationDeps } from '../../services/provision-validation.ts';
import type { ProvisioningService } from '../../services/provisioning-service.ts';
import { readTenantStatus, type TenantStatusDeps } from '../../services/tenant-status.ts';
import type { AppEnv } from '../app-env.ts';
import { ProblemError } from '../errors/problem-error.ts';
import type { ProvisioningRoutes } from './provisioning.routes.ts';

export type ProvisioningHandlerDeps = TenantStatusDeps &
  ValidationDeps & {
    service: ProvisioningService;
    registry: Pick<TenantStore, 'get' | 'list'>;
    kube: Pick<Kubernetes, 'core' | 'version'>;
    randomHex: () => string;
  };

type Handler<K extends keyof ProvisioningRoutes> = RouteHandler<ProvisioningRoutes[K], AppEnv>;

const noTenant = (tenantId: string) => new ProblemError('not_found', { detail: `No tenant ${tenantId}` });

export function provisioningHandlers(deps: ProvisioningHandlerDeps) {
  const provision: Handler<'provision'> = async (c) => {
    const { accepted, replayed } = await deps.service.provision(c.req.valid('json'), {
      subject: c.var.principal.subject,
      logger: c.var.logger,
      idempotencyKey: c.req.valid('header')['idempotency-key'],
    });
    c.header('Location', accepted.links.job);
    if (replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(accepted, 202);
  };

  const deprovision: Handler<'deprovision'> = async (c) => {
    const force = c.req.valid('query').force === 'true';
    const { accepted } = await deps.service.deprovision(c.req.valid('param').tenantId, { subject: c.var.principal.subject, logger: c.var.logger }, { force });
    c.header('Location', accepted.links.job);
    return c.json(accepted, 202);
  };

  const status: Handler<'status'> = async (c) => {
    const { tenantId } = c.req.valid('param');
    const found = await readTenantStatus(deps, tenantId);
    if (!found) throw noTenant(tenantId);
    return c.json(found, 200);
  };

  const credentials: Handler<'credentials'> = async (c) => {
    const { tenantId } = c.req.valid('param');
    // Set first, so that no cache keeps even an error about these credentials.
    c.header('Cache-Control', 'no-store');
    c.header('Pragma', 'no-cache');
    const tenant = await dependencyCall('The Kubernetes API', deps.registry.get(tenantId), CLUSTER_DEADLINE_MS);
    if (!tenant) throw noTenant(tenantId);
    const found = await dependencyCall('The Kubernetes API', readAdminCredentials(deps.kube.core, tenant.namespace, tenantId), CLUSTER_DEADLINE_MS);
    if (!found) throw new ProblemError('not_found', { detail: `Tenant ${tenantId} has no admin credentials yet; its provision creates them` });
    c.var.logger.info({ tenantId }, 'admin credentials read');
    return c.json(found, 200);
  };

  const validate: Handler<'validate'> = async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ valid: false, errors: [{ path: 'body', message: 'is not a JSON document' }], warnings: [] }, 200);
    }
    return c.json(await validateProvisionRequest(deps, body), 200);
  };

  const generateId: Handler<'generateId'> = (c) =>
    c.json({ tenantId: generateTenantId(c.req.valid('query').companyName, deps.randomHex(), deps.config.platform.reservedTenantIds) }, 200);

  return { provision, deprovision, status, credentials, validate, generateId };
}
