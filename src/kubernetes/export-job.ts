import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import { DEFAULT_S3_REGION } from '../domain/backup-store.ts';
import type { ImageRef } from '../domain/image.ts';
import { TENANT_SECRET_KEYS } from '../domain/tenant-secrets.ts';

/** The label the tenant chart's export NetworkPolicy selects (charts/mechanicbuddy-tenant/templates/export.yaml). */
export const EXPORT_COMPONENT = 'export';

/**
 * One `pg_dump` of a tenant's database uploaded to the object store, as a Job in its namespace.
 * Everything here is visible in the Job spec, so no secret goes in: the database password and the
 * store's keys reach the containers from the tenant's own Secrets by reference.
 */
export type ExportJob = {
  namespace: string;
  /** The export's id: the Job's name and the dump's file name. */
  name: string;
  /** The tenant's Helm release: the chart's export NetworkPolicy lets this release's export pods reach its database. */
  release: string;
  tenantId: string;
  /** The tenant's PostgreSQL image: its pg_dump is the server's own major version. */
  postgresImage: ImageRef;
  uploadImage: ImageRef;
  /** The CloudNativePG Cluster serving the application (its `-rw` Service) and the database in it. */
  database: { cluster: string; name: string };
  /** The tenant's Secrets: the database owner's credentials, and its copy of the store's keys. */
  secrets: { database: string; store: string };
  /** `s3://bucket/key`, and the endpoint of an S3-compatible store (null: AWS). */
  destination: { url: string; endpoint: string | null };
  /** The store's region comes from the credentials Secret (platform.backup.s3.region), or is us-east-1. */
  regionFromSecret: boolean;
  /** The credentials Secret holds the endpoint's CA bundle (platform.backup.endpointCA). */
  endpointCA: boolean;
  /** activeDeadlineSeconds: scheduling, the dump and the upload together. */
  deadlineSeconds: number;
  /** ttlSecondsAfterFinished. */
  keepFinishedSeconds: number;
};

// The PostgreSQL image's own user (CloudNativePG's images run as 26); the AWS CLI runs as anyone with a writable HOME.
const POSTGRES_UID = 26;
const RESOURCES = { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '250m', memory: '256Mi' } };
const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
const DUMP_FILE = '/export/dump';
const CA_FILE = '/store-ca/ca.pem';

const fromSecret = (name: string, secret: string, key: string): V1EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });

export function exportJobManifest(job: ExportJob): V1Job {
  const labels = {
    'app.kubernetes.io/instance': job.release,
    'app.kubernetes.io/component': EXPORT_COMPONENT,
    'app.kubernetes.io/managed-by': 'tenant-provisioner',
    'tenant-provisioner.io/tenant-id': job.tenantId,
  };
  const db = TENANT_SECRET_KEYS.database;
  const store = TENANT_SECRET_KEYS.backupCredentials;
  const image = (ref: ImageRef) => `${ref.repository}:${ref.tag}`;
  const uploadArgs = ['s3', 'cp', DUMP_FILE, job.destination.url, '--only-show-errors'];
  if (job.destination.endpoint) uploadArgs.push('--endpoint-url', job.destination.endpoint);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: job.name, namespace: job.namespace, labels },
    spec: {
      // One retry for a pod lost with its node; a dump that fails twice fails the export.
      backoffLimit: 1,
      activeDeadlineSeconds: job.deadlineSeconds,
      ttlSecondsAfterFinished: job.keepFinishedSeconds,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: POSTGRES_UID,
            runAsGroup: POSTGRES_UID,
            fsGroup: POSTGRES_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          // The dump first, to a volume of the pod's own: the upload starts only from a whole, finished file.
          initContainers: [
            {
              name: 'dump',
              image: image(job.postgresImage),
              command: ['pg_dump'],
              args: ['--format=custom', '--no-owner', '--no-privileges', `--file=${DUMP_FILE}`],
              env: [
                { name: 'PGHOST', value: `${job.database.cluster}-rw` },
                { name: 'PGPORT', value: '5432' },
                { name: 'PGDATABASE', value: job.database.name },
                { name: 'PGSSLMODE', value: 'require' },
                fromSecret('PGUSER', job.secrets.database, db.username),
                fromSecret('PGPASSWORD', job.secrets.database, db.password),
              ],
              volumeMounts: [{ name: 'export', mountPath: '/export' }],
              resources: RESOURCES,
              securityContext: CONTAINER_SECURITY,
            },
          ],
          containers: [
            {
              name: 'upload',
              image: image(job.uploadImage),
              command: ['aws'],
              args: uploadArgs,
              env: [
                { name: 'HOME', value: '/tmp' },
                fromSecret('AWS_ACCESS_KEY_ID', job.secrets.store, store.accessKeyId),
                fromSecret('AWS_SECRET_ACCESS_KEY', job.secrets.store, store.secretAccessKey),
                job.regionFromSecret
                  ? fromSecret('AWS_DEFAULT_REGION', job.secrets.store, store.region)
                  : { name: 'AWS_DEFAULT_REGION', value: DEFAULT_S3_REGION },
                ...(job.endpointCA ? [{ name: 'AWS_CA_BUNDLE', value: CA_FILE }] : []),
              ],
              volumeMounts: [
                { name: 'export', mountPath: '/export', readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
                ...(job.endpointCA ? [{ name: 'store-ca', mountPath: '/store-ca', readOnly: true }] : []),
              ],
              resources: RESOURCES,
              securityContext: CONTAINER_SECURITY,
            },
          ],
          volumes: [
            { name: 'export', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
            ...(job.endpointCA ? [{ name: 'store-ca', secret: { secretName: job.secrets.store, items: [{ key: store.endpointCA, path: 'ca.pem' }] } }] : []),
          ],
        },
      },
    },
  };
}
