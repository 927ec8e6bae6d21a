import { createHash } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { PlatformConfig } from '../config/platform-config.schema.ts';
import { DEFAULT_S3_REGION } from '../domain/backup-store.ts';
import { DependencyUnavailableError } from '../domain/errors.ts';
import { prefixStatements, readStatements, restated, type BucketPolicy, type PolicyStatement } from '../domain/store-policy.ts';
import { TENANT_SECRET_KEYS, tenantSecretNames } from '../domain/tenant-secrets.ts';
import { callOptions } from '../kubernetes/kube-call.ts';
import { isNotFound } from '../kubernetes/kube-errors.ts';
import { ensureOwnBackupKeys, secretText } from '../kubernetes/tenant-secrets.ts';
import { createRedisLocks, type RedisLocks } from '../services/redis-locks.ts';
import { PermanentError } from '../worker/failure.ts';
import { classifyStoreError, openS3Client, parseS3Url, PROBE_TIMEOUT_MS, tenantKeyPrefix, type S3Credentials } from './object-store-probe.ts';
import { createVersitygwAdmin, type AdminAnswer } from './versitygw-admin.ts';

/**
 * Per-tenant store accounts (platform.backup.tenantAccounts: versitygw): each backup tenant gets an
 * account of its own on the store, with keys made here and kept only in its namespace, which the
 * bucket policy lets reach `{destinationPrefix}/{tenantId}/` and nothing else; the purge deletes
 * the account. The platform Secret then holds a versitygw admin account's keys, used for the admin
 * API and the bucket policy only, never copied into a tenant's namespace.
 */
export interface StoreAccounts {
  /**
   * Its keys (made once), its account with them and its statements in the policy; `readFrom`, the
   * destinations (s3://…) it may also read, as a clone its source's backups. Whether the keys' Secret
   * was made now.
   */
  ensure(tenant: { tenantId: string; namespace: string; readFrom?: readonly string[] }, signal?: AbortSignal): Promise<boolean>;
  /**
   * Its statements out of the policy and its account deleted, when its namespace holds keys of its
   * own (a tier without backups, or keys copied before accounts were on, has none to remove).
   */
  remove(tenant: { tenantId: string; namespace: string }, signal?: AbortSignal): Promise<void>;
}

/** A tenant's access key id: derived from its id, so a purge finds the account after the namespace is gone. */
export const tenantAccessKeyId = (tenantId: string) => `TP${createHash('sha256').update(tenantId).digest('hex').slice(0, 18).toUpperCase()}`;

const STORE = 'The object store';
const POLICY_LOCK = 'store-policy';

