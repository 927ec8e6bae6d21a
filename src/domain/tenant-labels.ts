import { z } from '@hono/zod-openapi';

/**
 * A tenant's own labels (team, region, cohort…), for operators to group and select tenants by, in
 * listings and rollouts. Keys and values are Kubernetes label keys and values, because each one is
 * stored as a label of the tenant's namespace (so the API server can select on it), under our
 * domain so it can never collide with the service's own labels nor anyone else's:
 *
 *   `team`              → `label.tenant-provisioner.io/team`
 *   `example.com/team`  → `example.com.label.tenant-provisioner.io/team`
 *
 * The mapping is reversible because a user prefix may not end in a reserved domain, so a stored
 * prefix is either exactly LABEL_DOMAIN or `<user prefix>.LABEL_DOMAIN`. A user prefix is at most
 * 225 characters so that the stored one stays a DNS subdomain (253).
 */
export const LABEL_DOMAIN = 'label.tenant-provisioner.io';
export const MAX_TENANT_LABELS = 32;
/** Prefixes that belong to this service and to Kubernetes: a key under them (or a subdomain of them) is refused. */
export const RESERVED_LABEL_PREFIXES = ['tenant-provisioner.io', 'kubernetes.io', 'k8s.io'] as const;
const MAX_PREFIX = 253 - LABEL_DOMAIN.length - 1;

// JSON Schema regexes (no flags), so that the document states exactly what the server accepts.
const NAME = '[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const DNS_LABEL = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
const RESERVED = RESERVED_LABEL_PREFIXES.map((p) => p.replaceAll('.', '\\.')).join('|');
/** A label key as a pattern without anchors, so that the list filter can repeat it. */
export const LABEL_KEY_SOURCE = `(?![-a-z0-9.]{${MAX_PREFIX + 1},}/)(?!(?:[-a-z0-9.]*\\.)?(?:${RESERVED})/)(?:${DNS_LABEL}(?:\\.${DNS_LABEL})*/)?${NAME}`;
export const LABEL_VALUE_SOURCE = `(?:${NAME})?`;
const KEY = new RegExp(`^${LABEL_KEY_SOURCE}$`);
const VALUE = new RegExp(`^${LABEL_VALUE_SOURCE}$`);

/** Why `key` is not a label key a tenant may carry, or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? '' : key.slice(0, slash);
  const reserved = RESERVED_LABEL_PREFIXES.find((r) => prefix === r || prefix.endsWith(`.${r}`));
  if (reserved) return `uses the reserved prefix ${reserved}`;
  if (prefix.length > MAX_PREFIX) return `has a prefix longer than ${MAX_PREFIX} characters`;
  if (!KEY.test(key)) {
    return 'must be a Kubernetes label key: an optional DNS subdomain prefix and "/", then a name of at most 63 characters (letters, digits, "-", "_", "."; a letter or digit at each end)';
  }
  return undefined;
}

const LabelValue = z
  .string()
  .regex(VALUE, 'must be a Kubernetes label value: at most 63 characters (letters, digits, "-", "_", "."; a letter or digit at each end), or empty');

// A variable, not a literal: `propertyNames` (JSON Schema, OpenAPI 3.1) is missing from the metadata's
// 3.0-based type, and the generator copies it into the document as it is.
const LABELS_DOCUMENT = {
  example: { team: 'north', 'example.com/cohort': 'early-access' },
  maxProperties: MAX_TENANT_LABELS,
  propertyNames: { type: 'string' as const, pattern: `^${LABEL_KEY_SOURCE}$` },
};

/** The rules of TenantLabels in words, for each field's description (each field says what its labels do). */
export const LABEL_RULES =
  `At most ${MAX_TENANT_LABELS}; keys are Kubernetes label keys, optionally prefixed (\`example.com/team\`), not under ` +
  `${RESERVED_LABEL_PREFIXES.join(', ')}; values are label values (at most 63 characters, possibly empty).`;

/**
 * A set of tenant labels. Not a named component: each field that carries one documents its own
 * meaning (a named schema's field description would overwrite the component's).
 */
