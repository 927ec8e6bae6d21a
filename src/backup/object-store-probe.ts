import { randomBytes, randomUUID } from 'node:crypto';

/** Where a tenant's backups go in an S3-compatible store: its bucket and its own key prefix. */
export type S3Location = { endpoint: string | null; region: string; bucket: string; prefix: string };
export type S3Credentials = { accessKeyId: string; secretAccessKey: string };

/**
 * Why a store failed its probe, each with its own remedy: `unreachable` (network, TLS, timeout;
 * may pass on retry), `credentials` (unknown key or wrong secret), `bucket` (no such bucket),
 * `denied` (the key is valid but may not use this prefix), `mismatch` (what was read back is not
 * what was written: a proxy or a misconfigured gateway).
 */
export type ProbeFailureKind = 'unreachable' | 'credentials' | 'bucket' | 'denied' | 'mismatch';
export type ProbeFailure = { kind: ProbeFailureKind; message: string };

/** Below the API's and a step's deadlines: a store that does not answer in this time is down. */
export const PROBE_TIMEOUT_MS = 10_000;

/** `s3://bucket/some/prefix` → bucket and prefix (no leading or trailing slash). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new Error(`not an s3:// URL: ${url}`);
  return { bucket: match[1]!, prefix: match[2]!.replace(/\/+$/, '') };
}

/** A tenant's key prefix under the destination's prefix. */
export const tenantKeyPrefix = (prefix: string, tenantId: string) => (prefix ? `${prefix}/${tenantId}` : tenantId);

const CREDENTIAL_ERRORS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidClientTokenId', 'ExpiredToken', 'InvalidToken']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE']);

/** Sorts an S3 client error into a probe failure kind, by the service's error code before the HTTP status. */
export function classifyStoreError(error: unknown): ProbeFailureKind {
  const e = (error ?? {}) as { name?: string; Code?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.Code ?? e.name ?? '';
  if (CREDENTIAL_ERRORS.has(name)) return 'credentials';
  if (name === 'NoSuchBucket') return 'bucket';
  if (name === 'AccessDenied' || e.$metadata?.httpStatusCode === 403) return 'denied';
  if (name === 'TimeoutError' || name === 'AbortError' || (e.code !== undefined && NETWORK_CODES.has(e.code))) return 'unreachable';
  const status = e.$metadata?.httpStatusCode;
  return status === undefined || status >= 500 ? 'unreachable' : 'denied';
}

const REMEDY: Record<ProbeFailureKind, string> = {
  unreachable: 'the object store did not answer; check the endpoint URL, the network path and TLS',
  credentials: 'the object store refused the access key; check the credentials Secret',
  bucket: 'the bucket does not exist; create it or fix the destination',
  denied: 'the credentials may not write, read or delete under this prefix; check the key policy',
  mismatch: 'the marker read back differs from the one written; something between the service and the store rewrites objects',
};

function describe(kind: ProbeFailureKind, location: S3Location, error: unknown): string {
  const where = `s3://${location.bucket}/${location.prefix}${location.endpoint ? ` at ${location.endpoint}` : ''}`;
  // The SDK's own message names the code; it never carries the secret key.
  const detail = error instanceof Error ? `: ${error.name}${error.message && error.message !== error.name ? ` (${error.message.split('\n')[0]})` : ''}` : '';
  return `backup store ${where}: ${REMEDY[kind]}${detail}`;
}

/**
 * A client for the location's store with the given keys. One attempt per request: the caller's retry
 * policy (a job's backoff, a client's retry) decides, and every answer must come quickly. The
 * library is loaded on first use, so a process that never talks to a store never pays for it.
 */
export async function openS3Client(location: Pick<S3Location, 'endpoint' | 'region'>, credentials: S3Credentials) {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({
    region: location.region,
    ...(location.endpoint ? { endpoint: location.endpoint, forcePathStyle: true } : {}),
    credentials,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: PROBE_TIMEOUT_MS, requestTimeout: PROBE_TIMEOUT_MS },
  });
}

/**
 * Writes, reads back and deletes a marker object under the location's prefix with the given
 * credentials: the same three rights a backup needs (WAL and base backups are written, restores
 * read, retention deletes). Undefined when all three work.
 */
export async function probeObjectStore(location: S3Location, credentials: S3Credentials, signal?: AbortSignal): Promise<ProbeFailure | undefined> {
  const { PutObjectCommand, GetObjectCommand, DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const client = await openS3Client(location, credentials);
  const deadline = AbortSignal.timeout(PROBE_TIMEOUT_MS * 2);
  const abortSignal = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const key = `${location.prefix ? `${location.prefix}/` : ''}.tenant-provisioner-probe/${randomUUID()}`;
  const body = randomBytes(16).toString('hex');
  try {
    await client.send(new PutObjectCommand({ Bucket: location.bucket, Key: key, Body: body, ContentType: 'text/plain' }), { abortSignal });
    try {
      const read = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }), { abortSignal });
      const text = await read.Body?.transformToString();
      if (text !== body) return { kind: 'mismatch', message: describe('mismatch', location, undefined) };
    } finally {
      await client.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: key }), { abortSignal });
    }
    return undefined;
  } catch (error) {
    signal?.throwIfAborted();
    const kind = classifyStoreError(error);
    return { kind, message: describe(kind, location, error) };
  } finally {
    client.destroy();
  }
}
