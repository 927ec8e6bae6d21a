import { fileURLToPath } from 'node:url';
import type { Config } from '../../../../src/config/config.schema.ts';
import { loadConfig } from '../../../../src/config/load-config.ts';

export const JWT_SECRET = 'an-api-test-secret-of-at-least-32-chars!';
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * The shipped config/default.yaml (so tests follow the real tiers and limits), with a test secret
 * and, optionally, changes. Returns a mutable copy.
 */
export function testConfig(change: (config: Config) => void = () => undefined, env: Record<string, string> = {}): Config {
  const config = structuredClone(loadConfig({ env: { AUTH_JWT_SECRET: JWT_SECRET, KUBECONFIG: '/dev/null', ...env }, cwd: repoRoot }));
  change(config);
  return config;
}
