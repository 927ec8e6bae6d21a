import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_OVERRIDES } from '../../../src/config/config-sources.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { SANDBOX_VERSIONS } from '../../sandbox/versions.ts';

// No Docker engine runs here (`docker compose config` cannot), so docker-compose.yml is checked by
// reading it: pinned images, Redis settings BullMQ depends on, and a kubeconfig that really
// reaches the k3s service from the other containers.
const root = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');

type Service = {
  image?: string;
  build?: { context: string } | string;
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  privileged?: boolean;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
};
// Compose resolves `<<` merge keys; so does yaml with merge: true.
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};
const volumesOf = (s: Service) =>
  (s.volumes ?? []).map((v) => {
    const [source = '', target = '', mode] = v.split(':');
    return { source, target, readOnly: mode === 'ro' };
  });
const args = (s: Service) => (Array.isArray(s.command) ? s.command : (s.command ?? '').split(/\s+/));
const flagValue = (list: string[], flag: string) => list[list.indexOf(flag) + 1];

/** Compose's interpolation of `${VAR:?message}` (required: `given` supplies it) and `${VAR:-default}`. */
function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    if (given[name] !== undefined) return given[name];
    if (kind === '-') return rest ?? '';
    throw new Error(`\${${name}} is required by docker-compose.yml and was not given`);
  });
}

/**
 * The variables in `environment` that the service never reads. The configuration loader is run on
 * an environment that records every name it looks up (ENV_OVERRIDES, CONFIG_FILE, KUBECONFIG,
 * KUBERNETES_SERVICE_HOST…): once with these values, so branches they open are taken, and once empty.
 */
function unknownVariables(environment: Record<string, string>): string[] {
  const looked = new Set<string>();
  for (const values of [environment, {}] as Array<Record<string, string>>) {
    const env = new Proxy(values, {
      get: (target, key) => {
        if (typeof key === 'string') looked.add(key);
        return typeof key === 'string' ? target[key] : undefined;
      },
    });
    const files = { 'config/default.yaml': read('config/default.yaml'), [environment['CONFIG_FILE'] ?? '-']: read('deploy/compose/provisioner.yaml') };
    try {
      loadConfig({ env, files });
    } catch {
      // An empty environment is not a valid configuration; only the names looked up matter here.
    }
  }
  return Object.keys(environment).filter((name) => !looked.has(name) && !RUNTIME_VARIABLES.includes(name));
}

/** Read by Node itself, not by the configuration (the worker's V8 flags, as the chart sets them). */
const RUNTIME_VARIABLES = ['NODE_OPTIONS'];

const SECRET = { AUTH_JWT_SECRET: 'x'.repeat(48) };
const environmentOf = (name: string) =>
  Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([k, v]) => [k, interpolate(String(v), SECRET)]));

