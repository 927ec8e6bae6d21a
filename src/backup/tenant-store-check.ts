import type { CoreV1Api } from '@kubernetes/client-node';
import type { PlatformConfig } from '../config/platform-config.schema.ts';
import { TENANT_SECRET_KEYS, tenantSecretNames } from '../domain/tenant-secrets.ts';
import { callOptions } from '../kubernetes/kube-call.ts';
import { parseS3Url, probeObjectStore, type ProbeFailure } from './object-store-probe.ts';

/** The region an S3 client signs for when the credentials Secret names none (what AWS assumes too). */
export const DEFAULT_S3_REGION = 'us-east-1';

/** What the check found: the store works, it failed (with why), or it was not probed (and why not). */
export type StoreCheck = { ok: true; where: string } | { ok: false; failure: ProbeFailure } | { ok: 'not-probed'; reason: string };

/**
 * The preflight of a tenant's backups: the marker round trip under the tenant's own prefix, with
 * the credentials its database will use (the copy in its namespace, not the platform's), so a
 * wrong key, a missing bucket or a store that does not answer is found before the database is
 * made, not at the first WAL archive. S3 and S3-compatible stores only; GCS and Azure stores are
 * configured and rendered but not probed (no client for them here; the README says so).
 */
export async function checkTenantBackupStore(
  core: CoreV1Api,
  backup: PlatformConfig['backup'],
  tenant: { tenantId: string; namespace: string },
  signal?: AbortSignal,
): Promise<StoreCheck> {
  if (backup.provider !== 's3') return { ok: 'not-probed', reason: `${backup.provider} stores are not probed` };
  if (!backup.destinationPrefix) return { ok: 'not-probed', reason: 'no destination configured' };
  const secret = await core.readNamespacedSecret(
    { namespace: tenant.namespace, name: tenantSecretNames(tenant.tenantId).backupCredentials },
    callOptions(signal),
  );
  const KEYS = TENANT_SECRET_KEYS.backupCredentials;
  const read = (key: string) => {
    const value = secret.data?.[key];
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
  };
  const accessKeyId = read(KEYS.accessKeyId);
  const secretAccessKey = read(KEYS.secretAccessKey);
  if (!accessKeyId || !secretAccessKey) {
    return {
      ok: false,
      failure: { kind: 'credentials', message: `backup credentials Secret of ${tenant.tenantId} lacks ${KEYS.accessKeyId} or ${KEYS.secretAccessKey}` },
    };
  }
  const { bucket, prefix } = parseS3Url(backup.destinationPrefix);
  const location = {
    endpoint: backup.endpointUrl,
    region: (backup.s3?.region ? read(KEYS.region) : undefined) ?? DEFAULT_S3_REGION,
    bucket,
    prefix: prefix ? `${prefix}/${tenant.tenantId}` : tenant.tenantId,
  };
  const failure = await probeObjectStore(location, { accessKeyId, secretAccessKey }, signal);
  return failure ? { ok: false, failure } : { ok: true, where: `s3://${bucket}/${location.prefix}` };
}
