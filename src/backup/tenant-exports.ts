import type { Config } from '../config/config.schema.ts';
import { DependencyUnavailableError, NotFoundError } from '../domain/errors.ts';
import { tenantRef } from '../lifecycle/tenant-ref.ts';
import { callOptions } from '../kubernetes/kube-call.ts';
import type { Kubernetes } from '../kubernetes/kube-client.ts';
import { isNotFound } from '../kubernetes/kube-errors.ts';
import { jobVerdict } from '../kubernetes/run-job.ts';
import { classifyStoreError, openS3Client } from './object-store-probe.ts';
import { readTenantS3Access } from './tenant-store-check.ts';

/** An export as a client sees it: its Job's progress, then the dump in the store with a download URL minted on each read. */
export type TenantExport = {
  exportId: string;
  state: 'running' | 'completed' | 'failed';
  sizeBytes: number | null;
  completedAt: string | null;
  error: string | null;
  download: { url: string; expiresAt: string } | null;
};

/** The dump's key under the tenant's own prefix: beside its backups' server directory, never inside it (Barman's retention would delete it). */
export const exportObjectKey = (tenantPrefix: string, exportId: string) => `${tenantPrefix}/exports/${exportId}.dump`;

const STORE = 'The object store';

/**
 * Exports in the tenant's object-store prefix, read with the tenant's own keys (the copy in its
 * namespace), so what this hands out is what those keys may reach and nothing else. Every store
 * call is real S3 traffic; GCS and Azure stores have no exports (the intake refuses them).
 */
export function createTenantExports(deps: { config: Config; kube: Pick<Kubernetes, 'core' | 'batch'>; now?: () => Date }) {
  const backup = deps.config.platform.backup;
  const now = () => deps.now?.() ?? new Date();

  async function store(tenantId: string, signal?: AbortSignal) {
    const { namespace } = tenantRef(deps.config, tenantId);
    const access = await readTenantS3Access(deps.kube.core, backup, { tenantId, namespace }, signal).catch((error: unknown) => {
      // A tier without backups has no copy of the store's keys, so nothing of its is in the store.
      if (isNotFound(error)) return { notProbed: 'its tier has no backup store' };
      throw error;
    });
    if ('notProbed' in access) throw new NotFoundError(`Tenant ${tenantId} has no exports: ${access.notProbed}`);
    if ('failure' in access) throw new DependencyUnavailableError(STORE, access.failure, access.failure.message);
    return { ...access, client: await openS3Client(access.location, access.credentials) };
  }

  const storeError = (error: unknown) =>
    new DependencyUnavailableError(STORE, error, `${STORE} refused or did not answer (${classifyStoreError(error)}); try again shortly`);

  /** The dump's size and time, or undefined when it is not (yet) in the store. */
  async function head(tenantId: string, exportId: string, signal?: AbortSignal) {
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    const s = await store(tenantId, signal);
    try {
      const key = exportObjectKey(s.location.prefix, exportId);
      const found = await s.client.send(new HeadObjectCommand({ Bucket: s.location.bucket, Key: key }), { abortSignal: signal });
      return { key, sizeBytes: found.ContentLength ?? null, completedAt: found.LastModified?.toISOString() ?? null };
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw storeError(error);
    } finally {
      s.client.destroy();
    }
  }

  /** A presigned GET of the dump, good for platform.backup.exports.urlExpirySeconds. */
  async function downloadUrl(tenantId: string, exportId: string) {
    const [{ GetObjectCommand }, { getSignedUrl }] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')]);
    const s = await store(tenantId);
    try {
      const expiresIn = backup.exports.urlExpirySeconds;
      const command = new GetObjectCommand({
        Bucket: s.location.bucket,
        Key: exportObjectKey(s.location.prefix, exportId),
        ResponseContentDisposition: `attachment; filename="${exportId}.dump"`,
      });
      const signedAt = now();
      const url = await getSignedUrl(s.client, command, { expiresIn, signingDate: signedAt });
      return { url, expiresAt: new Date(signedAt.getTime() + expiresIn * 1000).toISOString() };
    } finally {
      s.client.destroy();
    }
  }

  return {
    head,

    /** The dumps in the tenant's prefix, newest first (a Job's progress is the job's; this is what is there to download). */
    async list(tenantId: string): Promise<Array<{ exportId: string; sizeBytes: number | null; completedAt: string | null }>> {
      const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
      // An existing tenant whose tier has no store has exported nothing: an empty list, not a 404.
      const s = await store(tenantId).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      if (!s) return [];
      try {
        const prefix = exportObjectKey(s.location.prefix, '').replace(/\.dump$/, '');
        const found: Array<{ exportId: string; sizeBytes: number | null; completedAt: string | null }> = [];
        let token: string | undefined;
        do {
          const page = await s.client.send(new ListObjectsV2Command({ Bucket: s.location.bucket, Prefix: prefix, ContinuationToken: token }));
          for (const o of page.Contents ?? []) {
            const exportId = o.Key?.slice(prefix.length).replace(/\.dump$/, '');
            if (exportId && !exportId.includes('/')) found.push({ exportId, sizeBytes: o.Size ?? null, completedAt: o.LastModified?.toISOString() ?? null });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return found.sort((a, b) => b.exportId.localeCompare(a.exportId));
      } catch (error) {
        throw storeError(error);
      } finally {
        s.client.destroy();
      }
    },

    /**
     * One export: its dump in the store (completed, with a fresh download URL), or else its Job's
     * verdict while it runs or after it failed. Neither: no such export (404).
     */
    async describe(tenantId: string, exportId: string): Promise<TenantExport> {
      const missing = () => new NotFoundError(`Tenant ${tenantId} has no export ${exportId}`);
      if (!exportId.startsWith(`${tenantId}-`)) throw missing();
      const { namespace } = tenantRef(deps.config, tenantId);
      const dump = await head(tenantId, exportId);
      const none = { sizeBytes: null, completedAt: null, error: null, download: null };
      if (dump)
        return {
          exportId,
          state: 'completed',
          sizeBytes: dump.sizeBytes,
          completedAt: dump.completedAt,
          error: null,
          download: await downloadUrl(tenantId, exportId),
        };
      const job = await deps.kube.batch.readNamespacedJob({ namespace, name: exportId }, callOptions(undefined)).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      });
      if (!job) throw missing();
      const verdict = jobVerdict(job);
      if (!verdict.done) return { exportId, state: 'running', ...none };
      const error = verdict.value.passed ? `${exportId} succeeded but its dump is not in the store` : verdict.value.reason;
      return { exportId, state: 'failed', ...none, error };
    },
  };
}
export type TenantExports = ReturnType<typeof createTenantExports>;