describe('docker-compose.yml', () => {
  it('sets only environment variables the configuration knows', () => {
    for (const name of ['api', 'worker']) {
      const environment = environmentOf(name);
      expect(Object.keys(environment).length, name).toBeGreaterThan(3);
      expect(unknownVariables(environment), name).toEqual([]);
    }
    // The recorder does see the schema's overrides: each one the compose file sets is among them.
    const overrides = new Set<string>(ENV_OVERRIDES.map((o) => o.name));
    expect(
      Object.keys(environmentOf('worker'))
        .filter((n) => !overrides.has(n))
        .sort(),
    ).toEqual(['CONFIG_FILE', 'KUBECONFIG', 'NODE_OPTIONS']);
  });

  it('and so do the override files in deploy/compose (compose -f docker-compose.yml -f …)', () => {
    const overrides = readdirSync(resolve(root, 'deploy/compose'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => ({ f, doc: parse(read(`deploy/compose/${f}`), { merge: true }) as { services?: Record<string, Service> } }))
      .filter(({ doc }) => doc?.services !== undefined);
    let checked = 0;
    for (const { f, doc } of overrides) {
      for (const [name, s] of Object.entries(doc.services!)) {
        if (!s.environment || !['api', 'worker'].includes(name)) continue;
        const environment = {
          ...environmentOf(name),
          ...Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, interpolate(String(v), SECRET)])),
        };
        expect(unknownVariables(environment), `${f}: ${name}`).toEqual([]);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('catches a variable the configuration does not know (a misspelt or invented one)', () => {
    const environment = { ...environmentOf('worker'), REDIS_HOST: 'redis', LOGLEVEL: 'debug' };
    expect(unknownVariables(environment)).toEqual(['REDIS_HOST', 'LOGLEVEL']);
  });

  it('has Redis, the API, a worker and k3s, with the kubeconfig step between k3s and the service', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'k3s', 'kubeconfig', 'redis', 'worker']);
  });

  it('pins every pulled image to an exact version', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build) continue;
      expect(s.image, name).toMatch(/^[a-z0-9./-]+:v?\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/);
    }
  });

  it('runs Redis with noeviction and the append-only file, on a volume', () => {
    const redis = args(service('redis'));
    expect(flagValue(redis, '--maxmemory-policy')).toBe('noeviction');
    expect(flagValue(redis, '--appendonly')).toBe('yes');
    const data = volumesOf(service('redis')).find((v) => v.target === '/data');
    expect(data && data.source in compose.volumes).toBe(true);
    expect(service('redis').healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('runs the API and the worker from the same locally built image, with their mode as the argument', () => {
    const api = service('api');
    const worker = service('worker');
    expect(api.image).toBe(worker.image);
    expect(api.build).toEqual(worker.build);
    expect(api.build).toEqual({ context: '.' });
    expect(api.command).toEqual(['api']);
    expect(worker.command).toEqual(['worker']);
    for (const s of [api, worker]) {
      expect(s.depends_on).toEqual({ redis: { condition: 'service_healthy' }, kubeconfig: { condition: 'service_completed_successfully' } });
    }
    // Gives running jobs the service's 90 s shutdown deadline before SIGKILL.
    expect(Number.parseInt(worker.stop_grace_period ?? '0', 10)).toBeGreaterThanOrEqual(100);
  });

  it('wires REDIS_URL to the redis service and KUBECONFIG to the shared kubeconfig volume', () => {
    for (const name of ['api', 'worker']) {
      const s = service(name);
      expect(s.environment?.['REDIS_URL']).toBe('redis://redis:6379');
      const kubeconfig = s.environment?.['KUBECONFIG'] as string;
      const mount = volumesOf(s).find((v) => v.target === dirname(kubeconfig));
      expect(mount, name).toMatchObject({ source: 'kubeconfig', readOnly: true });
      expect(s.environment?.['AUTH_JWT_SECRET']).toMatch(/^\$\{AUTH_JWT_SECRET:\?/); // required, never a default
    }
    expect(service('worker').environment?.['HEALTH_PORT']).toBe('3001');
  });

  it('runs k3s pinned to the sandbox\'s Kubernetes version, privileged, serving a certificate for the name "k3s"', () => {
    const k3s = service('k3s');
    expect(k3s.image).toBe(`rancher/k3s:${SANDBOX_VERSIONS.kubernetes}-k3s1`);
    expect(k3s.privileged).toBe(true);
    expect(flagValue(args(k3s), '--tls-san')).toBe('k3s');
    const output = k3s.environment?.['K3S_KUBECONFIG_OUTPUT'] as string;
    expect(volumesOf(k3s).find((v) => v.target === dirname(output))?.source).toBe('k3s-output');
    expect(k3s.environment?.['K3S_KUBECONFIG_MODE']).toBe('644');
  });

  it("rewrites k3s's kubeconfig to https://k3s:6443 into the volume the service reads, after k3s is healthy", () => {
    const step = service('kubeconfig');
    const k3sOutput = service('k3s').environment?.['K3S_KUBECONFIG_OUTPUT'] as string;
    const serviceKubeconfig = service('api').environment?.['KUBECONFIG'] as string;
    expect(step.depends_on).toEqual({ k3s: { condition: 'service_healthy' } });
    expect(volumesOf(step)).toEqual(
      expect.arrayContaining([
        { source: 'k3s-output', target: dirname(k3sOutput), readOnly: true },
        { source: 'kubeconfig', target: dirname(serviceKubeconfig), readOnly: false },
      ]),
    );
    const script = (step.command as string[]).join('\n');
    expect(script).toContain(`s#server: https://127.0.0.1:6443#server: https://k3s:6443#' ${k3sOutput}`);
    expect(script).toContain(`mv ${serviceKubeconfig}.tmp ${serviceKubeconfig}`);
  });

  it('mounts the platform manifests k3s applies and the config file, and both exist', () => {
    for (const v of volumesOf(service('k3s')).filter((m) => m.source.startsWith('./'))) {
      expect(existsSync(resolve(root, v.source)), v.source).toBe(true);
      expect(v.target).toMatch(/^\/var\/lib\/rancher\/k3s\/server\/manifests\/[^/]+\.yaml$/);
    }
    const config = volumesOf(service('api')).find((v) => v.target === service('api').environment?.['CONFIG_FILE']);
    expect(config?.readOnly).toBe(true);
    expect(existsSync(resolve(root, config!.source))).toBe(true);
  });

  it('gives the service a configuration it accepts on that cluster', () => {
    const env = service('worker').environment!;
    const loaded = loadConfig({
      env: { ...env, AUTH_JWT_SECRET: 'x'.repeat(48), LOG_LEVEL: 'info' },
      files: { 'config/default.yaml': read('config/default.yaml'), [env['CONFIG_FILE'] as string]: read('deploy/compose/provisioner.yaml') },
    });
    expect(loaded.kubernetes).toEqual({ source: 'kubeconfig', kubeconfig: '/kube/kubeconfig.yaml' });
    expect(loaded.redis.url).toBe('redis://redis:6379');
    expect(loaded.server.host).toBe('0.0.0.0');
    expect(loaded.platform.ingressClassName).toBe('traefik');
  });

  it('publishes ports on loopback only', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const port of s.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
  });
});
