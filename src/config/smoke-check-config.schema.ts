import { z } from 'zod';
import { ImageRef } from '../domain/image.ts';

const UrlPath = z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/, 'must be an absolute URL path such as /health/ready');

/**
 * The optional HTTP check of a staged blue-green slot, run as a Kubernetes Job in the tenant's
 * namespace between "the staged Deployments are ready" and "the Services switch". null: readiness only.
 */
export const SmokeCheckConfig = z
  .strictObject({
    image: ImageRef.describe(
      "Image of the check's pod; it must have `curl` on its PATH (e.g. curlimages/curl). Its tag ends in `bad` only in the sandbox, where such a pod fails",
    ),
    apiPath: UrlPath.default('/health/ready').describe(
      "Path requested on the staged slot's API; its readiness endpoint checks the database too (default /health/ready)",
    ),
    webPath: UrlPath.nullable()
      .default('/api/health')
      .describe("Path requested on the staged slot's Web server; null checks the API only (default /api/health)"),
    timeoutSeconds: z
      .int()
      .min(5)
      .max(900)
      .default(60)
      .describe("The Job's activeDeadlineSeconds: the pod's scheduling, image pull and requests must fit (default 60); the worker gives up 30 s later"),
    keepFinishedSeconds: z
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(3600)
      .describe(
        "The Job's ttlSecondsAfterFinished: a finished check (its pod's log) stays this long for inspection, then Kubernetes removes it (default 3600)",
      ),
  })
  .nullable()
  .describe(
    'An HTTP check of the staged slot before the switch, run as a Job in the tenant namespace: a failed or timed-out check abandons the switch like a slot that never became ready. null (default): readiness only',
  );
export type SmokeCheckConfig = z.infer<typeof SmokeCheckConfig>;
