import { createRoute, z } from '@hono/zod-openapi';
import { UpdateDryRun } from '../../lifecycle/dry-run.ts';
import { updateRequestSchema } from '../../domain/provision-request.ts';
import { PinRequest, VersionPin } from '../../domain/tenant-version.ts';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { PIN_EXAMPLE, UPDATE_EXAMPLE, VERSION_PIN_EXAMPLE } from '../openapi/examples.ts';
import { acceptedResponse as accepted, OPERATION_IDS } from '../openapi/links.ts';
import { TenantIdParams } from '../provisioning/provisioning.schemas.ts';
import { queryFlag } from '../openapi/query-flag.ts';

const tags = ['Lifecycle'];

const DRY_RUN_EXAMPLE: UpdateDryRun = {
  tenantId: 'acme-auto-3f9a1c',
  dryRun: true,
  switch: { from: 'blue', to: 'green' },
  changes: [
    {
      kind: 'Deployment',
      name: 'acme-auto-3f9a1c-api-green',
      action: 'create',
      paths: [],
      images: ['ghcr.io/cloudnative-pg/postgresql:17.5', 'ghcr.io/mechanicbuddy/dbup:2026.12.1', 'ghcr.io/mechanicbuddy/api:2026.12.1'],
    },
    { kind: 'Deployment', name: 'acme-auto-3f9a1c-web-green', action: 'create', paths: [], images: ['ghcr.io/mechanicbuddy/web:2026.12.1'] },
    { kind: 'Service', name: 'acme-auto-3f9a1c-api', action: 'update', paths: ['spec.selector.tenant-provisioner.io/slot'] },
  ],
};

export const DryRunQuery = z.object({
  dryRun: queryFlag('dryRun', 'true', 'true: answer 200 with the object diff against the live release and change nothing'),
});
const problems = errorResponses('validation_failed', 'not_found', 'conflict', 'payload_too_large', 'dependency_unavailable', ...API_PROBLEMS);

/**
 * Changing a tenant after it exists: each answers 202 with a job, like provision. The update body
 * carries the configured base domain's custom-domain rule, as the provision body does, so a
 * platform host is refused by validation (422) before any cluster read.
 */
