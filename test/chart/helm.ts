import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments, stringify } from 'yaml';
import { sandboxBinaries } from '../sandbox/versions.ts';

/** The chart under test, by absolute path so tests can run from any directory. */
export const CHART_DIR = resolve(import.meta.dirname, '../../charts/mechanicbuddy-tenant');

export type HelmResult = { exitCode: number; stdout: string; stderr: string };

/** A rendered Kubernetes object, loosely typed: tests read fields by path. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

/**
 * Runs the pinned helm binary with an argument array (no shell) and its own empty config, cache and
 * data directories, so nothing from the developer's ~/.config/helm leaks into a test.
 */
export async function helm(args: readonly string[], env: Record<string, string> = {}): Promise<HelmResult> {
  const home = await mkdtemp(join(tmpdir(), 'helm-home-'));
  try {
    const result = await execa(sandboxBinaries().helm, args, {
      reject: false,
      env: {
        HELM_CONFIG_HOME: join(home, 'config'),
        HELM_CACHE_HOME: join(home, 'cache'),
        HELM_DATA_HOME: join(home, 'data'),
        ...env,
      },
    });
    return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Writes values to a private temp file as YAML (never `--set`) for the duration of `use`. */
export async function withValuesFile<T>(values: unknown, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'chart-values-'));
  const file = join(dir, 'values.yaml');
  try {
    await writeFile(file, typeof values === 'string' ? values : stringify(values, { version: '1.1' }), { mode: 0o600 });
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function templateArgs(valuesFile: string, release = 'tenant-test'): string[] {
  return ['template', release, CHART_DIR, '--namespace', 'tenant-test', '-f', valuesFile];
}

/** `helm template`, failing the test with Helm's own message when rendering fails. */
export async function renderChart(values: unknown): Promise<K8sObject[]> {
  const result = await withValuesFile(values, (file) => helm(templateArgs(file)));
  if (result.exitCode !== 0) throw new Error(`helm template failed (${result.exitCode}):\n${result.stderr}`);
  return parseManifests(result.stdout);
}

/** `helm template` expected to fail: returns Helm's stderr. */
export async function renderError(values: unknown): Promise<string> {
  const result = await withValuesFile(values, (file) => helm(templateArgs(file)));
  if (result.exitCode === 0) throw new Error('helm template unexpectedly succeeded');
  return result.stderr;
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw doc.errors[0];
      return doc.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

export function findObject(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}
