import { createRoute } from '@hono/zod-openapi';
import { API_PROBLEMS, errorResponses } from '../errors/problem.openapi.ts';
import { ACCEPTED_EXAMPLE, acceptedResponse, OPERATION_IDS } from '../openapi/links.ts';
import { BEARER_SECURITY } from '../openapi/security.ts';
import { TenantIdParams } from '../provisioning/provisioning.schemas.ts';
import { RestoreRequest } from '../../lifecycle/restore-intake.ts';
import { BackupAccepted, TenantBackupList } from './backups.schemas.ts';

const BACKUP_NAME = 'acme-auto-3f9a1c-20261204183000-9f2c';

const BACKUP_JOB = `backup-${BACKUP_NAME}`;
const BACKUP_ACCEPTED_EXAMPLE = {
  ...ACCEPTED_EXAMPLE,
  jobId: BACKUP_JOB,
  links: { ...ACCEPTED_EXAMPLE.links, job: `/api/jobs/${BACKUP_JOB}`, events: `/api/jobs/${BACKUP_JOB}/events` },
  backupName: BACKUP_NAME,
};

const BACKUP_LIST_EXAMPLE = {
  tenantId: 'acme-auto-3f9a1c',
  backups: [
    {
      name: BACKUP_NAME,
      phase: 'completed',
      requestedBy: 'api',
      method: 'plugin',
      createdAt: '2026-12-04T18:30:00.000Z',
      startedAt: '2026-12-04T18:30:01Z',
      stoppedAt: '2026-12-04T18:30:42Z',
      backupId: '20261204T183001',
      wal: { begin: '000000010000000000000004', end: '000000010000000000000004' },
      error: null,
    },
  ],
};

const tags = ['Backups'];

/** `GET /api/tenants/{tenantId}/backups`, mounted under /api/tenants. */
export const listBackupsRoute = createRoute({
  method: 'get',
  path: '/{tenantId}/backups',
  operationId: OPERATION_IDS.listBackups,
  tags,
  security: BEARER_SECURITY,
  summary: "List a tenant's backups",
  description:
    "The CloudNativePG Backup objects of the tenant's database, scheduled and on demand, newest first, with the operator's phase, " +
    'their start and end, the base backup id a restore names and the WAL range it needs. Empty for a tier without backups.',
  request: { params: TenantIdParams },
  responses: {
    200: { description: "The tenant's backups", content: { 'application/json': { schema: TenantBackupList, example: BACKUP_LIST_EXAMPLE } } },
    ...errorResponses('validation_failed', 'not_found', 'dependency_unavailable', ...API_PROBLEMS),
  },
});

/** `POST /api/tenants/{tenantId}/backups`. */
export const createBackupRoute = createRoute({
  method: 'post',
  path: '/{tenantId}/backups',
  operationId: OPERATION_IDS.createBackup,
  tags,
  security: BEARER_SECURITY,
  summary: 'Take a backup now',
  description:
    'Queues a job that creates a CloudNativePG Backup through the Barman Cloud plugin and follows it until the operator reports it ' +
    "completed or failed (timeouts.backup). It runs beside the tenant's other operations: an update or a hibernation does not wait " +
    'behind it. 409 for a tenant being removed, a tier without backups, or a hibernated database (no instance to back up).',
  request: { params: TenantIdParams },
  responses: {
    202: { ...acceptedResponse, content: { 'application/json': { schema: BackupAccepted, example: BACKUP_ACCEPTED_EXAMPLE } } },
    ...errorResponses('validation_failed', 'not_found', 'conflict', 'dependency_unavailable', ...API_PROBLEMS),
  },
});

/** `POST /api/tenants/{tenantId}/restore`. */
export const restoreRoute = createRoute({
  method: 'post',
  path: '/{tenantId}/restore',
  operationId: OPERATION_IDS.restore,
  tags,
  security: BEARER_SECURITY,
  summary: "Restore the tenant's database",
  description:
    'Queues a job that builds a new CloudNativePG Cluster beside the serving one, bootstrapped from its archive (bootstrap.recovery through ' +
    'the Barman Cloud plugin) at a completed backup (`backupId`, from the list of backups) or at a point in time (`targetTime`, the WAL ' +
    'replayed up to it). The application moves to it only once it is ready, and the old Cluster is removed once the API and Web run on the ' +
    'new one; a restore that fails before that leaves the tenant on its old database, untouched. The Secrets and the application password ' +
    'stay the same. 409 for a tier without backups, a hibernated tenant, a restore already under way or a tenant being removed; 422 for a ' +
    'backup id that is no completed backup of the serving database, or a time before its first completed backup ended or in the future; ' +
    'a body that is not JSON is a 400.',
  request: {
    params: TenantIdParams,
    body: { required: true, content: { 'application/json': { schema: RestoreRequest, example: { backupId: '20261204T183001' } } } },
  },
  responses: {
    202: acceptedResponse,
    ...errorResponses('bad_request', 'validation_failed', 'not_found', 'conflict', 'payload_too_large', 'dependency_unavailable', ...API_PROBLEMS),
  },
});
