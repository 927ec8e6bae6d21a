import { beforeAll, describe, expect, it } from 'vitest';
import type { ChartValues } from '../../src/domain/chart-values.ts';
import { renderError } from './helm.ts';
import { loadTiers, valuesForTier } from './tier-values.ts';

// The service never produces these (its builder validates first), but the chart is also installed
// by hand and by other tools: values.schema.json must stop them with Helm's own error.
let good: ChartValues;
beforeAll(async () => {
  good = valuesForTier(await loadTiers(), 'professional');
});

type Case = [string, (v: ChartValues) => unknown, RegExp];
const cases: Case[] = [
  [
    'an unknown tier',
    (v) => ({ ...v, tenant: { ...v.tenant, tier: 'gold' } }),
    /at '\/tenant\/tier': value must be one of 'demo', 'free', 'professional', 'enterprise'/,
  ],
  ['negative API replicas', (v) => ({ ...v, api: { ...v.api, replicas: -1 } }), /at '\/api\/replicas': minimum: got -1, want 0/],
  ['negative Web replicas', (v) => ({ ...v, web: { ...v.web, replicas: -2 } }), /at '\/web\/replicas': minimum: got -2, want 0/],
  [
    'a malformed tenant host',
    (v) => ({ ...v, ingress: { ...v.ingress, host: 'Acme Auto.mechanicbuddy.app' } }),
    /at '\/ingress\/host': '.*' does not match pattern/,
  ],
  ['a host without a domain', (v) => ({ ...v, ingress: { ...v.ingress, host: 'localhost' } }), /at '\/ingress\/host': 'localhost' does not match pattern/],
  ['a custom domain given as a URL', (v) => ({ ...v, ingress: { ...v.ingress, customDomain: 'https://shop.example.com' } }), /at '\/ingress\/customDomain'/],
  [
    'storage that is not a quantity',
    (v) => ({ ...v, postgres: { ...v.postgres, storage: { ...v.postgres.storage, size: '50 GB' } } }),
    /at '\/postgres\/storage\/size': '50 GB' does not match pattern/,
  ],
  [
    'an unpinned image',
    (v) => ({ ...v, images: { ...v.images, api: { repository: 'ghcr.io/mechanicbuddy/api', tag: 'latest' } } }),
    /at '\/images\/api\/tag': 'not' failed/,
  ],
  ['a misspelt value', (v) => ({ ...v, api: { ...v.api, replica: 2 } }), /at '\/api': additional properties 'replica' not allowed/],
];

describe('values.schema.json', () => {
  it.each(cases)("rejects %s with Helm's error", async (_name, mutate, message) => {
    const stderr = await renderError(mutate(good));
    expect(stderr).toContain("values don't meet the specifications of the schema(s)");
    expect(stderr).toMatch(message);
  });

  it('fails rendering, by name, when backups are enabled without a destination', async () => {
    const stderr = await renderError({ ...good, backup: { ...good.backup, destinationPath: null } });
    expect(stderr).toContain('backup.enabled is true but backup.destinationPath is not set');
  });

  it('fails rendering when backups are enabled without a credentials Secret', async () => {
    const stderr = await renderError({ ...good, backup: { ...good.backup, credentialsSecret: null } });
    expect(stderr).toContain('backup.enabled is true but backup.credentialsSecret is not set');
  });
});
