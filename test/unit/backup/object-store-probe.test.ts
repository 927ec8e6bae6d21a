import { describe, expect, it } from 'vitest';
import { classifyStoreError, parseS3Url } from '../../../src/backup/object-store-probe.ts';

const s3Error = (name: string, status?: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('parseS3Url', () => {
  it('splits bucket and prefix, dropping trailing slashes', () => {
    expect(parseS3Url('s3://backups/tenants/acme/')).toEqual({ bucket: 'backups', prefix: 'tenants/acme' });
    expect(parseS3Url('s3://backups')).toEqual({ bucket: 'backups', prefix: '' });
  });

  it('refuses anything else', () => {
    expect(() => parseS3Url('gs://backups/x')).toThrow(/not an s3:\/\/ URL/);
  });
});

describe('classifyStoreError', () => {
  it.each([
    ['InvalidAccessKeyId', 403, 'credentials'],
    ['SignatureDoesNotMatch', 403, 'credentials'],
    ['NoSuchBucket', 404, 'bucket'],
    ['AccessDenied', 403, 'denied'],
    ['Forbidden', 403, 'denied'],
    ['InternalError', 500, 'unreachable'],
    ['SlowDown', 503, 'unreachable'],
    ['TimeoutError', undefined, 'unreachable'],
  ] as const)('%s (%s) is %s', (name, status, kind) => {
    expect(classifyStoreError(s3Error(name, status))).toBe(kind);
  });

  it('a refused or unresolvable connection is unreachable', () => {
    expect(classifyStoreError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe('unreachable');
    expect(classifyStoreError(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }))).toBe('unreachable');
  });
});
