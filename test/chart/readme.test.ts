import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ContainerResources } from '../../src/domain/chart-quota.ts';
import type { TiersConfig } from '../../src/domain/tiers.ts';
import { CHART_DIR } from './helm.ts';
import { TIER_NAMES, loadTiers, valuesForTier } from './tier-values.ts';

// The README's tier tables are written by hand; this keeps them equal to what the builder renders.
let tiers: TiersConfig;
let readme: string;
beforeAll(async () => {
  tiers = await loadTiers();
  readme = await readFile(join(CHART_DIR, 'README.md'), 'utf8');
});

const memory = (r: ContainerResources) => `${r.requests.memory}-${r.limits.memory}`;

describe('chart README', () => {
  it.each(TIER_NAMES)('describes the %s tier as the values builder renders it', (tier) => {
    const v = valuesForTier(tiers, tier);
    const sizes = [v.postgres.instances, v.api.replicas, v.web.replicas, v.postgres.storage.size];
    const memories = [memory(v.postgres.resources), memory(v.api.resources), memory(v.web.resources)];
    const rest = [v.tenant.mechanicLimit ?? 'unlimited', v.backup.enabled ? v.backup.retentionPolicy : 'no'];
    expect(readme).toContain(`| ${[tier, ...sizes, ...memories, ...rest].join(' | ')} |`);
    const q = v.quota;
    const quota = [q.requests.cpu, q.requests.memory, q.limits.cpu, q.limits.memory, q.requests.storage, q.pods, q.persistentVolumeClaims];
    expect(readme).toContain(`| ${[tier, ...quota].join(' | ')} |`);
  });
});
