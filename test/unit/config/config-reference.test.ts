import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Config } from '../../../src/config/config.schema.ts';
import { configFields, configReferenceMarkdown } from '../../../src/config/config-reference.ts';

describe('configuration reference', () => {
  it('lists every field with its environment variable', () => {
    const fields = configFields(Config);
    expect(fields.find((f) => f.path === 'redis.url')).toMatchObject({ env: 'REDIS_URL', type: 'string (optional)' });
    expect(fields.find((f) => f.path === 'redis.sentinels')).toMatchObject({ env: 'REDIS_SENTINELS', type: 'list of string (optional)' });
    expect(fields.find((f) => f.path === 'redis.sentinelPassword')?.env).toBe('REDIS_SENTINEL_PASSWORD');
    expect(fields.find((f) => f.path === 'kubernetes.kubeconfig')?.env).toBe('KUBECONFIG');
    expect(fields.find((f) => f.path === 'logging.level')?.type).toContain('info');
  });

  it('is what README.md shows (regenerate with npm run docs:config)', () => {
    expect(readFileSync('README.md', 'utf8')).toContain(configReferenceMarkdown(Config));
  });
});
