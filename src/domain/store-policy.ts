/**
 * A bucket policy's statements for per-tenant store accounts: each account may read, write, list
 * and delete under its own prefix and nothing else. Pure: store-accounts.ts reads and writes the
 * policy; test/support/object-store-users.ts makes the same statements for its prefix users.
 */
export type PolicyStatement = {
  Effect: 'Allow' | 'Deny';
  Principal: { AWS: string[] };
  Action: string[];
  Resource: string[];
  Condition?: unknown;
};
export type BucketPolicy = { Version: string; Statement: PolicyStatement[] };

/** Objects under `prefix/` (multipart uploads included, as barman-cloud uses them), and listing only that prefix. */
export function prefixStatements(bucket: string, prefix: string, accessKeyId: string): PolicyStatement[] {
  const principal = { AWS: [accessKeyId] };
  return [
    {
      Effect: 'Allow',
      Principal: principal,
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: [`arn:aws:s3:::${bucket}/${prefix}/*`],
    },
    {
      Effect: 'Allow',
      Principal: principal,
      Action: ['s3:ListBucket'],
      Resource: [`arn:aws:s3:::${bucket}`],
      Condition: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
    },
  ];
}

/** Reading under `prefix/` only (a clone's recovery from its source's backups). */
export function readStatements(bucket: string, prefix: string, accessKeyId: string): PolicyStatement[] {
  const principal = { AWS: [accessKeyId] };
  return [
    { Effect: 'Allow', Principal: principal, Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${bucket}/${prefix}/*`] },
    {
      Effect: 'Allow',
      Principal: principal,
      Action: ['s3:ListBucket'],
      Resource: [`arn:aws:s3:::${bucket}`],
      Condition: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
    },
  ];
}

/** Statements naming this access key alone as principal. */
export const isFor = (accessKeyId: string) => (s: PolicyStatement) => s.Principal?.AWS?.length === 1 && s.Principal.AWS[0] === accessKeyId;

/**
 * The statements with the key's replaced by `wanted` (none: revoked), or undefined when they are
 * already exactly that: a policy is one document per bucket, rewritten only when it must change.
 */
export function restated(current: PolicyStatement[], accessKeyId: string, wanted: PolicyStatement[]): PolicyStatement[] | undefined {
  const others = current.filter((s) => !isFor(accessKeyId)(s));
  const own = current.filter(isFor(accessKeyId));
  return JSON.stringify(own) === JSON.stringify(wanted) ? undefined : [...others, ...wanted];
}
