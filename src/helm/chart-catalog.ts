import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { PlatformConfig } from '../config/platform-config.schema.ts';
import type { ChartRef } from './helm-client.ts';

type ChartConfig = PlatformConfig['chart'];

export const isRegistryChart = (path: string) => /^[a-z]+:\/\//.test(path);

/** A local chart's name and version from its Chart.yaml; undefined when it cannot be read. */
export function readLocalChart(path: string): { name: string; version: string } | undefined {
  try {
    const meta = parse(readFileSync(join(path, 'Chart.yaml'), 'utf8')) as { name?: unknown; version?: unknown } | null;
    return typeof meta?.name === 'string' && typeof meta.version === 'string' && meta.version !== '' ? { name: meta.name, version: meta.version } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where Helm finds one version of the tenant chart: the configured chart when no version is named
 * (or the local chart's own is); a registry chart at that version (Helm fetches it and refuses one
 * the registry lacks); else the packaged archive `{name}-{version}.tgz` in `archiveDir`. Undefined
 * when a local chart has no such version, so an intake can refuse the request instead of a worker
 * failing it. `readChart` and `exists` are the file reads, replaceable in unit tests.
 */
export function chartRefFor(
  chart: ChartConfig,
  version: string | undefined,
  readChart: (path: string) => { name: string; version: string } | undefined = readLocalChart,
  exists: (path: string) => boolean = existsSync,
): ChartRef | undefined {
  if (version === undefined || version === chart.version) return chart;
  if (isRegistryChart(chart.path)) return { path: chart.path, version };
  const local = readChart(chart.path);
  if (!local || local.version === version) return local ? { path: chart.path } : undefined;
  if (!chart.archiveDir) return undefined;
  const archive = join(chart.archiveDir, `${local.name}-${version}.tgz`);
  return exists(archive) ? { path: archive } : undefined;
}

/** The message of a refused chart version, the same for an update and a rollout. */
export function unavailableChartVersion(chart: ChartConfig, version: string): string {
  return chart.archiveDir
    ? `chart version ${version} is neither the configured chart's nor packaged in ${chart.archiveDir}`
    : `chart version ${version} is not the configured chart's, and no archive directory of other versions is configured`;
}
