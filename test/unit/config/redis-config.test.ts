import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../../src/config/load-config.ts';

const DEFAULT_YAML = readFileSync(new URL(`../../../${DEFAULT_CONFIG_FILE}`, import.meta.url), 'utf8');
const BASE_ENV = { AUTH_JWT_SECRET: 's'.repeat(32), KUBECONFIG: '/home/ops/.kube/config' };

function load(env: Record<string, string> = {}, override?: string) {
  const files: Record<string, string> = { [DEFAULT_CONFIG_FILE]: DEFAULT_YAML, ...(override === undefined ? {} : { 'override.yaml': override }) };
  return loadConfig({ env: { ...BASE_ENV, ...(override === undefined ? {} : { CONFIG_FILE: 'override.yaml' }), ...env }, files });
}

function issues(env: Record<string, string>, override?: string): string[] {
  try {
    load(env, override);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}${i.source ? ` (${i.source})` : ''}`);
  }
  throw new Error('expected a ConfigError');
}

describe('redis configuration: one server or Sentinel', () => {
  it('keeps one Redis at the default URL when nothing chooses a mode', () => {
    expect(load().redis).toEqual({ url: 'redis://127.0.0.1:6379' });
  });

  it('takes sentinels, the master group and both passwords from the environment; the default URL gives way', () => {
    const redis = load({
      REDIS_SENTINELS: 'sentinel-0:26379, sentinel-1:26379,[::1]:26380',
      REDIS_SENTINEL_NAME: 'tp',
      REDIS_PASSWORD: 'data-pass',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pass',
    }).redis;
    expect(redis).toEqual({
      sentinels: ['sentinel-0:26379', 'sentinel-1:26379', '[::1]:26380'],
      name: 'tp',
      password: 'data-pass',
      sentinelPassword: 'sentinel-pass',
    });
  });

  it('takes sentinels and TLS from an override file', () => {
    const redis = load(
      {},
      'redis:\n  sentinels: [s0:26379]\n  name: tp\n  tls: { caFile: /etc/redis-ca/ca.crt, serverName: redis.internal }\n  sentinelTls: { rejectUnauthorized: false }\n  leaseReplicas: 2\n',
    ).redis;
    expect(redis).toEqual({
      sentinels: ['s0:26379'],
      name: 'tp',
      leaseReplicas: 2,
      tls: { caFile: '/etc/redis-ca/ca.crt', serverName: 'redis.internal' },
      sentinelTls: { rejectUnauthorized: false },
    });
  });

  it('refuses a URL and sentinels both chosen by the operator, naming where each came from', () => {
    expect(issues({ REDIS_URL: 'redis://cache:6379', REDIS_SENTINELS: 's0:26379', REDIS_SENTINEL_NAME: 'tp' })).toEqual([
      'redis.sentinels: set exactly one of redis.url (REDIS_URL) or redis.sentinels (REDIS_SENTINELS), not both (REDIS_SENTINELS)',
    ]);
    // Across layers too: sentinels in the file and a URL in the environment are a contradiction, not a precedence.
    expect(issues({ REDIS_URL: 'redis://cache:6379' }, 'redis: { sentinels: [s0:26379], name: tp }')).toEqual([
      'redis.sentinels: set exactly one of redis.url (REDIS_URL) or redis.sentinels (REDIS_SENTINELS), not both',
    ]);
  });

  it('needs the master group with sentinels, and refuses sentinel settings without sentinels', () => {
    expect(issues({ REDIS_SENTINELS: 's0:26379' })).toEqual(['redis.name: required with redis.sentinels: the master group they monitor (REDIS_SENTINEL_NAME)']);
    expect(issues({ REDIS_SENTINEL_NAME: 'tp', REDIS_SENTINEL_PASSWORD: 'x' })).toEqual([
      'redis.name: applies only with redis.sentinels (REDIS_SENTINEL_NAME)',
      'redis.sentinelPassword: applies only with redis.sentinels (REDIS_SENTINEL_PASSWORD)',
    ]);
  });

  it('refuses sentinel addresses that are not host:port', () => {
    const found = issues({ REDIS_SENTINELS: 's0,s1:99999,http://s2:26379', REDIS_SENTINEL_NAME: 'tp' });
    expect(found).toEqual([
      'redis.sentinels.0: must be host:port (an IPv6 address in brackets) (REDIS_SENTINELS)',
      'redis.sentinels.1: port must be 1-65535 (REDIS_SENTINELS)',
      'redis.sentinels.2: must be host:port (an IPv6 address in brackets) (REDIS_SENTINELS)',
    ]);
  });

  it('takes the password once, and TLS options only with rediss://', () => {
    expect(issues({ REDIS_URL: 'redis://:inline@cache:6379', REDIS_PASSWORD: 'again' })).toEqual([
      'redis.password: the URL already carries a password; give it once (REDIS_PASSWORD)',
    ]);
    expect(issues({}, 'redis: { tls: { serverName: cache } }')).toEqual(['redis.tls: needs a rediss:// URL']);
    expect(load({ REDIS_URL: 'rediss://cache:6380' }, 'redis: { tls: { serverName: cache } }').redis.tls).toEqual({ serverName: 'cache' });
  });

  it('never puts a password into an error message', () => {
    const message = (() => {
      try {
        load({ REDIS_SENTINELS: 'bad', REDIS_PASSWORD: 'hunter2-secret', REDIS_SENTINEL_PASSWORD: 'other-secret' });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toContain('redis.sentinels.0');
    expect(message).not.toMatch(/hunter2-secret|other-secret/);
  });
});
