import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/load-config.ts';
import { helm, parseManifests, withValuesFile, type K8sObject } from '../../chart/helm.ts';

// The provisioner chart with an external Redis Sentinel group: what the pods get, and that the
// service's own config loader accepts it as the Sentinel mode (not the URL mode, not an error).
const CHART = resolve(import.meta.dirname, '../../../charts/tenant-provisioner');
const repoRoot = resolve(import.meta.dirname, '../../..');
const SENTINEL = {
  sentinels: ['redis-node-0.redis-headless:26379', 'redis-node-1.redis-headless:26379', 'redis-node-2.redis-headless:26379'],
  name: 'mymaster',
  passwordSecret: { name: 'redis-auth', key: 'redis-password' },
  sentinelPasswordSecret: { name: 'redis-auth', key: 'sentinel-password' },
  tls: { enabled: false, sentinelTls: false, caSecret: { name: '', key: 'ca.crt' }, serverName: '' },
};
const values = (sentinel: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  fullnameOverride: 'tp',
  auth: { existingSecret: { name: 'auth', key: 'AUTH_JWT_SECRET' } },
  redis: { external: { existingSecret: { name: '', key: 'REDIS_URL' }, sentinel: { ...SENTINEL, ...sentinel } } },
  ...extra,
});

async function render(v: unknown): Promise<K8sObject[]> {
  const result = await withValuesFile(v, (file) => helm(['template', 'tp', CHART, '--namespace', 'tp-system', '-f', file]));
  if (result.exitCode !== 0) throw new Error(result.stderr);
  return parseManifests(result.stdout);
}

type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } } };
const containers = (objects: K8sObject[]) =>
  ['tp-api', 'tp-worker'].map((name) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!.spec.template.spec);

/** The pod's environment with Secrets resolved to stand-in values, and its config file, through loadConfig. */
function loadAsPod(objects: K8sObject[], env: Env[]) {
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'tp-config') as unknown as { data: Record<string, string> };
  const file = Object.values(configMap.data)[0]!;
  // Secrets become stand-ins naming their key (padded to the JWT secret's 32 characters); the downward API's namespace is the release's.
  const resolved = Object.fromEntries(
    env.map((e) => {
      const ref = e.valueFrom?.secretKeyRef;
      if (e.value !== undefined) return [e.name, e.value];
      if (ref) return [e.name, `secret:${ref.key}`.padEnd(32, '-')];
      if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') return [e.name, 'tp-system'];
      throw new Error(`no stand-in for ${e.name}`);
    }),
  );
  expect(parse(file)).toBeTypeOf('object');
  return loadConfig({
    env: { ...resolved, CONFIG_FILE: 'pod.yaml', KUBECONFIG: '/dev/null' },
    files: { 'config/default.yaml': DEFAULT_YAML, 'pod.yaml': file },
  });
}

const DEFAULT_YAML = readFileSync(resolve(repoRoot, 'config/default.yaml'), 'utf8');

describe('tenant-provisioner chart with a Redis Sentinel group', () => {
  it('gives both Deployments the sentinels, the master group and both passwords from the Secret, and no REDIS_URL', async () => {
    const objects = await render(values({}));
    for (const pod of containers(objects)) {
      const env = pod.containers[0].env as Env[];
      expect(env.find((e) => e.name === 'REDIS_URL')).toBeUndefined();
      expect(env.filter((e) => e.name.startsWith('REDIS_'))).toEqual([
        { name: 'REDIS_SENTINELS', value: SENTINEL.sentinels.join(',') },
        { name: 'REDIS_SENTINEL_NAME', value: 'mymaster' },
        { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'redis-password' } } },
        { name: 'REDIS_SENTINEL_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'sentinel-password' } } },
      ]);
      expect(pod.volumes.some((v: { name: string }) => v.name === 'redis-ca')).toBe(false);
      expect(loadAsPod(objects, env).redis).toEqual({
        sentinels: SENTINEL.sentinels,
        name: 'mymaster',
        password: 'secret:redis-password'.padEnd(32, '-'),
        sentinelPassword: 'secret:sentinel-password'.padEnd(32, '-'),
      });
    }
    // No Redis of the chart's own beside the external group.
    expect(objects.some((o) => o.kind === 'StatefulSet')).toBe(false);
  });

  it('mounts the CA Secret and writes the TLS options into the config file when TLS is on', async () => {
    const objects = await render(
      values({
        passwordSecret: { name: '', key: 'redis-password' },
        sentinelPasswordSecret: { name: '', key: 'sentinel-password' },
        tls: { enabled: true, sentinelTls: true, caSecret: { name: 'redis-ca', key: 'ca.crt' }, serverName: 'redis.internal' },
      }),
    );
    for (const pod of containers(objects)) {
      const env = pod.containers[0].env as Env[];
      expect(env.map((e) => e.name).filter((n) => n.startsWith('REDIS_'))).toEqual(['REDIS_SENTINELS', 'REDIS_SENTINEL_NAME']);
      expect(pod.volumes).toContainEqual({ name: 'redis-ca', secret: { secretName: 'redis-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'redis-ca', mountPath: '/etc/tenant-provisioner-redis-ca', readOnly: true });
      const tls = { caFile: '/etc/tenant-provisioner-redis-ca/ca.crt', serverName: 'redis.internal' };
      expect(loadAsPod(objects, env).redis).toEqual({ sentinels: SENTINEL.sentinels, name: 'mymaster', tls, sentinelTls: tls });
    }
  });

  it('refuses sentinels without a master group, beside the in-chart Redis, or not as host:port', async () => {
    await expect(render(values({ name: '' }))).rejects.toThrow(/redis\.external\.sentinel\.name .* is required with sentinels/);
    await expect(
      render(values({}, { redis: { enabled: true, external: { existingSecret: { name: '', key: 'REDIS_URL' }, sentinel: SENTINEL } } })),
    ).rejects.toThrow(/applies only with redis\.enabled false/);
    await expect(render(values({ sentinels: ['redis-node-0'] }))).rejects.toThrow(/sentinels/);
  });
});
