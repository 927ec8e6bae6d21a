import type { Config } from '../config/config.schema.ts';
import type { DesiredState } from '../domain/tenant-record.ts';
import { chartRefFor, unavailableChartVersion } from '../helm/chart-catalog.ts';
import type { ChartRef } from '../helm/helm-client.ts';
import { PermanentError } from '../worker/failure.ts';

/**
 * The chart a tenant's desired state installs. The intake refuses a version the catalog lacks, so
 * one missing here was removed since (an archive deleted, the configuration changed): retrying
 * cannot bring it back, and the job fails for good with the reason.
 */
export function tenantChart(config: Pick<Config, 'platform'>, desired: Pick<DesiredState, 'chartVersion'>): ChartRef {
  const chart = chartRefFor(config.platform.chart, desired.chartVersion);
  if (!chart) throw new PermanentError(unavailableChartVersion(config.platform.chart, desired.chartVersion ?? ''));
  return chart;
}
