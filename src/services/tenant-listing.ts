import { z } from '@hono/zod-openapi';
import { DependencyUnavailableError, MalformedInputError } from '../domain/errors.ts';
import { LABEL_FILTER_PATTERN, parseLabelFilter } from '../domain/tenant-labels.ts';
import type { TenantRecord } from '../domain/tenant-record.ts';
import { TierName } from '../domain/tiers.ts';
import { TenantVersion, versionOf, VersionPin } from '../domain/tenant-version.ts';
import { kubeStatus } from '../kubernetes/kube-errors.ts';
import type { TenantStore } from '../kubernetes/tenant-store.ts';
import { CLUSTER_DEADLINE_MS, dependencyCall } from './dependency.ts';
import { nominalTenantPhase, TENANT_PHASES } from '../lifecycle/phases.ts';
import { ClosedAccount } from '../domain/closed-account.ts';

/** The query of `GET /api/tenants`; the route validates with it and the listing takes its output. */
export const TenantListQuery = z.object({
  tier: TierName.optional().openapi({ param: { name: 'tier', in: 'query' }, example: 'professional' }),
  phase: z
    .enum(TENANT_PHASES)
    .optional()
    .openapi({ param: { name: 'phase', in: 'query' }, example: 'ready' }),
  label: z
    .string()
    .max(4096)
    .superRefine((text, ctx) => {
      const parsed = parseLabelFilter(text);
      if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
    })
    .optional()
    .openapi({
      param: { name: 'label', in: 'query' },
      description: 'Only tenants carrying every one of these labels: `key=value`, comma-separated (a label selector, so the API server filters)',
      example: 'team=north',
      pattern: LABEL_FILTER_PATTERN,
    }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(50)
    .openapi({ param: { name: 'limit', in: 'query' }, example: 50 }),
  // The API server's continue tokens are URL-safe base64; the character set also keeps a 4096-character
  // cursor within Node's 16 KiB request head once percent-encoded (a 431 no route could answer).
  cursor: z
    .string()
    .min(1)
    .max(4096)
    .regex(/^[A-Za-z0-9_=+/.-]+$/, 'must be the nextCursor of a previous page')
    .optional()
    .openapi({
      param: { name: 'cursor', in: 'query' },
      description: 'nextCursor of the previous page (opaque; an unknown or expired one is a 400)',
      example: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzNCwic3RhcnQiOiJ0ZW5hbnQtYWNtZVx1MDAwMCJ9',
    }),
});
export type TenantListQuery = z.infer<typeof TenantListQuery>;

export const TenantSummary = z
  .object({
    tenantId: z.string(),
    namespace: z.string(),
    tier: TierName,
    phase: z.enum(TENANT_PHASES).openapi({ description: 'From the last operation and desired state; see the status route for live readiness' }),
    companyName: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    version: TenantVersion.openapi({ description: 'What the worker last deployed; chart and app "unknown" until a deploy records it' }),
    pin: VersionPin.nullable().openapi({ description: 'The version rollouts leave this tenant on, or null' }),
    closed: ClosedAccount.nullable().describe('A closed account: when it closed and the time it is kept until (purgeAfter); null for an open one'),
    labels: z.record(z.string(), z.string()).openapi({ description: "The tenant's own labels", example: { team: 'north' } }),
  })
  .openapi('TenantSummary');
export type TenantSummary = z.infer<typeof TenantSummary>;

/** One page of `GET /api/tenants`: the listing returns it and the route documents it, one schema. */
export const TenantList = z
  .object({
    items: z.array(TenantSummary),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .openapi('TenantList');
export type TenantList = z.infer<typeof TenantList>;

// A selective phase filter may need several pages of namespaces; stop and hand out a cursor past this.
const MAX_PAGES_PER_REQUEST = 10;

/**
 * One page of tenants. The tier and label filters are a label selector (the API server filters); the phase
 * filter is applied here, asking each following page for only as many namespaces as are still
 * missing, so a page never overshoots `limit` and the continue token never skips a tenant.
 */
export async function listTenants(registry: Pick<TenantStore, 'list'>, query: TenantListQuery): Promise<TenantList> {
  const items: TenantSummary[] = [];
  let cursor = query.cursor;
  const filter = query.label === undefined ? undefined : parseLabelFilter(query.label);
  if (filter && 'labels' in filter && filter.contradictory) return { items: [], nextCursor: null };
  const labels = filter && 'labels' in filter ? filter.labels : undefined;
  for (let page = 0; page < MAX_PAGES_PER_REQUEST; page += 1) {
    const result = await readPage(registry, { limit: query.limit - items.length, continue: cursor, tier: query.tier, labels });
    for (const tenant of result.items) {
      const summary = summarize(tenant);
      if (query.phase === undefined || summary.phase === query.phase) items.push(summary);
    }
    cursor = result.continue;
    if (cursor === undefined || items.length >= query.limit) break;
  }
  return { items, nextCursor: cursor ?? null };
}

async function readPage(registry: Pick<TenantStore, 'list'>, options: Parameters<TenantStore['list']>[0]) {
  try {
    return await dependencyCall('The Kubernetes API', registry.list(options), CLUSTER_DEADLINE_MS);
  } catch (error) {
    // The API server forgets continue tokens after a while (410 Gone) and rejects foreign ones (400);
    // one naming a resource version it has not reached yet (a forged cursor) times out with 504
    // ResourceVersionTooLarge, which is the cursor's fault, not an outage (Schemathesis found it).
    const status = kubeStatus(error);
    const original = error instanceof DependencyUnavailableError ? error.cause : error;
    const tooLarge = kubeStatus(original) === 504 && /ResourceVersionTooLarge|Too large resource version/.test(String((original as { body?: unknown }).body));
    if (options.continue !== undefined && (status === 410 || status === 400 || tooLarge)) {
      throw new MalformedInputError('The cursor is invalid or has expired; list again from the first page', { cause: error });
    }
    throw error;
  }
}

function summarize(tenant: TenantRecord): TenantSummary {
  return {
    tenantId: tenant.tenantId,
    namespace: tenant.namespace,
    tier: tenant.tier,
    phase: nominalTenantPhase(tenant),
    companyName: tenant.companyName,
    createdAt: tenant.createdAt,
    expiresAt: tenant.expiresAt,
    version: versionOf(tenant.running),
    pin: tenant.pin ?? null,
    closed: tenant.desired.closed ?? null,
    labels: tenant.labels ?? {},
  };
}
