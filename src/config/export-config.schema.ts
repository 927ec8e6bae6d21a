import { z } from 'zod';
import { ImageRef } from '../domain/image.ts';

/**
 * Tenant exports (POST /api/tenants/{id}/exports): a `pg_dump` of the tenant's database, run as a Job
 * in its namespace and uploaded under its own prefix in the backup store, handed out as a
 * short-lived presigned URL. The dump runs in the tenant's PostgreSQL image (platform.images.postgres,
 * so pg_dump is the server's own major version); the upload in this image.
 */
export const ExportsConfig = z
  .strictObject({
    uploadImage: ImageRef.describe('Image of the upload container; it must have the AWS CLI v2 (`aws s3 cp`) on its PATH, such as amazon/aws-cli'),
    urlExpirySeconds: z
      .int()
      .min(1)
      .max(604_800)
      .describe("How long a download URL works once minted (GET /api/tenants/{id}/exports/{exportId}); at most 7 days, SigV4's own limit"),
    keepFinishedSeconds: z
      .int()
      .min(0)
      .max(30 * 86_400)
      .describe(
        "The export Job's ttlSecondsAfterFinished: its pods' logs stay this long; the dump itself stays in the store until the store's own lifecycle rules remove it",
      ),
  })
  .describe('Tenant exports (pg_dump to the backup store, S3 stores only)');
export type ExportsConfig = z.infer<typeof ExportsConfig>;
