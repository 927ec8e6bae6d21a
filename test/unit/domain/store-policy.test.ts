import { describe, expect, it } from 'vitest';
import { prefixStatements, readStatements, restated } from '../../../src/domain/store-policy.ts';

describe('bucket policy statements of tenant accounts', () => {
  const a = prefixStatements('backups', 'tenants/a', 'KEYA');
  const b = prefixStatements('backups', 'tenants/b', 'KEYB');

  it("grants an account its prefix's objects and a listing of that prefix alone", () => {
    expect(a.map((s) => [s.Action, s.Resource, s.Condition])).toEqual([
      [
        ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        ['arn:aws:s3:::backups/tenants/a/*'],
        undefined,
      ],
      [['s3:ListBucket'], ['arn:aws:s3:::backups'], { StringLike: { 's3:prefix': ['tenants/a/*'] } }],
    ]);
    expect(readStatements('backups', 'tenants/a', 'KEYC').flatMap((s) => s.Action)).toEqual(['s3:GetObject', 's3:ListBucket']);
  });

  it("replaces one account's statements, keeps the others', and asks for no write when nothing changes", () => {
    expect(restated([...a, ...b], 'KEYA', a)).toBeUndefined();
    const widened = [...a, ...readStatements('backups', 'tenants/b', 'KEYA')];
    expect(restated([...a, ...b], 'KEYA', widened)).toEqual([...b, ...widened]);
    expect(restated([...a, ...b], 'KEYA', [])).toEqual(b);
    expect(restated(b, 'KEYA', [])).toBeUndefined();
    expect(restated([], 'KEYA', a)).toEqual(a);
  });
});
