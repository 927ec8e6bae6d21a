import { describe, expect, it } from 'vitest';
import { leaseReplicas, redisOptions } from '../../../src/composition/redis-connections.ts';
import { RedisConfig } from '../../../src/config/redis-config.schema.ts';

const single = RedisConfig.parse({ url: 'rediss://ops:p%40ss@cache.internal:6380/2', tls: { serverName: 'cache' } });
const sentinel = RedisConfig.parse({
  sentinels: ['s0:26379', '[fd00::1]:26380'],
  name: 'tp',
  password: 'data',
  sentinelPassword: 'watch',
  tls: { serverName: 'redis.internal' },
  sentinelTls: { rejectUnauthorized: false },
});
const readOnly = new Error("READONLY You can't write against a read only replica.");

describe('redis connection options from the config', () => {
  it('turns one URL into host, port, user, password, db and TLS', () => {
    expect(redisOptions(single, 'durable')).toEqual({
      host: 'cache.internal',
      port: 6380,
      username: 'ops',
      password: 'p@ss',
      db: 2,
      tls: { servername: 'cache' },
      maxRetriesPerRequest: null,
    });
    expect(redisOptions(RedisConfig.parse({}), 'durable')).toMatchObject({ host: '127.0.0.1', port: 6379 });
  });

  it('passes sentinels, the master group, both passwords and both TLS settings as ioredis takes them', () => {
    const options = redisOptions(sentinel, 'durable');
    expect(options).toMatchObject({
      sentinels: [
        { host: 's0', port: 26379 },
        { host: 'fd00::1', port: 26380 },
      ],
      name: 'tp',
      password: 'data',
      sentinelPassword: 'watch',
      enableTLSForSentinelMode: true,
      tls: { servername: 'redis.internal' },
      sentinelTLS: { rejectUnauthorized: false },
      maxRetriesPerRequest: null,
    });
    expect(options).not.toHaveProperty('host');
    expect(options).not.toHaveProperty('failoverDetector');
    // The sentinels are asked again at least every 500 ms, so a promotion is found within that.
    expect([1, 5, 100].map((times) => options.retryStrategy!(times))).toEqual([50, 250, 500]);
  });

  it('gives each role its behaviour while no primary is known', () => {
    expect(redisOptions(sentinel, 'fail-fast')).toMatchObject({ maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 });
    expect(redisOptions(sentinel, { lease: { ttlMs: 30_000 } })).toMatchObject({
      maxRetriesPerRequest: null,
      commandTimeout: 10_000,
      autoResendUnfulfilledCommands: false,
    });
    // A demoted primary's READONLY sends every role back to the sentinels; only the durable ones resend the command.
    const reconnect = (role: Parameters<typeof redisOptions>[1]) => redisOptions(sentinel, role).reconnectOnError!;
    expect(reconnect('durable')(readOnly)).toBe(2);
    expect(reconnect('subscriber')(readOnly)).toBe(2);
    expect(reconnect('fail-fast')(readOnly)).toBe(1);
    expect(reconnect({ lease: { ttlMs: 30_000 } })(readOnly)).toBe(1);
    expect(reconnect('durable')(new Error('ERR unknown command'))).toBe(false);
  });

  it('waits for one replica per lease write with sentinels by default, none with one Redis', () => {
    expect(leaseReplicas(sentinel)).toBe(1);
    expect(leaseReplicas(single)).toBe(0);
    expect(leaseReplicas({ ...sentinel, leaseReplicas: 2 })).toBe(2);
    expect(leaseReplicas({ ...sentinel, leaseReplicas: 0 })).toBe(0);
  });
});
