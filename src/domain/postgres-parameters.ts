import { z } from '@hono/zod-openapi';
import { CNPG_FIXED_PARAMETERS } from './cnpg-fixed-parameters.ts';
import { byteCount } from './quantity.ts';

/**
 * PostgreSQL settings as the Cluster's `spec.postgresql.parameters` takes them: names to strings.
 * The shape only; what may be set, and within which bounds for a tier, is `parameterProblems`.
 */
export const ParameterName = z.string().regex(/^[a-z_][a-z0-9_.]{0,62}$/, 'must be a PostgreSQL parameter name');
export const ParameterValue = z.string().min(1).max(64);
export const PostgresParameters = z
  .record(ParameterName, ParameterValue)
  .openapi('PostgresParameters', { example: { max_connections: '150', work_mem: '8MB', statement_timeout: '30s' } });
export type PostgresParameters = z.infer<typeof PostgresParameters>;

const KB = 1;
const MB = 1024 * KB;
const GB = 1024 * MB;
const MS = 1;
const S = 1000 * MS;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;

/** What the bounds of a tier are measured against: its PostgreSQL memory limit, in kB. */
type Budget = { memoryKb: number };
type Limit = number | ((budget: Budget) => number);
type Rule =
  | { kind: 'memory'; min: number; max: Limit }
  | { kind: 'duration'; min: number; max: number; off?: string }
  | { kind: 'integer'; min: number; max: Limit; off?: string }
  | { kind: 'real'; min: number; max: number }
  | { kind: 'enum'; values: readonly string[] };

const share = (fraction: number) => (b: Budget) => Math.floor(b.memoryKb * fraction);
const ON_OFF = ['on', 'off'] as const;

/**
 * The parameters a tier or a tenant may set, each with its bounds. Memory-sized ones are bounded by
 * the instance's memory limit, so a setting cannot ask for more memory than the pod may use:
 * shared_buffers up to 40 % of it, work_mem (per sort, per connection) up to 1/16, and each
 * connection counted at 4 MiB of it. Anything else is refused, so a new setting is a decision here.
 */
export const PARAMETER_RULES: Readonly<Record<string, Rule>> = {
  max_connections: { kind: 'integer', min: 10, max: (b) => Math.floor(b.memoryKb / (4 * MB)) },
  shared_buffers: { kind: 'memory', min: 16 * MB, max: share(0.4) },
  effective_cache_size: { kind: 'memory', min: 8 * MB, max: share(1) },
  work_mem: { kind: 'memory', min: 64 * KB, max: share(1 / 16) },
  maintenance_work_mem: { kind: 'memory', min: 1 * MB, max: share(1 / 4) },
  temp_buffers: { kind: 'memory', min: 800 * KB, max: share(1 / 16) },
  min_wal_size: { kind: 'memory', min: 32 * MB, max: 16 * GB },
  max_wal_size: { kind: 'memory', min: 64 * MB, max: 64 * GB },
  checkpoint_timeout: { kind: 'duration', min: 30 * S, max: 1 * D },
  checkpoint_completion_target: { kind: 'real', min: 0.1, max: 1 },
  statement_timeout: { kind: 'duration', min: 1 * S, max: 1 * D, off: '0' },
  lock_timeout: { kind: 'duration', min: 100 * MS, max: 1 * H, off: '0' },
  idle_in_transaction_session_timeout: { kind: 'duration', min: 1 * S, max: 1 * D, off: '0' },
  idle_session_timeout: { kind: 'duration', min: 1 * MIN, max: 7 * D, off: '0' },
  log_min_duration_statement: { kind: 'duration', min: 0, max: 1 * H, off: '-1' },
  log_lock_waits: { kind: 'enum', values: ON_OFF },
  log_statement: { kind: 'enum', values: ['none', 'ddl', 'mod', 'all'] },
  track_io_timing: { kind: 'enum', values: ON_OFF },
  jit: { kind: 'enum', values: ON_OFF },
  wal_compression: { kind: 'enum', values: ['off', 'on', 'pglz', 'lz4', 'zstd'] },
  random_page_cost: { kind: 'real', min: 0.1, max: 100 },
  seq_page_cost: { kind: 'real', min: 0.1, max: 100 },
  effective_io_concurrency: { kind: 'integer', min: 0, max: 1000 },
  default_statistics_target: { kind: 'integer', min: 1, max: 10_000 },
  max_parallel_workers_per_gather: { kind: 'integer', min: 0, max: 8 },
  autovacuum_max_workers: { kind: 'integer', min: 1, max: 10 },
  autovacuum_naptime: { kind: 'duration', min: 1 * S, max: 1 * D },
  autovacuum_vacuum_scale_factor: { kind: 'real', min: 0, max: 1 },
  autovacuum_analyze_scale_factor: { kind: 'real', min: 0, max: 1 },
};

