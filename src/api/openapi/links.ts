import { JobAccepted } from '../../lifecycle/accepted.ts';

/**
 * OpenAPI links: how a client (and a stateful contract tester) goes from an answer to the next call.
 * Operation ids are the routes' `operationId`s; the names here are the link names in the document.
 */
export const OPERATION_IDS = {
  provision: 'provisionTenant',
  validate: 'validateProvision',
  generateId: 'generateTenantId',
  deprovision: 'deprovisionTenant',
  status: 'getTenantStatus',
  credentials: 'getTenantCredentials',
  update: 'updateTenant',
  hibernate: 'hibernateTenant',
  resume: 'resumeTenant',
  rollback: 'rollbackTenant',
  undelete: 'undeleteTenant',
  createRollout: 'createRollout',
  listRollouts: 'listRollouts',
  getRollout: 'getRollout',
  pauseRollout: 'pauseRollout',
  resumeRollout: 'resumeRollout',
  abortRollout: 'abortRollout',
  rolloutEvents: 'followRolloutEvents',
  listTenants: 'listTenants',
  fleet: 'getFleetVersions',
  pin: 'pinTenantVersion',
  unpin: 'unpinTenantVersion',
  listBackups: 'listTenantBackups',
  createBackup: 'createTenantBackup',
  restore: 'restoreTenant',
  createExport: 'createTenantExport',
  listExports: 'listTenantExports',
  getExport: 'getTenantExport',
  markTemplate: 'markTenantTemplate',
  unmarkTemplate: 'unmarkTenantTemplate',
  listTemplates: 'listTemplates',
  getJob: 'getJob',
  jobEvents: 'followJobEvents',
  stripeWebhook: 'receiveStripeEvent',
  healthz: 'getLiveness',
  readyz: 'getReadiness',
} as const;

const byJobId = (operationId: string, description: string) => ({ operationId, parameters: { jobId: '$response.body#/jobId' }, description });
const byTenantId = (operationId: string, description: string) => ({ operationId, parameters: { tenantId: '$response.body#/tenantId' }, description });

/** From a 202 (a queued job) to the job, its events and its tenant's status. */
export const ACCEPTED_LINKS = {
  GetJob: byJobId(OPERATION_IDS.getJob, 'Poll the job'),
  FollowJobEvents: byJobId(OPERATION_IDS.jobEvents, 'Follow the job as it runs'),
  GetTenantStatus: byTenantId(OPERATION_IDS.status, "The tenant's live status"),
};

/** From a job to the operations on its tenant. */
export const JOB_LINKS = {
  GetTenantStatus: byTenantId(OPERATION_IDS.status, "The job's tenant, live"),
  GetTenantCredentials: byTenantId(OPERATION_IDS.credentials, "The tenant administrator's credentials"),
  UpdateTenant: byTenantId(OPERATION_IDS.update, 'Change the tenant'),
  HibernateTenant: byTenantId(OPERATION_IDS.hibernate, 'Hibernate the tenant'),
  ResumeTenant: byTenantId(OPERATION_IDS.resume, 'Resume the tenant'),
  RollbackTenant: byTenantId(OPERATION_IDS.rollback, 'Switch the tenant back to its previous release (inside a blue-green switch window)'),
  DeprovisionTenant: byTenantId(OPERATION_IDS.deprovision, 'Remove the tenant'),
  PinTenantVersion: byTenantId(OPERATION_IDS.pin, 'Pin the tenant to a version (rollouts skip it)'),
  UnpinTenantVersion: byTenantId(OPERATION_IDS.unpin, "Remove the tenant's pin"),
  ListTenantBackups: byTenantId(OPERATION_IDS.listBackups, "The tenant's backups"),
  CreateTenantBackup: byTenantId(OPERATION_IDS.createBackup, 'Take a backup of the tenant now'),
  RestoreTenant: byTenantId(OPERATION_IDS.restore, "Restore the tenant's database from a backup or to a point in time"),
  UndeleteTenant: byTenantId(OPERATION_IDS.undelete, 'Reopen the tenant, closed by a deprovision, within its retention window'),
  CreateTenantExport: byTenantId(OPERATION_IDS.createExport, "Export the tenant's database (pg_dump) for download"),
  ListTenantExports: byTenantId(OPERATION_IDS.listExports, "The tenant's exports"),
};

export const ACCEPTED_EXAMPLE: JobAccepted = {
  jobId: '0b6a8f0e-5f0c-4d37-9c59-0f7f6d3b6c1d',
  tenantId: 'acme-auto-3f9a1c',
  namespace: 'tenant-acme-auto-3f9a1c',
  state: 'queued',
  links: {
    job: '/api/jobs/0b6a8f0e-5f0c-4d37-9c59-0f7f6d3b6c1d',
    events: '/api/jobs/0b6a8f0e-5f0c-4d37-9c59-0f7f6d3b6c1d/events',
    status: '/api/provisioning/acme-auto-3f9a1c/status',
  },
};

/** The 202 every job-queuing route answers: the job, where it is, and the links onward. */
export const acceptedResponse = {
  description: 'Accepted: the job is queued; follow `links.events` or poll `links.job`',
  headers: { Location: { description: 'The job', schema: { type: 'string' as const, example: ACCEPTED_EXAMPLE.links.job } } },
  content: { 'application/json': { schema: JobAccepted, example: ACCEPTED_EXAMPLE } },
  links: ACCEPTED_LINKS,
};
