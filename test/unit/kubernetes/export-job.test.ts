import { describe, expect, it } from 'vitest';
import { exportJobManifest, type ExportJob } from '../../../src/kubernetes/export-job.ts';

const job: ExportJob = {
  namespace: 'tenant-shop-b',
  name: 'shop-b-20261205221500-7b1e',
  release: 'tenant-shop-b',
  tenantId: 'shop-b',
  postgresImage: { repository: 'ghcr.io/cloudnative-pg/postgresql', tag: '17.5' },
  uploadImage: { repository: 'docker.io/amazon/aws-cli', tag: '2.22.35' },
  database: { cluster: 'shop-b-postgres', name: 'app' },
  secrets: { database: 'shop-b-db-credentials', store: 'shop-b-backup-credentials' },
  destination: { url: 's3://backups/tenants/shop-b/exports/shop-b-20261205221500-7b1e.dump', endpoint: 'https://s3.example.net' },
  regionFromSecret: true,
  endpointCA: true,
  deadlineSeconds: 3570,
  keepFinishedSeconds: 86_400,
};

describe('the export Job', () => {
  const manifest = exportJobManifest(job);
  const pod = manifest.spec!.template.spec!;
  const containers = [...pod.initContainers!, ...pod.containers];

  it('dumps in the tenant’s PostgreSQL image to a volume of its own, then uploads the finished file to the tenant’s key', () => {
    expect(pod.initContainers!.map((c) => [c.name, c.image, c.command])).toEqual([['dump', 'ghcr.io/cloudnative-pg/postgresql:17.5', ['pg_dump']]]);
    expect(pod.initContainers![0]!.args).toEqual(['--format=custom', '--no-owner', '--no-privileges', '--file=/export/dump']);
    expect(pod.containers.map((c) => [c.name, c.image, c.command, c.args])).toEqual([
      [
        'upload',
        'docker.io/amazon/aws-cli:2.22.35',
        ['aws'],
        ['s3', 'cp', '/export/dump', job.destination.url, '--only-show-errors', '--endpoint-url', 'https://s3.example.net'],
      ],
    ]);
    expect(manifest.metadata?.labels).toMatchObject({ 'app.kubernetes.io/instance': 'tenant-shop-b', 'app.kubernetes.io/component': 'export' });
    expect(manifest.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 3570, ttlSecondsAfterFinished: 86_400 });
    expect(pod).toMatchObject({ restartPolicy: 'Never', automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, runAsUser: 26 } });
  });

  it('carries no credential: the password and the store’s keys come from the tenant’s Secrets by reference', () => {
    const env = containers.flatMap((c) => c.env ?? []);
    const fromSecrets = env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, e.valueFrom!.secretKeyRef!.name, e.valueFrom!.secretKeyRef!.key]);
    expect(fromSecrets).toEqual([
      ['PGUSER', 'shop-b-db-credentials', 'username'],
      ['PGPASSWORD', 'shop-b-db-credentials', 'password'],
      ['AWS_ACCESS_KEY_ID', 'shop-b-backup-credentials', 'ACCESS_KEY_ID'],
      ['AWS_SECRET_ACCESS_KEY', 'shop-b-backup-credentials', 'ACCESS_SECRET_KEY'],
      ['AWS_DEFAULT_REGION', 'shop-b-backup-credentials', 'ACCESS_REGION'],
    ]);
    // Every literal value is a setting, never a key.
    expect(env.filter((e) => e.value !== undefined).map((e) => e.name)).toEqual(['PGHOST', 'PGPORT', 'PGDATABASE', 'PGSSLMODE', 'HOME', 'AWS_CA_BUNDLE']);
    expect(pod.volumes?.find((v) => v.name === 'store-ca')?.secret).toEqual({
      secretName: 'shop-b-backup-credentials',
      items: [{ key: 'ENDPOINT_CA', path: 'ca.pem' }],
    });
  });

  it('uses AWS itself and us-east-1 without an endpoint, a region key or a CA', () => {
    const plain = exportJobManifest({ ...job, destination: { ...job.destination, endpoint: null }, regionFromSecret: false, endpointCA: false });
    const upload = plain.spec!.template.spec!.containers[0]!;
    expect(upload.args).not.toContain('--endpoint-url');
    expect(upload.env).toContainEqual({ name: 'AWS_DEFAULT_REGION', value: 'us-east-1' });
    expect(plain.spec!.template.spec!.volumes!.map((v) => v.name)).toEqual(['export', 'tmp']);
  });
});