export function createStoreAccounts(deps: { backup: PlatformConfig['backup']; core: CoreV1Api; locks: RedisLocks }): StoreAccounts {
  const { backup, core } = deps;
  const K = TENANT_SECRET_KEYS.backupCredentials;
  const { bucket, prefix } = parseS3Url(backup.destinationPrefix ?? 's3://unset');
  const tenantPrefix = (tenantId: string) => tenantKeyPrefix(prefix, tenantId);

  /** The admin account's keys, and what the tenants' Secrets carry beside their own keys (region, CA). */
  async function platform(signal?: AbortSignal) {
    const source = backup.credentialsSecret!;
    const found = await core.readNamespacedSecret(source, callOptions(signal));
    const data = found.data ?? {};
    const text = (key: string) => secretText(found, key);
    const credentials: S3Credentials = { accessKeyId: text(K.accessKeyId), secretAccessKey: text(K.secretAccessKey) };
    const extra = Object.fromEntries([K.region, K.endpointCA].flatMap((key) => (data[key] ? [[key, data[key]]] : [])));
    const region = (backup.s3?.region ? text(K.region) : '') || DEFAULT_S3_REGION;
    const admin = createVersitygwAdmin({ endpoint: backup.endpointUrl!, region, credentials, timeoutMs: PROBE_TIMEOUT_MS });
    return { credentials, extra, region, admin };
  }

  const refused = (what: string, answer: AdminAnswer) => {
    if (answer.status === 401 || answer.status === 403) {
      return new PermanentError(
        `${STORE} refused to ${what} (${answer.code ?? answer.status}): platform.backup.credentialsSecret must hold a versitygw admin account's keys`,
      );
    }
    return new DependencyUnavailableError(STORE, undefined, `${STORE} could not ${what} (${answer.code ?? answer.status}); try again shortly`);
  };

  /** Rewrites the bucket's policy with this key's statements replaced by `wanted`, one writer at a time. */
  async function restate(p: Awaited<ReturnType<typeof platform>>, accessKeyId: string, wanted: PolicyStatement[]) {
    const { GetBucketPolicyCommand, PutBucketPolicyCommand, DeleteBucketPolicyCommand } = await import('@aws-sdk/client-s3');
    await deps.locks.withLock(POLICY_LOCK, async () => {
      const client = await openS3Client({ endpoint: backup.endpointUrl, region: p.region }, p.credentials);
      try {
        const current = await client.send(new GetBucketPolicyCommand({ Bucket: bucket })).then(
          (r) => (JSON.parse(r.Policy ?? '{}') as Partial<BucketPolicy>).Statement ?? [],
          (error: unknown) => {
            if ((error as { name?: string }).name === 'NoSuchBucketPolicy') return [];
            throw error;
          },
        );
        const next = restated(current, accessKeyId, wanted);
        if (!next) return;
        // A policy without statements is refused (as by S3): the last account's removal deletes it.
        if (next.length === 0) await client.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
        else await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: next }) }));
      } catch (error) {
        if (error instanceof PermanentError) throw error;
        throw new DependencyUnavailableError(STORE, error, `${STORE} refused the bucket policy (${classifyStoreError(error)}); try again shortly`);
      } finally {
        client.destroy();
      }
    });
  }

  /** Whether the store takes these keys (an account made before with another secret does not). */
  async function keysWork(p: Awaited<ReturnType<typeof platform>>, tenantId: string, keys: S3Credentials) {
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const client = await openS3Client({ endpoint: backup.endpointUrl, region: p.region }, keys);
    try {
      await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${tenantPrefix(tenantId)}/`, MaxKeys: 1 }));
      return true;
    } catch (error) {
      // Denied is a key the store knows (its statements may not be there yet).
      return classifyStoreError(error) !== 'credentials';
    } finally {
      client.destroy();
    }
  }

  return {
    async ensure(tenant, signal) {
      const p = await platform(signal);
      const accessKeyId = tenantAccessKeyId(tenant.tenantId);
      const keys = await ensureOwnBackupKeys(core, { tenantId: tenant.tenantId, namespace: tenant.namespace, accessKeyId, extra: p.extra }, signal);
      const account = `<Account><Access>${keys.accessKeyId}</Access><Secret>${keys.secretAccessKey}</Secret><Role>user</Role><UserID>0</UserID><GroupID>0</GroupID><ProjectID>0</ProjectID></Account>`;
      const made = await p.admin.call('create-user', {}, account, signal);
      if (made.code === 'XAdminUserExists' && !(await keysWork(p, tenant.tenantId, keys))) {
        // Left from an earlier life of this id with other keys: made again with the ones in the namespace.
        await p.admin.call('delete-user', { access: keys.accessKeyId }, '', signal);
        const again = await p.admin.call('create-user', {}, account, signal);
        if (again.status >= 300) throw refused(`make the account of ${tenant.tenantId}`, again);
      } else if (made.status >= 300 && made.code !== 'XAdminUserExists') throw refused(`make the account of ${tenant.tenantId}`, made);
      const reads = (tenant.readFrom ?? []).flatMap((url) => readStatements(bucket, parseS3Url(url).prefix, keys.accessKeyId));
      await restate(p, keys.accessKeyId, [...prefixStatements(bucket, tenantPrefix(tenant.tenantId), keys.accessKeyId), ...reads]);
      return keys.created;
    },

    async remove({ tenantId, namespace }, signal) {
      const accessKeyId = tenantAccessKeyId(tenantId);
      const name = tenantSecretNames(tenantId).backupCredentials;
      const own = await core.readNamespacedSecret({ namespace, name }, callOptions(signal)).then(
        (found) => secretText(found, K.accessKeyId) === accessKeyId,
        (error: unknown) => {
          if (isNotFound(error)) return false;
          throw error;
        },
      );
      if (!own) return;
      const p = await platform(signal);
      await restate(p, accessKeyId, []);
      const gone = await p.admin.call('delete-user', { access: accessKeyId }, '', signal);
      if (gone.status >= 300 && gone.status !== 404 && gone.code !== 'XAdminUserNotFound') throw refused(`delete the account of ${tenantId}`, gone);
    },
  };
}

/**
 * The accounts platform.backup.tenantAccounts asks for, or undefined (the platform's keys are
 * copied). One bucket policy holds every tenant's statements: its rewrites take turns across workers
 * under a Redis lock (`${prefix}:lock:store-policy`).
 */
export function storeAccountsFor(backup: PlatformConfig['backup'], core: CoreV1Api, redis: Parameters<typeof createRedisLocks>[0], prefix: string) {
  if (backup.tenantAccounts !== 'versitygw') return undefined;
  return createStoreAccounts({ backup, core, locks: createRedisLocks(redis, { prefix: `${prefix}:lock`, ttlMs: 30_000, waitMs: 60_000 }) });
}
