import { z } from '@hono/zod-openapi';

/**
 * A container image of the tenant stack, as configured and as passed to the chart: one schema, so
 * the configuration refuses what the values builder would. The tag is pinned: `latest` would make
 * two installs of the same revision run different code.
 */
export const ImageRef = z.strictObject({
  repository: z
    .string()
    .regex(/^([a-zA-Z0-9.-]+(:[0-9]+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, 'must be an image repository such as ghcr.io/org/name')
    .describe('Image repository, without tag'),
  tag: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be an image tag')
    .refine((tag) => tag !== 'latest', 'must be pinned to a version; "latest" is not reproducible')
    .describe('Pinned image tag'),
});
export type ImageRef = z.infer<typeof ImageRef>;
