import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.ts';
import { DEFAULT_CONFIG_FILE, loadConfig, type LoadConfigOptions } from '../../../src/config/load-config.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const DEFAULT_YAML = readFileSync(new URL(`../../../${DEFAULT_CONFIG_FILE}`, import.meta.url), 'utf8');
const SECRET = 's'.repeat(32);
const BASE_ENV = { AUTH_JWT_SECRET: SECRET, KUBECONFIG: '/home/ops/.kube/config' };

function load(options: Partial<LoadConfigOptions> & { override?: string } = {}) {
  const files: Record<string, string> = { [DEFAULT_CONFIG_FILE]: DEFAULT_YAML, ...options.files };
  if (options.override !== undefined) files['override.yaml'] = options.override;
  const env = { ...BASE_ENV, ...(options.override === undefined ? {} : { CONFIG_FILE: 'override.yaml' }), ...options.env };
  return loadConfig({ env, files, ...(options.argv ? { argv: options.argv } : {}) });
}

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads the shipped config/default.yaml from disk with the seed defaults', () => {
    const config = loadConfig({ env: BASE_ENV, cwd: repoRoot });
    expect(config.server).toEqual({ port: 3000, host: '127.0.0.1', healthPort: 3001, closedPagePort: null });
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.platform).toMatchObject({
      baseDomain: 'mechanicbuddy.app',
      namespacePrefix: 'tenant-',
      releasePrefix: 'tenant-',
      clusterIssuer: 'letsencrypt-prod',
      storageClass: 'local-path',
      chart: { path: 'charts/mechanicbuddy-tenant' },
    });
    expect(config.platform.images.migrations.repository).toBe('ghcr.io/mechanicbuddy/dbup');
    expect(config.platform.images.postgres).toEqual({ repository: 'ghcr.io/cloudnative-pg/postgresql', tag: '17.5' });
    expect(config.timeouts).toMatchObject({ waitForDatabase: 300, waitForApi: 300, waitForWeb: 300, provisioning: 600, kubernetesRequest: 30 });
    expect(config.timeouts).not.toHaveProperty('migration');
    expect(config.provisioning).toEqual({
      keepFailedForInspection: false,
      adminUsername: 'admin',
      expiry: { sweepSeconds: 300, policy: 'hibernate-then-deprovision', deprovisionAfterSeconds: 14 * 86_400 },
      reconcile: { sweepSeconds: 120, lostIntentAfterSeconds: 60, stuckAfterSeconds: 600, tenantsAtOnce: 8 },
      blueGreen: { windowSeconds: 3600, smokeCheck: null },
      rollouts: { tickSeconds: 5 },
    });
    expect(config.queue.prefix).toBe('tp');
    expect(config.http.bodyLimitBytes).toBe(1024 * 1024);
    expect(config.sse.heartbeatSeconds).toBe(15);
    expect(config.auth).toMatchObject({ requiredRole: 'superadmin', jwtSecret: SECRET, algorithms: { secret: ['HS256'] } });
    expect(config.tiers.enterprise.postgresInstances).toBe(3);
    expect(config.kubernetes).toEqual({ source: 'kubeconfig', kubeconfig: '/home/ops/.kube/config' });
  });

  it('layers default file < override file < environment variables', () => {
    const config = load({
      override: 'server: { port: 4000, host: 0.0.0.0 }\nqueue: { prefix: from-file }\nlogging: { level: debug }\n',
      env: { PORT: '5000', QUEUE_PREFIX: 'from-env', REDIS_URL: 'rediss://cache:6380', AUTH_JWT_ISSUER: 'https://id.example' },
    });
    expect(config.server).toEqual({ port: 5000, host: '0.0.0.0', healthPort: 3001, closedPagePort: null });
    expect(config.queue.prefix).toBe('from-env');
    expect(config.queue.attempts).toBe(3); // untouched siblings survive the deep merge
    expect(config.logging.level).toBe('debug');
    expect(config.redis.url).toBe('rediss://cache:6380');
    expect(config.auth.issuer).toBe('https://id.example');
  });

  it('takes the override file from --config over CONFIG_FILE', () => {
    const files = { 'other.yaml': 'sse: { heartbeatSeconds: 5 }' };
    expect(load({ override: 'sse: { heartbeatSeconds: 9 }', files, argv: ['all', '--config', 'other.yaml'] }).sse.heartbeatSeconds).toBe(5);
    expect(load({ override: 'sse: { heartbeatSeconds: 9 }', files, argv: ['--config=other.yaml'] }).sse.heartbeatSeconds).toBe(5);
    expect(load({ override: 'sse: { heartbeatSeconds: 9 }' }).sse.heartbeatSeconds).toBe(9);
  });

  it('lets another SaaS point at its own chart, images and domain', () => {
    const config = load({
      override: [
        'platform:',
        '  baseDomain: shops.example.org',
        '  storageClass: null',
        '  ingressClassName: traefik',
        '  chart: { path: oci://registry.example.org/charts/shop, version: 2.3.1 }',
        '  images: { api: { repository: registry.example.org/shop/api, tag: "2.3.1" } }',
      ].join('\n'),
    });
    expect(config.platform.chart).toEqual({ path: 'oci://registry.example.org/charts/shop', version: '2.3.1' });
    expect(config.platform.images.api.repository).toBe('registry.example.org/shop/api');
    expect(config.platform.images.web.repository).toBe('ghcr.io/mechanicbuddy/web');
    expect(config.platform.storageClass).toBeNull();
    expect(config.platform.ingressClassName).toBe('traefik');
  });

  it('lists every bad field together, naming the variable that set it', () => {
    let error: ConfigError | undefined;
    try {
      load({
        override: 'timeouts: { waitForApi: 0 }\nplatform: { storageClass: Local_Path, images: { api: { tag: latest } } }\nqueue: { atempts: 2 }',
        env: { PORT: 'eighty', LOG_LEVEL: 'loud', REDIS_URL: 'http://cache' },
      });
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const paths = error?.issues.map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'server.port',
        'logging.level',
        'redis.url',
        'timeouts.waitForApi',
        'platform.storageClass',
        'platform.images.api.tag',
        'queue.atempts',
      ]),
    );
    expect(error?.issues.find((issue) => issue.path === 'server.port')?.source).toBe('PORT');
    expect(error?.message).toMatch(/^Invalid configuration:\n/);
    expect(error?.message).toContain('server.port: ');
    expect(error?.message).toContain('(from PORT)');
    expect(error?.message).toContain('platform.images.api.tag: must be pinned to a version');
  });

  it('requires exactly one of AUTH_JWT_SECRET and AUTH_JWKS_URL', () => {
    expect(issuesOf(() => load({ env: { AUTH_JWT_SECRET: undefined } }))).toEqual([
      expect.stringMatching(/^auth.jwtSecret: set exactly one of AUTH_JWT_SECRET or AUTH_JWKS_URL/),
    ]);
    expect(issuesOf(() => load({ env: { AUTH_JWKS_URL: 'https://id.example/jwks' } }))).toEqual([expect.stringMatching(/^auth.jwtSecret: set only one/)]);
    const jwks = load({ env: { AUTH_JWT_SECRET: '', AUTH_JWKS_URL: 'https://id.example/.well-known/jwks.json' } });
    expect(jwks.auth.jwksUrl).toBe('https://id.example/.well-known/jwks.json');
    expect(jwks.auth.jwtSecret).toBeUndefined();
  });

  it('rejects weak secrets, PEM keys as secrets and plain-http JWKS off loopback', () => {
    expect(issuesOf(() => load({ env: { AUTH_JWT_SECRET: 'short' } }))).toEqual([expect.stringMatching(/^auth.jwtSecret: must be at least 32/)]);
    const pem = `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(64)}\n-----END PUBLIC KEY-----`;
    expect(issuesOf(() => load({ env: { AUTH_JWT_SECRET: pem } }))).toEqual([expect.stringMatching(/PEM key/)]);
    const http = { AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: 'http://id.example/jwks' };
    expect(issuesOf(() => load({ env: http }))).toEqual([expect.stringMatching(/^auth.jwksUrl: must use https/)]);
    expect(load({ env: { AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: 'http://127.0.0.1:9999/jwks' } }).auth.jwksUrl).toBeDefined();
  });

  it('refuses asymmetric algorithms with a secret and HMAC with a JWKS', () => {
    expect(issuesOf(() => load({ override: 'auth: { algorithms: { secret: [RS256], jwks: [HS256] } }' }))).toEqual([
      expect.stringMatching(/^auth.algorithms.secret.0: /),
      expect.stringMatching(/^auth.algorithms.jwks.0: /),
    ]);
  });

  it('uses in-cluster credentials only when no kubeconfig is named, and never falls back silently', () => {
    expect(load({ env: { KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: '10.0.0.1' } }).kubernetes).toEqual({ source: 'in-cluster' });
    expect(load({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } }).kubernetes.source).toBe('kubeconfig');
    const issues = issuesOf(() => load({ env: { KUBECONFIG: '' } }));
    expect(issues).toEqual([expect.stringMatching(/^kubernetes: no cluster configured.*KUBECONFIG.*localhost:8080/)]);
  });

  it('keeps step timeouts within the overall provisioning timeout', () => {
    expect(issuesOf(() => load({ override: 'timeouts: { provisioning: 200 }' }))).toEqual([
      'timeouts.waitForDatabase: must not exceed timeouts.provisioning (200s)',
      'timeouts.waitForApi: must not exceed timeouts.provisioning (200s)',
      'timeouts.waitForWeb: must not exceed timeouts.provisioning (200s)',
      'timeouts.deprovision: must not exceed timeouts.provisioning (200s)',
    ]);
  });

  it('bounds name prefixes so namespaces stay ≤ 63 and releases ≤ 53 characters', () => {
    const issues = issuesOf(() => load({ override: `platform: { namespacePrefix: ${'n'.repeat(27)}, releasePrefix: ${'r'.repeat(17)} }` }));
    expect(issues).toEqual([
      expect.stringMatching(/^platform.namespacePrefix: must be at most 26/),
      expect.stringMatching(/^platform.releasePrefix: must be at most 16/),
    ]);
  });

  it('reports unreadable and malformed files with their source', () => {
    const missing = () => load({ env: { CONFIG_FILE: 'nope.yaml' } });
    expect(() => missing()).toThrow(/nope.yaml/);
    expect(issuesOf(missing)).toEqual([': file not found']);
    expect(() => load({ override: 'server: [unclosed' })).toThrow(/is not valid YAML.*from override.yaml/s);
    expect(issuesOf(() => load({ override: '- a list' }))).toEqual([': must be a YAML mapping at the top level']);
    expect(() => loadConfig({ env: BASE_ENV, cwd: '/nonexistent-dir' })).toThrow(/cannot read the file \(ENOENT\)/);
  });

  it('treats a __proto__ key in a file as data, not a prototype', () => {
    const issues = issuesOf(() => load({ override: '__proto__: { polluted: true }' }));
    expect(issues).toEqual(['__proto__: is not a known field']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('returns a deeply frozen object', () => {
    const config = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.tiers.demo.api)).toBe(true);
    expect(Object.isFrozen(config.auth.algorithms.jwks)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});
