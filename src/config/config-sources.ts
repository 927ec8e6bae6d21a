import { parse } from 'yaml';
import type { ConfigIssue } from './config-error.ts';

export type Environment = Readonly<Record<string, string | undefined>>;
export type Tree = Record<string, unknown>;

/**
 * Environment variables that override configuration fields, exported so the README's reference can list them.
 * KUBECONFIG and KUBERNETES_SERVICE_HOST are handled by `clusterFromEnv` (they choose a source, not a value).
 */
export const ENV_OVERRIDES = [
  { name: 'PORT', path: ['server', 'port'], integer: true },
  { name: 'HOST', path: ['server', 'host'] },
  { name: 'REDIS_URL', path: ['redis', 'url'] },
  { name: 'REDIS_SENTINELS', path: ['redis', 'sentinels'], list: true },
  { name: 'REDIS_SENTINEL_NAME', path: ['redis', 'name'] },
  { name: 'REDIS_PASSWORD', path: ['redis', 'password'] },
  { name: 'REDIS_SENTINEL_PASSWORD', path: ['redis', 'sentinelPassword'] },
  { name: 'AUTH_JWT_SECRET', path: ['auth', 'jwtSecret'] },
  { name: 'AUTH_JWKS_URL', path: ['auth', 'jwksUrl'] },
  { name: 'AUTH_JWT_ISSUER', path: ['auth', 'issuer'] },
  { name: 'AUTH_JWT_AUDIENCE', path: ['auth', 'audience'] },
  { name: 'LOG_LEVEL', path: ['logging', 'level'] },
  { name: 'QUEUE_PREFIX', path: ['queue', 'prefix'] },
  { name: 'HELM_BINARY', path: ['helm', 'binary'] },
  { name: 'HEALTH_PORT', path: ['server', 'healthPort'], integer: true },
  { name: 'CLOSED_PAGE_PORT', path: ['server', 'closedPagePort'], integer: true },
  { name: 'TENANT_ACCESS_CLUSTER_ROLE', path: ['platform', 'tenantAccess', 'clusterRole'] },
  { name: 'TENANT_ACCESS_SERVICE_ACCOUNT', path: ['platform', 'tenantAccess', 'serviceAccount'] },
  { name: 'TENANT_ACCESS_SERVICE_ACCOUNT_NAMESPACE', path: ['platform', 'tenantAccess', 'serviceAccountNamespace'] },
  { name: 'STRIPE_WEBHOOK_SECRET', path: ['billing', 'webhookSecret'] },
  { name: 'STRIPE_API_KEY', path: ['billing', 'apiKey'] },
  { name: 'STRIPE_API_BASE', path: ['billing', 'apiBase'] },
  { name: 'ADMIN_INSECURE_COOKIES', path: ['admin', 'insecureCookies'], boolean: true },
  { name: 'BACKUP_PREFLIGHT', path: ['platform', 'backup', 'preflight'], boolean: true },
] as const;

export type ConfigLayer = { tree: Tree } | { issue: ConfigIssue };

/** Parses one YAML config file into a mapping, or reports why it is not one. */
export function parseConfigFile(text: string, source: string): ConfigLayer {
  let value: unknown;
  try {
    value = parse(text, { prettyErrors: true });
  } catch (error) {
    return { issue: { path: '', message: `is not valid YAML: ${(error as Error).message}`, source } };
  }
  if (value === null || value === undefined) return { tree: {} };
  if (!isTree(value)) return { issue: { path: '', message: 'must be a YAML mapping at the top level', source } };
  return { tree: value };
}

/** The environment as a config tree, plus which variable set which dotted path (for error messages). */
export function treeFromEnv(env: Environment): { tree: Tree; sources: Map<string, string> } {
  const tree: Tree = {};
  const sources = new Map<string, string>();
  for (const override of ENV_OVERRIDES) {
    const raw = present(env[override.name]);
    if (raw === undefined) continue;
    // A non-integer PORT stays a string so the schema reports it rather than us guessing.
    // Likewise a boolean other than true/false stays a string for the schema to refuse.
    // A list (REDIS_SENTINELS) is comma-separated; blanks around the commas are not part of an entry.
    const value =
      'integer' in override && /^[0-9]+$/.test(raw)
        ? Number(raw)
        : 'boolean' in override && /^(true|false)$/.test(raw)
          ? raw === 'true'
          : 'list' in override
            ? raw
                .split(',')
                .map((item) => item.trim())
                .filter((item) => item !== '')
            : raw;
    setPath(tree, override.path, value);
    sources.set(override.path.join('.'), override.name);
  }
  const kubeconfig = present(env['KUBECONFIG']);
  if (kubeconfig !== undefined) {
    setPath(tree, ['kubernetes', 'source'], 'kubeconfig');
    setPath(tree, ['kubernetes', 'kubeconfig'], kubeconfig);
    sources.set('kubernetes.kubeconfig', 'KUBECONFIG');
  }
  return { tree, sources };
}

/** In-cluster credentials apply only when nothing named a kubeconfig: never a silent localhost:8080. */
export function inClusterDefault(merged: Tree, env: Environment): Tree | undefined {
  if (merged['kubernetes'] !== undefined) return undefined;
  return present(env['KUBERNETES_SERVICE_HOST']) === undefined ? undefined : { kubernetes: { source: 'in-cluster' } };
}

/**
 * config/default.yaml names one Redis (`redis.url`). An override file or the environment that
 * chooses sentinels instead replaces that default rather than conflicting with it; a URL and
 * sentinels both given by the operator (in one layer or two) stay an error for the schema to report.
 */
export function withoutDefaultRedisUrl(defaults: Tree, operatorTrees: readonly Tree[]): Tree {
  const redis = defaults['redis'];
  const choosesSentinels = operatorTrees.some((tree) => isTree(tree['redis']) && tree['redis']['sentinels'] !== undefined);
  if (!choosesSentinels || !isTree(redis)) return defaults;
  const { url: _default, ...rest } = redis;
  return { ...defaults, redis: rest };
}

/** Deep merge: mappings merge key by key; arrays and scalars in `override` replace. */
export function mergeTrees(base: Tree, override: Tree): Tree {
  const out: Tree = {};
  for (const [key, value] of [...Object.entries(base), ...Object.entries(override)]) {
    const current = out[key];
    const next = isTree(current) && isTree(value) ? mergeTrees(current, value) : value;
    // defineProperty, not assignment: a `__proto__` key from a file must stay data, not become a prototype.
    Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    node = isTree(child) ? child : (node[key] = {});
  }
  node[path.at(-1) as string] = value;
}

/** Empty variables count as unset, as docker-compose and shells often leave them. */
function present(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
