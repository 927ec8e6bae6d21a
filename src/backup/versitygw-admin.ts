import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { DependencyUnavailableError } from '../domain/errors.ts';
import type { S3Credentials } from './object-store-probe.ts';

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData) =>
  typeof data === 'string' ? Buffer.from(data) : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

/** node:crypto's SHA-256 (an HMAC when given a secret) in the shape SignatureV4 takes. */
class Sha256 {
  private hash: Hash | Hmac;
  private readonly secret: SourceData | undefined;
  constructor(secret?: SourceData) {
    this.secret = secret;
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
  update(data: SourceData) {
    this.hash.update(bytes(data));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
  reset() {
    this.hash = this.fresh();
  }
}

/** What versitygw said, S3-style: its error code (`XAdminUserExists`, `XAdminUserNotFound`…) when it refused. */
export type AdminAnswer = { status: number; code: string | undefined; text: string };

export type VersitygwAdmin = { call(action: string, query: Record<string, string>, body?: string, signal?: AbortSignal): Promise<AdminAnswer> };

const STORE = 'The object store';

/**
 * versitygw's admin API: `PATCH /<action>` on the S3 port, SigV4-signed (service s3) by an account
 * with the admin role. The gateway refuses an unsigned payload here, so the body's hash is signed.
 */
export function createVersitygwAdmin(o: { endpoint: string; region: string; credentials: S3Credentials; timeoutMs: number }): VersitygwAdmin {
  const signer = new SignatureV4({ service: 's3', region: o.region, credentials: o.credentials, sha256: Sha256, uriEscapePath: true });
  return {
    async call(action, query, body = '', signal) {
      const url = new URL(`/${action}`, o.endpoint);
      const signed = await signer.sign({
        method: 'PATCH',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { host: url.host, 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex') },
        body,
      });
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      const timeout = AbortSignal.timeout(o.timeoutMs);
      const response = await fetch(url, {
        method: 'PATCH',
        headers: signed.headers,
        body: body === '' ? null : body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      }).catch((error: unknown) => {
        throw new DependencyUnavailableError(STORE, error, `${STORE}'s admin API at ${o.endpoint} did not answer`);
      });
      const text = await response.text();
      return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1], text };
    },
  };
}
