import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { SmokeCheckConfig } from '../../../src/config/smoke-check-config.schema.ts';

const image = { repository: 'curlimages/curl', tag: '8.11.1' };

describe('provisioning.blueGreen.smokeCheck', () => {
  it('is off by default: readiness alone gates a switch', () => {
    const config = loadConfig({ env: { KUBECONFIG: '/dev/null', AUTH_JWT_SECRET: 'unit-test-secret-that-is-at-least-32-bytes' } });
    expect(config.provisioning.blueGreen.smokeCheck).toBeNull();
  });

  it('needs only an image; the paths are the API readiness and Web health endpoints', () => {
    expect(SmokeCheckConfig.parse({ image })).toEqual({
      image,
      apiPath: '/health/ready',
      webPath: '/api/health',
      timeoutSeconds: 60,
      keepFinishedSeconds: 3600,
    });
    expect(SmokeCheckConfig.parse({ image, webPath: null, apiPath: '/health/live?full=1' })).toMatchObject({ webPath: null, apiPath: '/health/live?full=1' });
  });

  it('refuses an unpinned image, a path that is not absolute or could break out of the URL, and a deadline out of range', () => {
    for (const bad of [
      { image: { ...image, tag: 'latest' } },
      { image, apiPath: 'health' },
      { image, apiPath: '/a b' },
      { image, webPath: '/x#y' },
      { image, timeoutSeconds: 1 },
      { image, timeoutSeconds: 3600 },
      { image, extra: true },
    ]) {
      expect(SmokeCheckConfig.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
