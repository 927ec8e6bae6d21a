import { z } from '@hono/zod-openapi';

const SLUG_MAX_LENGTH = 30;
const SUFFIX_LENGTH = 6;
/** slug + '-' + 6 hex: with a `tenant-` prefix this keeps namespaces ≤ 63 and Helm releases ≤ 53. */
export const TENANT_ID_MAX_LENGTH = SLUG_MAX_LENGTH + 1 + SUFFIX_LENGTH;
const FALLBACK_SLUG = 'tenant';

// Letters NFKD does not decompose into ASCII, folded the way people spell them without accents.
const FOLDS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ŋ: 'n' };

/**
 * A tenant id: a DNS-1035 label (a letter first, since chart objects such as Services are named
 * `{id}-api`) of 3-37 characters, without `--` (reserved for IDN `xn--`, and never option-like).
 */
export const TenantId = z
  .string()
  .min(3, 'must be at least 3 characters')
  .max(TENANT_ID_MAX_LENGTH, `must be at most ${TENANT_ID_MAX_LENGTH} characters`)
  .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, 'must be lowercase a-z, 0-9 and -, starting with a letter and ending with a letter or digit')
  .refine((id) => !id.includes('--'), 'must not contain "--"')
  // Both checks as one pattern for the document: every '-' is followed by a letter or digit.
  .openapi({ description: 'DNS-1123 label naming the tenant', example: 'acme-auto-3f9a1c', pattern: '^[a-z](-?[a-z0-9])*$' });
export type TenantId = z.infer<typeof TenantId>;

/**
 * The company name as a slug: accents folded, lowercase, runs of other characters as one '-',
 * at most 30 characters; `t-` goes first when the name starts with a digit ("24/7 Towing" → `t-24-7-towing`).
 */
export function slugify(companyName: string): string {
  const folded = companyName
    .normalize('NFKD')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x00-\x7f]/g, (ch) => FOLDS[ch] ?? '-');
  const words = folded.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const slug = (/^[0-9]/.test(words) ? `t-${words}` : words).slice(0, SLUG_MAX_LENGTH).replace(/-+$/, '');
  return slug === '' ? FALLBACK_SLUG : slug;
}

/**
 * Platform hosts a tenant must never shadow: a tenant is served at `{tenantId}.{baseDomain}`, so a
 * tenant `www` would take the platform's own site. Config (`platform.reservedTenantIds`) adds more;
 * these three cannot be configured away.
 */
export const ALWAYS_RESERVED_TENANT_IDS: readonly string[] = ['www', 'api', 'admin'];

/**
 * The API's own path segments beside `/api/provisioning/{tenantId}`: a tenant of that name could not
 * be updated (`PUT /api/provisioning/validate` is validate's path, answered 405).
 */
export const ROUTE_TENANT_IDS: readonly string[] = ['provision', 'validate', 'generate-id'];

/** Why `id` may not name a tenant although it is well-formed, or undefined when it may. */
export function reservedTenantIdProblem(id: string, reserved: readonly string[]): string | undefined {
  const lower = id.toLowerCase();
  if (ROUTE_TENANT_IDS.includes(lower)) return `"${id}" is reserved for the API's own paths`;
  return ALWAYS_RESERVED_TENANT_IDS.includes(lower) || reserved.includes(lower) ? `"${id}" is reserved for a platform host` : undefined;
}

/**
 * A `superRefine` refusing a reserved `tenantId`, built from the configured list: the one check the
 * provision request schema (API, /validate) and the worker's payload checks share.
 */
export function reservedTenantIdRule(reserved: readonly string[]) {
  return (value: { tenantId?: string | undefined }, ctx: z.RefinementCtx): void => {
    if (value.tenantId === undefined) return;
    const problem = reservedTenantIdProblem(value.tenantId, reserved);
    if (problem) ctx.addIssue({ code: 'custom', path: ['tenantId'], message: problem });
  };
}

/**
 * `reservedTenantIdRule` as JSON Schema, for the document of a request object: not a `tenantId` that
 * is reserved (the ids are lowercase, as a valid tenant id is).
 */
export function reservedTenantIdsJsonSchema(reserved: readonly string[]) {
  return { not: { required: ['tenantId'], properties: { tenantId: { enum: reservedTenantIds(reserved) } } } };
}

/** Every id `reservedTenantIdProblem` refuses (as lowercase, the only case a tenant id has). */
export function reservedTenantIds(reserved: readonly string[]): string[] {
  return [...new Set([...ALWAYS_RESERVED_TENANT_IDS, ...ROUTE_TENANT_IDS, ...reserved.map((id) => id.toLowerCase())])];
}

/**
 * `{slug}-{randomHex}`; the caller supplies 6 random hex characters so this stays pure and testable.
 * A reserved result (possible only with a configured entry of that shape) takes the next suffix.
 */
export function generateTenantId(companyName: string, randomHex: string, reserved: readonly string[] = []): TenantId {
  if (!/^[0-9a-f]{6}$/.test(randomHex)) throw new RangeError('randomHex must be 6 lowercase hex characters');
  const slug = slugify(companyName);
  let suffix = Number.parseInt(randomHex, 16);
  // Terminates: the reserved list is finite, and there are 2^24 suffixes.
  while (reservedTenantIdProblem(`${slug}-${hex6(suffix)}`, reserved) !== undefined) suffix = (suffix + 1) % 0x1000000;
  return `${slug}-${hex6(suffix)}`;
}

const hex6 = (n: number) => n.toString(16).padStart(6, '0');

export function namespaceFor(prefix: string, id: TenantId): string {
  return checkedName(`${prefix}${id}`, 63, 'namespace');
}

export function releaseFor(prefix: string, id: TenantId): string {
  return checkedName(`${prefix}${id}`, 53, 'Helm release name');
}

// Config and TenantId together guarantee these bounds; the check keeps a broken caller from reaching the cluster.
function checkedName(name: string, max: number, what: string): string {
  if (name.length > max) throw new RangeError(`${what} "${name}" exceeds ${max} characters`);
  return name;
}