const MEMORY_UNITS: Record<string, number> = { kB: KB, MB, GB, TB: 1024 * GB };
const DURATION_UNITS: Record<string, number> = { ms: MS, s: S, min: MIN, h: H, d: D };

/** `64MB` → 65536 (kB); a bare number is refused: its unit would differ per parameter. */
function withUnit(value: string, units: Record<string, number>): number | undefined {
  const match = /^([0-9]+)\s*([a-zA-Z]+)$/.exec(value);
  const unit = match ? units[match[2]!] : undefined;
  return match && unit !== undefined ? Number(match[1]) * unit : undefined;
}

const formatKb = (kb: number) => (kb % GB === 0 ? `${kb / GB}GB` : kb % MB === 0 ? `${kb / MB}MB` : `${kb}kB`);
const formatMs = (ms: number) =>
  ms % D === 0 ? `${ms / D}d` : ms % H === 0 ? `${ms / H}h` : ms % MIN === 0 ? `${ms / MIN}min` : ms % S === 0 ? `${ms / S}s` : `${ms}ms`;

/** Why one value breaks its rule for this budget, or undefined. */
function valueProblem(rule: Rule, value: string, budget: Budget): string | undefined {
  const max = (limit: Limit) => (typeof limit === 'number' ? limit : limit(budget));
  switch (rule.kind) {
    case 'enum':
      return rule.values.includes(value) ? undefined : `must be one of ${rule.values.join(', ')}`;
    case 'real': {
      const n = /^[0-9]+(\.[0-9]+)?$/.test(value) ? Number(value) : Number.NaN;
      return n >= rule.min && n <= rule.max ? undefined : `must be a number from ${rule.min} to ${rule.max}`;
    }
    case 'integer': {
      if (value === rule.off) return undefined;
      const n = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
      const top = max(rule.max);
      return n >= rule.min && n <= top ? undefined : `must be a whole number from ${rule.min} to ${top} (the bound follows the tier's memory)`;
    }
    case 'memory': {
      const kb = withUnit(value, MEMORY_UNITS);
      const top = max(rule.max);
      if (kb === undefined) return 'must be a size with its unit (kB, MB, GB or TB), such as 64MB';
      return kb >= rule.min && kb <= top ? undefined : `must be from ${formatKb(rule.min)} to ${formatKb(top)} for this tier's memory`;
    }
    case 'duration': {
      if (value === rule.off) return undefined;
      const ms = withUnit(value, DURATION_UNITS);
      const off = rule.off === undefined ? '' : `, or ${rule.off} to turn it off`;
      if (ms === undefined) return `must be a duration with its unit (ms, s, min, h or d), such as 30s${off}`;
      return ms >= rule.min && ms <= rule.max ? undefined : `must be from ${formatMs(rule.min)} to ${formatMs(rule.max)}${off}`;
    }
  }
}

/**
 * What is wrong with a set of parameters for an instance with this memory limit (a Kubernetes
 * quantity): one problem per parameter, named. A parameter CloudNativePG fixes is refused as such
 * (its admission webhook would refuse the Cluster); any other outside the allowlist as not allowed.
 */
export function parameterProblems(parameters: Readonly<Record<string, string>>, memoryLimit: string): Array<{ name: string; message: string }> {
  const budget = { memoryKb: Math.floor(byteCount(memoryLimit) / 1024) };
  const problems: Array<{ name: string; message: string }> = [];
  for (const [name, value] of Object.entries(parameters)) {
    const rule = PARAMETER_RULES[name];
    const message = CNPG_FIXED_PARAMETERS.has(name)
      ? 'is fixed by CloudNativePG and cannot be set'
      : rule === undefined
        ? 'is not a parameter the platform allows (README: "PostgreSQL settings")'
        : valueProblem(rule, value, budget);
    if (message) problems.push({ name, message });
  }
  return problems;
}