export function lifecycleRoutes(baseDomain: string) {
  return {
    update: createRoute({
      method: 'put',
      path: '/{tenantId}',
      operationId: OPERATION_IDS.update,
      tags,
      security: BEARER_SECURITY,
      summary: "Change a tenant's tier, custom domain, resources or application release",
      description:
        "A preflight renders the new release first and refuses with 422 what the tenant's current state rules out " +
        '(a paid tenant into the trial tier, shrinking a volume, values the chart rejects). ' +
        'Demo to a paid tier happens in place and clears the expiry. A failed upgrade rolls back; nothing is uninstalled. ' +
        'A new `appVersion` on a running tenant is a blue-green switch: the release is deployed on the other slot, migrated ' +
        "(the API's init container) and checked ready beside the serving one, then the Services switch to it; the old slot keeps " +
        'running for the switch window (see rollback). A release that never becomes ready is abandoned and the old slot keeps serving. ' +
        "`labels` replace the tenant's labels at once (namespace metadata, nothing deployed): a body with labels alone answers 204 and queues no job.",
      request: {
        params: TenantIdParams,
        query: DryRunQuery,
        body: { content: { 'application/json': { schema: updateRequestSchema(baseDomain), example: UPDATE_EXAMPLE } }, required: true },
      },
      // 400: a body that is not JSON.
      responses: {
        200: {
          description: 'dryRun=true: what the update would change, object by object; nothing was changed',
          content: { 'application/json': { schema: UpdateDryRun, example: DRY_RUN_EXAMPLE } },
        },
        202: accepted,
        204: { description: "Only labels were sent: the tenant's labels are replaced; nothing to deploy, so no job" },
        ...problems,
        ...errorResponses('bad_request'),
      },
    }),
    hibernate: createRoute({
      method: 'post',
      path: '/{tenantId}/hibernate',
      operationId: OPERATION_IDS.hibernate,
      tags,
      security: BEARER_SECURITY,
      summary: 'Hibernate a tenant',
      description: 'Scales API and Web to zero and hibernates the database; every volume is kept.',
      request: { params: TenantIdParams },
      responses: { 202: accepted, ...problems },
    }),
    resume: createRoute({
      method: 'post',
      path: '/{tenantId}/resume',
      operationId: OPERATION_IDS.resume,
      tags,
      security: BEARER_SECURITY,
      summary: 'Resume a hibernated tenant',
      description: "Wakes the database and restores the tier's replica counts.",
      request: { params: TenantIdParams },
      responses: { 202: accepted, ...problems },
    }),
    pin: createRoute({
      method: 'put',
      path: '/{tenantId}/pin',
      operationId: OPERATION_IDS.pin,
      tags,
      security: BEARER_SECURITY,
      summary: 'Pin a tenant to a version',
      description:
        'Rollouts skip a pinned tenant; the reconciler reports it as drifted while it runs another version, and repairs nothing. ' +
        'Recorded on the tenant with who pinned it and when; pinning again to the same version for the same reason keeps the first record. ' +
        'No job: nothing is deployed. 409 while the tenant is being removed.',
      request: {
        params: TenantIdParams,
        body: { content: { 'application/json': { schema: PinRequest, example: PIN_EXAMPLE } }, required: true },
      },
      responses: {
        200: { description: "The tenant's pin", content: { 'application/json': { schema: VersionPin, example: VERSION_PIN_EXAMPLE } } },
        ...problems,
        ...errorResponses('bad_request'),
      },
    }),
    unpin: createRoute({
      method: 'delete',
      path: '/{tenantId}/pin',
      operationId: OPERATION_IDS.unpin,
      tags,
      security: BEARER_SECURITY,
      summary: "Remove a tenant's pin",
      description: 'Later rollouts include the tenant again. Idempotent: a tenant without a pin answers 204 too.',
      request: { params: TenantIdParams },
      responses: { 204: { description: 'The tenant has no pin' }, ...problems },
    }),
  };
}
export type LifecycleRoutes = ReturnType<typeof lifecycleRoutes>;

/** `POST /api/tenants/{tenantId}/rollback`, mounted under /api/tenants beside the tenant list. */
export const rollbackRoute = createRoute({
  method: 'post',
  path: '/{tenantId}/rollback',
  operationId: OPERATION_IDS.rollback,
  tags,
  security: BEARER_SECURITY,
  summary: 'Switch a tenant back to its previous release',
  description:
    'Inside the switch window of a blue-green release (the previous slot still running), the Services select the previous slot ' +
    'again: no Helm upgrade and no pod start, so it completes in seconds. The slot rolled back from stays running for the rest of the ' +
    'window, so calling it again switches forward. Refused with 409 when there is no window (none open, already closed, a switch still ' +
    'in progress, or the tenant hibernated); a slot that is not ready fails the job and nothing is switched.',
  request: { params: TenantIdParams },
  responses: { 202: accepted, ...problems },
});

export const undeleteRoute = createRoute({
  method: 'post',
  path: '/{tenantId}/undelete',
  operationId: OPERATION_IDS.undelete,
  tags,
  security: BEARER_SECURITY,
  summary: 'Reopen a closed tenant',
  description:
    "Within a closed account's retention window (a deprovision closed it: application stopped, hosts on the closed page, a final " +
    'backup taken, database hibernated), brings it back as it was before it closed: the same namespace, Secrets, volumes and data, ' +
    'running again unless it was hibernated then. Refused with 409 for a tenant that is not closed or is being purged.',
  request: { params: TenantIdParams },
  responses: { 202: accepted, ...problems },
});
