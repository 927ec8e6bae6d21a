import type { PlatformConfig } from '../config/platform-config.schema.ts';
import { appVersionOf, type FleetTarget } from '../domain/tenant-version.ts';
import { isRegistryChart, readLocalChart } from './chart-catalog.ts';

/**
 * The version of a chart in a local directory, from its Chart.yaml; null for a registry reference
 * (oci://…) or a chart that cannot be read, whose version then is not compared.
 */
export function readLocalChartVersion(path: string): string | null {
  return isRegistryChart(path) ? null : (readLocalChart(path)?.version ?? null);
}

/**
 * The version the configuration asks every unpinned tenant to run: the pinned chart version when the
 * chart comes from a registry, else the local chart's own; the app version of the configured images.
 * Read once per process and kept: the configuration does not change under a running process.
 */
export function configuredTarget(platform: Pick<PlatformConfig, 'chart' | 'images'>, chartVersion = readLocalChartVersion): () => FleetTarget {
  let target: FleetTarget | undefined;
  return () => {
    target ??= { chart: platform.chart.version ?? chartVersion(platform.chart.path), app: appVersionOf(platform.images) };
    return target;
  };
}
