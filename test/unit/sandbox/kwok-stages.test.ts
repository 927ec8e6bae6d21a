import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { UPSTREAM_KWOK_STAGES } from '../../sandbox/build.ts';
import { kwokStagesDir } from '../../sandbox/build.ts';
import { NO_BAD_IMAGE, PROFILES, kwokConfig } from '../../sandbox/stages.ts';
import { SANDBOX_VERSIONS } from '../../sandbox/versions.ts';

// KWOK's own stages come from the sandbox build cache, which a fresh checkout does not have yet, so
// the cache root points at a scratch copy of their shape: each upstream file with its stage names
// and pod-ready's three upstream selector expressions. Our stages are read from the repository.
type Expression = { key?: string; operator?: string; values?: string[]; cel?: { expression: string } };
type Stage = { kind: string; metadata: { name: string }; spec: { selector?: { matchExpressions?: Expression[] }; delay?: unknown } };

const upstreamSelectors: Record<keyof typeof UPSTREAM_KWOK_STAGES, Record<string, Expression[]>> = {
  'node-initialize.yaml': { 'node-initialize': [{ key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: 'NotIn', values: ['True'] }] },
  'node-heartbeat-with-lease.yaml': { 'node-heartbeat-with-lease': [{ key: '.status.phase', operator: 'In', values: ['Running'] }] },
  'pod-ready.yaml': {
    'pod-ready': [
      { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' },
      { key: '.status.phase', operator: 'In', values: ['Pending'] },
      { key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: 'NotIn', values: ['True'] },
    ],
  },
  'pod-complete.yaml': { 'pod-complete': [{ key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' }] },
  'pod-delete.yaml': { 'pod-delete': [{ key: '.metadata.deletionTimestamp', operator: 'Exists' }] },
};

let cacheRoot: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  cacheRoot = await mkdtemp(join(tmpdir(), 'tp-kwok-stages-'));
  env = { SANDBOX_CACHE_DIR: cacheRoot };
  await mkdir(kwokStagesDir(env), { recursive: true });
  for (const [file, stages] of Object.entries(upstreamSelectors)) {
    const docs = Object.entries(stages).map(([name, matchExpressions]) =>
      JSON.stringify({ apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Stage', metadata: { name }, spec: { selector: { matchExpressions } } }),
    );
    await writeFile(join(kwokStagesDir(env), file), docs.join('\n---\n'));
  }
});

afterAll(async () => {
  await rm(cacheRoot, { recursive: true, force: true });
});

async function stages(profile: keyof typeof PROFILES): Promise<Map<string, Stage>> {
  const docs = parseAllDocuments(await kwokConfig(PROFILES[profile], env)).map((d) => d.toJSON() as Stage);
  return new Map(docs.map((s) => [s.metadata.name, s]));
}

const celOf = (stage: Stage | undefined) => (stage?.spec.selector?.matchExpressions ?? []).flatMap((e) => (e.cel ? [e.cel.expression] : []));

describe('kwokConfig: pods with a bad image never become ready', () => {
  it('adds NO_BAD_IMAGE to both ready stages, beside the API split and the upstream expressions', async () => {
    const byName = await stages('fast');
    const api = byName.get('pod-ready-api');
    const other = byName.get('pod-ready');
    for (const stage of [api, other]) {
      expect(celOf(stage)).toContain(NO_BAD_IMAGE);
      expect(stage?.spec.selector?.matchExpressions?.filter((e) => e.key)).toEqual(upstreamSelectors['pod-ready.yaml']['pod-ready']);
    }
    expect(celOf(api)).toHaveLength(2);
    expect(celOf(other)).toHaveLength(2);
    expect(celOf(other).find((c) => c !== NO_BAD_IMAGE)).toMatch(/^!\(.*'api'\)$/);
  });

  it('leaves every other stage without the condition (pod-delete, pod-complete, nodes, CloudNativePG, cert-manager)', async () => {
    const byName = await stages('fast');
    const others = [...byName.values()].filter((s) => !['pod-ready', 'pod-ready-api', 'pod-fail-bad-job'].includes(s.metadata.name));
    expect(others.map((s) => s.metadata.name)).toEqual(expect.arrayContaining(['pod-delete', 'pod-complete', 'node-initialize', 'cnpg-cluster-healthy']));
    for (const stage of others) expect(JSON.stringify(stage.spec.selector ?? {}), stage.metadata.name).not.toContain(':bad');
  });

  it("fails a Job's pod with a bad image (a failing smoke check), from Pending, as pod-complete's Job pods otherwise succeed", async () => {
    const byName = await stages('fast');
    const fail = byName.get('pod-fail-bad-job') as (Stage & { spec: { next: { statusTemplate: string } } }) | undefined;
    expect(fail?.spec.selector?.matchExpressions?.filter((e) => e.key)).toEqual([
      ...(upstreamSelectors['pod-complete.yaml']['pod-complete'] ?? []),
      { key: '.status.phase', operator: 'In', values: ['Pending'] },
    ]);
    expect(celOf(fail)).toEqual([`!(${NO_BAD_IMAGE})`]);
    expect(fail?.spec.next.statusTemplate).toMatch(/exitCode: 1[\s\S]*phase: Failed/);
    expect(byName.get('pod-complete')).toBeDefined();
  });

  it('keeps the condition when the realistic profile adds delays to the ready stages', async () => {
    const byName = await stages('realistic');
    for (const name of ['pod-ready-api', 'pod-ready']) {
      expect(celOf(byName.get(name))).toContain(NO_BAD_IMAGE);
      expect(byName.get(name)?.spec.delay).toBeDefined();
    }
    expect(celOf(byName.get('pod-delete'))).toEqual([]);
  });
});

describe('kwokConfig: CloudNativePG backups', () => {
  it('adds the Backup stages with the profile delays and the pinned plugin version in the completed status', async () => {
    const [fast, realistic] = [await stages('fast'), await stages('realistic')];
    expect(fast.get('cnpg-backup-start')?.spec.delay).toBeUndefined();
    expect(fast.get('cnpg-backup-complete')?.spec.delay).toEqual(PROFILES.fast.backupFinish);
    expect(realistic.get('cnpg-backup-start')?.spec.delay).toEqual(PROFILES.realistic.backupStart);
    expect(realistic.get('cnpg-backup-fail')?.spec.delay).toEqual(PROFILES.realistic.backupFinish);
    const complete = JSON.stringify(fast.get('cnpg-backup-complete'));
    expect(complete).toContain(`version: \\"${SANDBOX_VERSIONS.barmanCloud.slice(1)}\\"`);
    expect(complete).not.toContain('@BARMAN_CLOUD_VERSION@');
  });

  it('completes a plugin backup exactly when it does not fail it', async () => {
    const byName = await stages('fast');
    const [complete, fail] = [celOf(byName.get('cnpg-backup-complete')), celOf(byName.get('cnpg-backup-fail'))];
    const succeeds = complete.at(-1);
    expect(succeeds).toContain("!self.spec.cluster.name.contains('fail-backup')");
    expect(fail.at(-1)).toBe(`!(${succeeds})`);
    expect(complete.slice(0, -1)).toEqual(fail.slice(0, -1));
  });
});
