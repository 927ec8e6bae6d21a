import type { CoreV1Api } from '@kubernetes/client-node';
import type { PlatformConfig } from '../config/platform-config.schema.ts';
import { TENANT_SECRET_KEYS, tenantSecretNames } from '../domain/tenant-secrets.ts';
import { callOptions } from '../kubernetes/kube-call.ts';
import { DEFAULT_S3_REGION } from '../domain/backup-store.ts';
import { parseS3Url, tenantKeyPrefix, probeObjectStore, type ProbeFailure, type S3Credentials, type S3Location } from './object-store-probe.ts';

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
  const access = await readTenantS3Access(core, backup, tenant, signal);
  if ('failure' in access) return access;
  if ('notProbed' in access) return { ok: 'not-probed', reason: access.notProbed };
  const failure = await probeObjectStore(access.location, access.credentials, signal);
  return failure ? { ok: false, failure } : { ok: true, where: `s3://${access.location.bucket}/${access.location.prefix}` };
}

/** Where a tenant's prefix is and the credentials in its namespace that reach it; or why there is none to use. */
export type TenantS3Access = { location: S3Location; credentials: S3Credentials } | { ok: false; failure: ProbeFailure } | { notProbed: string };

/**
 * The tenant's prefix in an S3 store and its own copy of the keys (the Secret in its namespace),
 * for the preflight's marker and the exports' listing, checks and download URLs.
 */
export async function readTenantS3Access(
  core: CoreV1Api,
  backup: PlatformConfig['backup'],
  tenant: { tenantId: string; namespace: string },
  signal?: AbortSignal,
): Promise<TenantS3Access> {
  if (backup.provider !== 's3') return { notProbed: `${backup.provider} stores are not probed` };
  if (!backup.destinationPrefix) return { notProbed: 'no destination configured' };
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
    prefix: tenantKeyPrefix(prefix, tenant.tenantId),
  };
  return { location, credentials: { accessKeyId, secretAccessKey } };
}
