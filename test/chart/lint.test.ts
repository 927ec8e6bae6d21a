import { beforeAll, describe, expect, it } from 'vitest';
import { serializeChartValues } from '../../src/domain/chart-values.ts';
import type { TiersConfig } from '../../src/domain/tiers.ts';
import { CHART_DIR, helm, withValuesFile } from './helm.ts';
import { TIER_NAMES, loadTiers, valuesForTier } from './tier-values.ts';

let tiers: TiersConfig;
beforeAll(async () => {
  tiers = await loadTiers();
});

describe('helm lint --strict', () => {
  it('passes with the chart defaults alone', async () => {
    const result = await helm(['lint', '--strict', CHART_DIR]);
    expect(result.stderr + result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.exitCode).toBe(0);
  });

  it.each(TIER_NAMES)('passes with the %s tier values from the values builder', async (tier) => {
    const values = serializeChartValues(valuesForTier(tiers, tier, { customDomain: 'shop.acme-auto.example' }));
    const result = await withValuesFile(values, (file) => helm(['lint', '--strict', CHART_DIR, '-f', file]));
    expect(result.stderr + result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.exitCode).toBe(0);
  });
});