export const TenantLabels = z
  .record(z.string(), LabelValue)
  .superRefine((labels, ctx) => {
    const keys = Object.keys(labels);
    if (keys.length > MAX_TENANT_LABELS) ctx.addIssue({ code: 'custom', message: `must have at most ${MAX_TENANT_LABELS} labels` });
    for (const key of keys) {
      const problem = labelKeyProblem(key);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: `key ${problem}` });
    }
  })
  .openapi(LABELS_DOCUMENT);
export type TenantLabels = z.infer<typeof TenantLabels>;

/** The namespace label that stores the tenant label `key`. */
export function storedLabelKey(key: string): string {
  const slash = key.indexOf('/');
  return slash === -1 ? `${LABEL_DOMAIN}/${key}` : `${key.slice(0, slash)}.${LABEL_DOMAIN}/${key.slice(slash + 1)}`;
}

/** The tenant label a namespace label stores, or undefined for any other label (ours, Kubernetes'). */
export function tenantLabelKey(stored: string): string | undefined {
  const slash = stored.indexOf('/');
  if (slash === -1) return undefined;
  const prefix = stored.slice(0, slash);
  const name = stored.slice(slash + 1);
  if (prefix === LABEL_DOMAIN) return name;
  if (prefix.endsWith(`.${LABEL_DOMAIN}`)) return `${prefix.slice(0, -LABEL_DOMAIN.length - 1)}/${name}`;
  return undefined;
}

/** A tenant's labels as its namespace's labels record them. */
export function tenantLabelsOf(namespaceLabels: Readonly<Record<string, string>>): TenantLabels {
  const labels: TenantLabels = {};
  for (const [stored, value] of Object.entries(namespaceLabels)) {
    const key = tenantLabelKey(stored);
    if (key !== undefined) labels[key] = value;
  }
  return labels;
}

/** The namespace labels that record `labels`. */
export const storedLabels = (labels: Readonly<TenantLabels>): Record<string, string> =>
  Object.fromEntries(Object.entries(labels).map(([key, value]) => [storedLabelKey(key), value]));

/** The merge patch of namespace labels that replaces the set `from` by `to`: null removes a label. */
export function labelPatch(from: Readonly<TenantLabels>, to: Readonly<TenantLabels>): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  for (const key of Object.keys(from)) if (!Object.hasOwn(to, key)) patch[storedLabelKey(key)] = null;
  for (const [key, value] of Object.entries(to)) if (from[key] !== value) patch[storedLabelKey(key)] = value;
  return patch;
}

export const sameLabels = (a: Readonly<TenantLabels>, b: Readonly<TenantLabels>) => Object.keys(labelPatch(a, b)).length === 0;

/** Whether a tenant carries every one of `wanted` (equality, like a Kubernetes matchLabels). */
export const matchesLabels = (labels: Readonly<TenantLabels> | undefined, wanted: Readonly<TenantLabels>) =>
  Object.entries(wanted).every(([key, value]) => labels?.[key] === value);

/** The `key=value[,key=value…]` form of a label filter (the list's `?label=`), as a pattern. */
export const LABEL_FILTER_PATTERN = `^${LABEL_KEY_SOURCE}=${LABEL_VALUE_SOURCE}(?:,${LABEL_KEY_SOURCE}=${LABEL_VALUE_SOURCE})*$`;

/**
 * A label filter as the labels it requires, or why it is not one. Neither keys nor values can hold
 * `,` or `=`, so the form is unambiguous. A key named twice with two values is a filter nothing
 * matches (as in a Kubernetes selector), not an error: `contradictory`.
 */
export function parseLabelFilter(text: string): { labels: TenantLabels; contradictory: boolean } | { problem: string } {
  const labels: TenantLabels = {};
  let contradictory = false;
  for (const term of text.split(',')) {
    const eq = term.indexOf('=');
    if (eq === -1) return { problem: `"${term}" must be key=value` };
    const key = term.slice(0, eq);
    const value = term.slice(eq + 1);
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) return { problem: `key ${key} ${keyProblem}` };
    if (!VALUE.test(value)) return { problem: `the value of ${key} is not a label value` };
    if (Object.hasOwn(labels, key) && labels[key] !== value) contradictory = true;
    labels[key] = value;
  }
  return { labels, contradictory };
}
