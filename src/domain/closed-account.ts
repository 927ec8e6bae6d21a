import { z } from 'zod';

/**
 * A closed account (safe offboarding): its application scaled to zero and its hosts answered by the
 * closed page, its database backed up one last time and hibernated, its namespace (Secrets, volumes)
 * kept until `purgeAfter`, when the expiry sweep purges it. Until then an undelete reopens it as it
 * was, `hibernated` telling whether it was asleep before it closed.
 */
export const ClosedAccount = z.strictObject({
  at: z.iso.datetime(),
  purgeAfter: z.iso.datetime(),
  hibernated: z.boolean(),
});
export type ClosedAccount = z.infer<typeof ClosedAccount>;
