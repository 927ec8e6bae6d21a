import { describe, expect, it } from 'vitest';
import { HelmError, helmMessage } from '../../../src/helm/helm-error.ts';

describe('HelmError', () => {
  it("reports Helm's own error from its Error: line on, without usage hints", () => {
    const stderr = 'Error: execution error at (x/templates/a.yaml:1:4): database.engine is required\n\nUse --debug flag to render out invalid YAML\n';
    expect(helmMessage(stderr)).toBe('execution error at (x/templates/a.yaml:1:4): database.engine is required');
  });

  it('treats schema, template and permission errors as permanent', () => {
    expect(new HelmError('upgrade', 1, "Error: values don't meet the specifications of the schema(s)").permanent).toBe(true);
    expect(
      new HelmError('upgrade', 1, 'Error: x/templates/a.yaml:1:64\n  executing "x" at <.Values.a.b>:\n nil pointer evaluating interface {}.b').permanent,
    ).toBe(true);
    expect(new HelmError('upgrade', 1, 'Error: secrets is forbidden: User "x" cannot create resource').permanent).toBe(true);
  });

  it('treats locks, network trouble and cancellation as worth retrying', () => {
    expect(new HelmError('upgrade', 1, 'Error: another operation (install/upgrade/rollback) is in progress').permanent).toBe(false);
    expect(new HelmError('upgrade', 1, 'Error: Kubernetes cluster unreachable: dial tcp 127.0.0.1:6443: connect: connection refused').permanent).toBe(false);
    expect(new HelmError('upgrade', undefined, '', true).permanent).toBe(false);
  });
});

describe('helmEnvironment', () => {
  it("passes Helm what it needs and none of the service's secrets", async () => {
    const { helmEnvironment } = await import('../../../src/helm/helm-client.ts');
    const env = helmEnvironment({
      PATH: '/usr/bin',
      HOME: '/home/app',
      HELM_CACHE_HOME: '/tmp/h',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      HTTPS_PROXY: 'http://p',
      AUTH_JWT_SECRET: 'secret',
      REDIS_URL: 'redis://:pw@r',
      STRIPE_API_KEY: 'sk_test',
      STRIPE_WEBHOOK_SECRET: 'whsec',
    });
    expect(Object.keys(env).sort()).toEqual(['HELM_CACHE_HOME', 'HOME', 'HTTPS_PROXY', 'KUBERNETES_SERVICE_HOST', 'PATH']);
  });
});
