import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/load-config.ts';

// deploy/compose/sentinel.yaml, layered on docker-compose.yml as `docker compose -f … -f …` layers it
// (mappings merge key by key; lists and scalars of the later file replace), read without Docker.
const root = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');
type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);
const merge = (base: Tree, over: Tree): Tree =>
  Object.fromEntries(
    [...new Set([...Object.keys(base), ...Object.keys(over)])].map((key) => {
      const [a, b] = [base[key], over[key]];
      return [key, isTree(a) && isTree(b) ? merge(a, b) : b === undefined ? a : b];
    }),
  );

type Service = {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
};
const base = parse(read('docker-compose.yml'), { merge: true }) as Tree;
const override = parse(read('deploy/compose/sentinel.yaml'), { merge: true }) as Tree;
const merged = merge(base, override) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = merged.services;
const sentinelNames = Object.keys(services).filter((name) => name.startsWith('redis-sentinel-'));
const sentinelConf = (s: Service) => (s.command ?? []).join('\n');

describe('docker compose with Redis Sentinel (deploy/compose/sentinel.yaml)', () => {
  it('adds a replica of redis and three sentinels monitoring it with a quorum of two, on the same pinned image', () => {
    expect(sentinelNames).toEqual(['redis-sentinel-1', 'redis-sentinel-2', 'redis-sentinel-3']);
    const image = services['redis']!.image;
    const replica = services['redis-replica']!;
    expect(replica.image).toBe(image);
    expect(replica.command).toEqual(expect.arrayContaining(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes']));
    expect(replica.command!.join(' ')).toContain('--replicaof redis 6379');
    expect(replica.volumes).toEqual(['redis-replica-data:/data']);
    expect(merged.volumes).toHaveProperty('redis-replica-data');
    // The primary keeps what BullMQ needs and announces its name.
    expect(services['redis']!.command).toEqual(
      expect.arrayContaining(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes', '--replica-announce-ip', 'redis']),
    );
    for (const name of sentinelNames) {
      expect(services[name]!.image, name).toBe(image);
      expect(sentinelConf(services[name]!), name).toMatch(/^\s*sentinel monitor tp redis 6379 2$/m);
      expect(sentinelConf(services[name]!), name).toMatch(/^\s*port 26379$/m);
    }
  });

  it('connects the API and the worker through exactly those sentinels, and the configuration accepts it as Sentinel mode', () => {
    for (const name of ['api', 'worker']) {
      const s = services[name]!;
      const env = s.environment!;
      expect(env['REDIS_SENTINELS']!.split(','), name).toEqual(sentinelNames.map((n) => `${n}:26379`));
      // The base file's other dependencies stay; the sentinels are added.
      expect(Object.keys(s.depends_on ?? {}), name).toEqual(expect.arrayContaining(['redis', 'kubeconfig', ...sentinelNames]));
      const loaded = loadConfig({
        // As compose interpolates them: the secret given, LOG_LEVEL at its default.
        env: { ...env, AUTH_JWT_SECRET: 'x'.repeat(48), LOG_LEVEL: 'info' },
        files: { 'config/default.yaml': read('config/default.yaml'), [env['CONFIG_FILE']!]: read('deploy/compose/provisioner.yaml') },
      });
      expect(loaded.redis, name).toEqual({ sentinels: sentinelNames.map((n) => `${n}:26379`), name: 'tp' });
    }
  });

  it('is named in docker-compose.yml with the command that uses it', () => {
    expect(read('docker-compose.yml')).toContain('docker compose -f docker-compose.yml -f deploy/compose/sentinel.yaml up');
  });
});
