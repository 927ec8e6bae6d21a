// The bare baseline for a provision: the same values file, Helm and kubectl, driven by a shell script.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { Config } from '../../src/config/config.schema.ts';
import { namespaceFor, releaseFor } from '../../src/domain/tenant-id.ts';
import { TENANT_SECRET_KEYS as KEYS, tenantSecretNames } from '../../src/domain/tenant-secrets.ts';
import type { TierName } from '../../src/domain/tiers.ts';
import { tenantChartValues } from '../../src/lifecycle/tenant-values.ts';
import { BENCH_DIR, REPO_DIR } from './report.ts';
import { binaries, now } from './env.ts';

export const BARE_SCRIPT = join(BENCH_DIR, 'baselines', 'bare-provision.sh');

export type BareTenant = { tenantId: string; namespace: string; release: string; dir: string; args: string[] };

const secret = () => randomBytes(32).toString('base64url');

/**
 * Writes the inputs (namespace with the service's Pod Security labels, the three Secrets the chart
 * references) and the values file built by the worker's own builder and serializer. A tier with
 * backups also needs `backupCredentials`: the platform Secret's `data`, copied as the worker does.
 */
export async function prepareBare(
  config: Config,
  tenantId: string,
  tier: TierName = 'free',
  options: { backupCredentials?: Record<string, string> } = {},
): Promise<BareTenant> {
  const namespace = namespaceFor(config.platform.namespacePrefix, tenantId);
  const release = releaseFor(config.platform.releasePrefix, tenantId);
  const desired = { tier, customDomain: null, resourceOverrides: {}, hibernated: false };
  const { values, yaml } = tenantChartValues(config, { tenantId, companyName: `Bench ${tenantId}`, expiresAt: null }, desired);
  if (values.backup.credentialsSecret !== null && !options.backupCredentials) throw new Error(`${tier} has backups: the bare baseline needs backupCredentials`);
  const names = tenantSecretNames(tenantId);
  const docs: Array<Record<string, unknown>> = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' } },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: names.database, namespace },
      type: 'kubernetes.io/basic-auth',
      stringData: { [KEYS.database.username]: values.postgres.owner, [KEYS.database.password]: secret() },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: names.app, namespace },
      type: 'Opaque',
      stringData: { [KEYS.app.jwtSigningKey]: secret(), [KEYS.app.consumerSecret]: secret(), [KEYS.app.sessionSecret]: secret() },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: names.admin, namespace },
      type: 'kubernetes.io/basic-auth',
      stringData: { [KEYS.admin.username]: config.provisioning.adminUsername, [KEYS.admin.password]: secret() },
    },
  ];
  if (values.backup.credentialsSecret !== null) {
    docs.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: names.backupCredentials, namespace }, type: 'Opaque', data: options.backupCredentials! });
  }
  const dir = await mkdtemp(join(tmpdir(), 'tp-bench-bare-'));
  const inputs = join(dir, 'inputs.yaml');
  const valuesFile = join(dir, 'values.yaml');
  await writeFile(inputs, docs.map((d) => stringify(d)).join('---\n'), { mode: 0o600 });
  await writeFile(valuesFile, yaml, { mode: 0o600 });
  const chart = join(REPO_DIR, config.platform.chart.path);
  return { tenantId, namespace, release, dir, args: [tenantId, namespace, release, chart, inputs, valuesFile] };
}

/** The script's environment: the pinned helm and kubectl first on PATH. */
export function bareEnv(kubeconfig: string): NodeJS.ProcessEnv {
  const b = binaries();
  return { ...process.env, KUBECONFIG: kubeconfig, PATH: `${dirname(b.helm)}:${dirname(b.kubectl)}:${process.env.PATH ?? ''}` };
}

/** Runs the bare script for one tenant; resolves with its wall time in ms (rejects on failure). */
export async function runBare(tenant: BareTenant, kubeconfig: string): Promise<number> {
  try {
    return await runScript(BARE_SCRIPT, tenant.args, kubeconfig, `bare provision of ${tenant.tenantId}`);
  } finally {
    void rm(tenant.dir, { recursive: true, force: true });
  }
}

/** Runs one baseline shell script with the pinned tools; resolves with its wall time in ms, rejects with its stderr. */
export function runScript(script: string, args: readonly string[], kubeconfig: string, what: string): Promise<number> {
  const started = now();
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [script, ...args], { cwd: REPO_DIR, env: bareEnv(kubeconfig), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(now() - started) : reject(new Error(`${what} failed (${code}): ${stderr.trim()}`))));
  });
}
