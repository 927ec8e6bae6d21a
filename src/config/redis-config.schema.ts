import { z } from 'zod';

/** Where Redis is when neither a URL nor sentinels are configured (config/default.yaml's value). */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const HOST_PORT = /^(?<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?<port>[0-9]{1,5})$/;

const Sentinel = z.string().superRefine((value, ctx) => {
  const port = HOST_PORT.exec(value)?.groups?.['port'];
  if (port === undefined) ctx.addIssue({ code: 'custom', message: 'must be host:port (an IPv6 address in brackets)' });
  else if (Number(port) < 1 || Number(port) > 65_535) ctx.addIssue({ code: 'custom', message: 'port must be 1-65535' });
});

const Tls = z.strictObject({
  caFile: z.string().min(1).optional().describe('PEM file of the CA that signed the certificates; the system CAs when absent'),
  serverName: z.string().min(1).optional().describe('Name the certificate must carry (SNI); the host connected to when absent'),
  rejectUnauthorized: z.boolean().optional().describe('Refuse certificates that do not verify (default true); false only for a test setup'),
});

/**
 * One Redis (`url`) or a Sentinel-monitored group (`sentinels` + `name`), never both: the composition
 * root builds every connection from this section (src/composition/redis-connections.ts).
 */
export const RedisConfig = z
  .strictObject({
    url: z
      .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
      .optional()
      .describe(`One Redis holding the job queue (REDIS_URL); exclusive with sentinels; ${DEFAULT_REDIS_URL} when neither is set`),
    sentinels: z
      .array(Sentinel)
      .min(1)
      .optional()
      .describe('Redis Sentinels that name the current primary, as host:port (REDIS_SENTINELS, comma-separated); exclusive with url'),
    name: z.string().min(1).optional().describe('The master group the sentinels monitor (REDIS_SENTINEL_NAME); required with sentinels'),
    password: z
      .string()
      .min(1)
      .optional()
      .describe('Password of the Redis servers (REDIS_PASSWORD, from a Secret); with url it may instead be in the URL, not in both'),
    sentinelPassword: z
      .string()
      .min(1)
      .optional()
      .describe('Password of the sentinels themselves (REDIS_SENTINEL_PASSWORD, from a Secret), when they require one'),
    tls: Tls.optional().describe('TLS to the Redis servers: with sentinels this turns TLS on; with url the URL must be rediss://'),
    sentinelTls: Tls.optional().describe('TLS to the sentinels (their own certificates); plain TCP when absent'),
    leaseReplicas: z
      .int()
      .min(0)
      .max(5)
      .optional()
      .describe(
        'Replicas that must acknowledge (WAIT) each tenant-lease acquisition and renewal before it counts, so a failover cannot lose a lease its holder relies on; default 1 with sentinels, 0 with url',
      ),
  })
  .superRefine((redis, ctx) => {
    if (redis.url !== undefined && redis.sentinels !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['sentinels'], message: 'set exactly one of redis.url (REDIS_URL) or redis.sentinels (REDIS_SENTINELS), not both' });
    }
    const sentinelOnly = ['name', 'sentinelPassword', 'sentinelTls'] as const;
    if (redis.sentinels === undefined) {
      for (const field of sentinelOnly) {
        if (redis[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'applies only with redis.sentinels' });
      }
    } else if (redis.name === undefined) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'required with redis.sentinels: the master group they monitor (REDIS_SENTINEL_NAME)' });
    }
    if (redis.url !== undefined) {
      const url = new URL(redis.url);
      if (redis.password !== undefined && url.password !== '') {
        ctx.addIssue({ code: 'custom', path: ['password'], message: 'the URL already carries a password; give it once' });
      }
      if (redis.tls !== undefined && url.protocol !== 'rediss:') {
        ctx.addIssue({ code: 'custom', path: ['tls'], message: 'needs a rediss:// URL' });
      }
    }
  })
  .describe('Redis connection: one server (url) or a Sentinel-monitored primary (sentinels, name)');
export type RedisConfig = z.infer<typeof RedisConfig>;

/** A sentinel's `host:port` as ioredis takes it. */
export function sentinelAddress(value: string): { host: string; port: number } {
  const groups = HOST_PORT.exec(value)?.groups;
  if (!groups) throw new Error(`not host:port: ${value}`);
  const host = groups['host'] as string;
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(groups['port']) };
}
