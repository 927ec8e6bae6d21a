import { createHash, createHmac } from 'node:crypto';
import { DeleteBucketPolicyCommand, GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { isFor, prefixStatements, type BucketPolicy as Policy, type PolicyStatement as Statement } from '../../src/domain/store-policy.ts';
import { newCredentials, s3Client, type ObjectStoreCredentials, type ObjectStoreInfo } from '../sandbox/object-store.ts';

/**
 * Users of the sandbox's versitygw restricted to one prefix of its bucket, the way a tenant's backup
 * credentials should be: the account is made with versitygw's admin API, and the rights are
 * statements in the bucket's policy naming the account's access key as principal. The exact
 * requests are written out in test/sandbox/README.md ("Per-prefix users").
 */

export type PrefixUser = ObjectStoreCredentials & { prefix: string };

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
// RFC 3986, as SigV4 wants it: encodeURIComponent leaves !'()* alone.
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * One admin API call: `PATCH <endpoint><path>`, SigV4-signed for service `s3` in the gateway's
 * region by the root (or an `admin` role) account. versitygw refuses an unsigned payload here, so
 * `x-amz-content-sha256` is the body's hash.
 */
export async function adminRequest(store: ObjectStoreInfo, path: string, query: Record<string, string>, body = ''): Promise<string> {
  const url = new URL(path, store.endpoint);
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${rfc3986(k)}=${rfc3986(query[k]!)}`)
    .join('&');
  url.search = canonicalQuery;
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256(body);
  const headers = { host: url.host, 'x-amz-content-sha256': payloadHash, 'x-amz-date': amzDate };
  const signedHeaders = Object.keys(headers).join(';');
  const canonicalRequest = [
    'PATCH',
    url.pathname,
    canonicalQuery,
    ...Object.entries(headers).map(([k, v]) => `${k}:${v}`),
    '',
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${store.region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const { accessKeyId, secretAccessKey } = store.rootCredentials;
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), store.region), 's3'), 'aws4_request');
  const signature = hmac(signingKey, stringToSign).toString('hex');
  const response = await fetch(url, {
    method: 'PATCH',
    headers: {
      'x-amz-content-sha256': payloadHash,
      'x-amz-date': amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    },
    body: body === '' ? undefined : body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`versitygw admin ${path}: ${response.status} ${text}`);
  return text;
}

/**
 * Rewrites the bucket policy with `change` applied to its statements. The policy is one document per
 * bucket, so this is a read-modify-write: callers changing it at once must take turns.
 */
async function updatePolicy(store: ObjectStoreInfo, change: (statements: Statement[]) => Statement[]): Promise<void> {
  const client = s3Client(store.endpoint, store.rootCredentials);
  try {
    const current = await client.send(new GetBucketPolicyCommand({ Bucket: store.bucket })).then(
      (r) => JSON.parse(r.Policy ?? '{}') as Policy,
      (error: unknown) => {
        if ((error as { name?: string }).name === 'NoSuchBucketPolicy') return { Version: '2012-10-17', Statement: [] };
        throw error;
      },
    );
    const statements = change(current.Statement ?? []);
    // versitygw refuses a policy without statements, as S3 does: the last user's removal deletes it.
    if (statements.length === 0) await client.send(new DeleteBucketPolicyCommand({ Bucket: store.bucket }));
    else await client.send(new PutBucketPolicyCommand({ Bucket: store.bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
  } finally {
    client.destroy();
  }
}

/** A new `user`-role account that may read, write, list and delete under `<bucket>/<prefix>/` and nothing else. */
export async function createPrefixUser(store: ObjectStoreInfo, prefix: string): Promise<PrefixUser> {
  const credentials = newCredentials();
  // The account must exist first: versitygw checks a policy's principals against its accounts.
  const account = `<Account><Access>${credentials.accessKeyId}</Access><Secret>${credentials.secretAccessKey}</Secret><Role>user</Role><UserID>0</UserID><GroupID>0</GroupID><ProjectID>0</ProjectID></Account>`;
  await adminRequest(store, '/create-user', {}, account);
  await updatePolicy(store, (statements) => [
    ...statements.filter((s) => !isFor(credentials.accessKeyId)(s)),
    ...prefixStatements(store.bucket, prefix, credentials.accessKeyId),
  ]);
  return { ...credentials, prefix };
}

/** Revokes the user's statements, then deletes the account. */
export async function deletePrefixUser(store: ObjectStoreInfo, user: Pick<PrefixUser, 'accessKeyId'>): Promise<void> {
  await updatePolicy(store, (statements) => statements.filter((s) => !isFor(user.accessKeyId)(s)));
  await adminRequest(store, '/delete-user', { access: user.accessKeyId });
}
