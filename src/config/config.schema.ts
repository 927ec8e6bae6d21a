import { z } from 'zod';
import { BillingConfig } from '../billing/billing-config.schema.ts';
import { requiredCredentialKeys } from '../domain/backup-store.ts';
import { parameterProblems } from '../domain/postgres-parameters.ts';
import { TiersConfig } from '../domain/tiers.ts';
import { AuthConfig } from './auth-config.schema.ts';
import { PlatformConfig, TimeoutsConfig } from './platform-config.schema.ts';
import { RedisConfig } from './redis-config.schema.ts';
import { SmokeCheckConfig } from './smoke-check-config.schema.ts';

const seconds = (what: string) => z.int().min(1).max(86_400).describe(`${what}, in seconds`);

const KubernetesConfig = z
  .discriminatedUnion('source', [
    z.strictObject({
      source: z.literal('kubeconfig').describe('Use a kubeconfig file (KUBECONFIG)'),
      kubeconfig: z.string().min(1).describe('Path of the kubeconfig file (KUBECONFIG); may list several, colon-separated'),
      context: z.string().min(1).optional().describe("Context to use; the file's current context when absent"),
    }),
    z.strictObject({
      source: z.literal('in-cluster').describe("Use the pod's service account (KUBERNETES_SERVICE_HOST is set)"),
    }),
  ])
  .describe('Which cluster to manage. There is deliberately no default: never an unauthenticated localhost:8080');

/** The whole service configuration: `config/default.yaml`, then `CONFIG_FILE`, then environment variables. */
export const Config = z
  .strictObject({
    server: z
      .strictObject({
        port: z.int().min(0).max(65_535).describe('HTTP port to listen on; 0 picks a free one (PORT)'),
        host: z.string().min(1).describe('Interface to bind (HOST)'),
        healthPort: z
          .int()
          .min(0)
          .max(65_535)
          .describe("Port of the worker process's /healthz, /readyz and /metrics (HEALTH_PORT); `all` serves them on the API port"),
        closedPagePort: z
          .int()
          .min(0)
          .max(65_535)
          .nullable()
          .describe(
            "Port on which the API process answers every request, whatever its host and path, with the 'this account is closed' page (410, never cached), for platform.closedPage to point at (CLOSED_PAGE_PORT); null: not served",
          ),
      })
      .describe('HTTP listener'),
    redis: RedisConfig,
    kubernetes: KubernetesConfig,
    auth: AuthConfig,
    logging: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).describe('Minimum log level (LOG_LEVEL)'),
        pretty: z.boolean().describe('Human-readable logs through pino-pretty, for local use only'),
      })
      .describe('Structured logging'),
    helm: z
      .strictObject({
        binary: z.string().min(1).describe('Helm 4 executable: a path, or a name looked up on PATH (HELM_BINARY)'),
        killGraceSeconds: seconds('After cancelling Helm with SIGTERM, how long it may finish its own rollback before SIGKILL'),
      })
      .describe('The Helm CLI'),
    platform: PlatformConfig,
    timeouts: TimeoutsConfig,
    provisioning: z
      .strictObject({
        keepFailedForInspection: z.boolean().describe("Leave a failed provision's release and namespace in place instead of removing them"),
        adminUsername: z
          .string()
          .regex(/^[a-z][a-z0-9_.-]{0,62}$/)
          .describe("Username of each tenant's first admin"),
        expiry: z
          .strictObject({
            sweepSeconds: seconds('How often one replica looks for expired trial tenants (a BullMQ job scheduler)'),
            policy: z
              .enum(['none', 'hibernate', 'deprovision', 'hibernate-then-deprovision'])
              .describe('What happens to a tenant past its expires-at: nothing, hibernate it, remove it, or hibernate it and remove it after the grace period'),
            deprovisionAfterSeconds: z
              .int()
              .min(0)
              .max(366 * 86_400)
              .describe('With hibernate-then-deprovision: seconds after expiry before the hibernated tenant is removed'),
          })
          .describe('Trial expiry'),
        reconcile: z
          .strictObject({
            sweepSeconds: seconds("How often one replica compares every tenant's desired state with the cluster (a BullMQ job scheduler)"),
            lostIntentAfterSeconds: seconds('A queued or active operation marker whose job Redis no longer has is re-enqueued after this long'),
            stuckAfterSeconds: seconds('A release left pending-* this long, with no job holding the tenant, is repaired'),
            tenantsAtOnce: z
              .int()
              .min(1)
              .max(64)
              .describe(
                "Tenants a sweep compares with the cluster at once (4 reads each when the workload watches are not permitted); bounds the sweep's time over a large fleet without a burst of requests",
              ),
          })
          .describe('Drift repair: a request answered 202 is never lost'),
        blueGreen: z
          .strictObject({
            windowSeconds: seconds(
              'After a blue-green switch, how long the previous slot keeps running so POST /api/tenants/{id}/rollback is a selector change; counted from the last deploy, then the reconcile sweep scales it to zero',
            ),
            smokeCheck: SmokeCheckConfig,
          })
          .describe('Blue-green releases'),
        rollouts: z
          .strictObject({
            tickSeconds: seconds('How often one replica moves every running rollout a step (a BullMQ job scheduler)'),
          })
          .describe('Fleet rollouts (POST /api/rollouts)'),
      })
      .describe('Provisioning and lifecycle policy'),
    queue: z
      .strictObject({
        prefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 letters, digits, _ or -')
          .describe('Prefix of every Redis key BullMQ writes (QUEUE_PREFIX)'),
        attempts: z.int().min(1).max(20).describe('Attempts per job before it is failed'),
        backoff: z
          .strictObject({
            type: z.enum(['exponential', 'fixed']).describe('Backoff strategy between attempts'),
            delaySeconds: seconds('First (or every, when fixed) delay between attempts'),
          })
          .describe('Retry backoff'),
        concurrency: z.int().min(1).max(100).describe('Jobs one worker process runs at once'),
        lockDurationMs: z
          .int()
          .min(500)
          .max(600_000)
          .describe("BullMQ job lock, renewed at half this; a killed worker's job is taken again about lockDurationMs + stalledIntervalMs later"),
        stalledIntervalMs: z.int().min(100).max(600_000).describe('How often a worker looks for jobs whose lock expired (stalled)'),
        maxStalledCount: z.int().min(1).max(20).describe('Stalls a job survives before BullMQ fails it (the reconciler then re-runs it)'),
        tenantLease: z
          .strictObject({
            ttlMs: z.int().min(500).max(600_000).describe('Per-tenant lease lifetime, renewed at a third of it; a dead holder blocks its tenant this long'),
            retryMs: z.int().min(50).max(600_000).describe('A job for a tenant another job holds is delayed this long, then tries again'),
            marginFraction: z
              .number()
              .min(0.05)
              .max(0.3)
              .describe(
                'A holder whose renewals fail gives the lease up this fraction of ttlMs before it could expire (after the send time of its last successful renewal)',
              ),
          })
          .describe('One mutating job per tenant: a Redis lease with a fencing token'),
        shutdown: z
          .strictObject({
            drainSeconds: seconds('On SIGTERM, how long running jobs may finish before they are cancelled (Helm gets SIGTERM)'),
            exitSeconds: seconds('Hard deadline after SIGTERM: the process exits even if something hangs'),
          })
          .describe('Graceful shutdown'),
      })
      .describe('BullMQ queue and worker settings'),
    admin: z
      .strictObject({
        insecureCookies: z
          .boolean()
          .describe(
            'Send the admin session cookie without Secure, for plain-HTTP development only (ADMIN_INSECURE_COOKIES); behind a TLS-terminating ingress the request URL is http, so Secure cannot follow it',
          ),
      })
      .describe('The admin page and Bull Board'),
    http: z
      .strictObject({
        bodyLimitBytes: z
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .describe('Largest accepted request body, in bytes'),
        rateLimit: z
          .strictObject({
            windowSeconds: seconds('Length of the rate-limit window'),
            maxRequests: z.int().min(1).describe('Requests one subject may make per window'),
            subjects: z
              .record(z.string().min(1), z.int().min(1))
              .optional()
              .describe(
                'Per-subject maxRequests that replace the default for those JWT subjects, e.g. a contract-test or load-test client: { contract-test: 100000 }',
              ),
          })
          .describe('Per-subject (JWT `sub`) rate limit on /api'),
      })
      .describe('HTTP request limits'),
    sse: z
      .strictObject({
        heartbeatSeconds: z.int().min(1).max(15).describe('Seconds between SSE heartbeat comments'),
      })
      .describe('Server-sent events'),
    tiers: TiersConfig.describe('Subscription tiers: what each tier gives a tenant'),
    billing: BillingConfig,
  })
  .superRefine((config, ctx) => {
    // Cancelled Helm needs its kill grace to mark the release failed; exiting earlier leaves it pending.
    const { drainSeconds, exitSeconds } = config.queue.shutdown;
    if (exitSeconds <= drainSeconds + config.helm.killGraceSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['queue', 'shutdown', 'exitSeconds'],
        message: `must exceed drainSeconds + helm.killGraceSeconds (${drainSeconds + config.helm.killGraceSeconds}s)`,
      });
    }
    // A tier's PostgreSQL settings within the allowlist and its own memory's bounds, named per setting.
    for (const [name, tier] of Object.entries(config.tiers)) {
      for (const problem of parameterProblems(tier.postgresql?.parameters ?? {}, tier.postgres.memoryLimit)) {
        ctx.addIssue({ code: 'custom', path: ['tiers', name, 'postgresql', 'parameters', problem.name], message: problem.message });
      }
    }
    // The original referenced an undefined bucket and a Secret nobody created; refuse that at start-up.
    const backupTiers = Object.entries(config.tiers)
      .filter(([, tier]) => tier.backupEnabled)
      .map(([name]) => name);
    if (backupTiers.length === 0) return;
    const backup = config.platform.backup;
    const because = `required because tiers ${backupTiers.join(', ')} have backups enabled`;
    if (backup.destinationPrefix === null) {
      ctx.addIssue({ code: 'custom', path: ['platform', 'backup', 'destinationPrefix'], message: because });
    }
    const keys = requiredCredentialKeys(backup);
    if (backup.credentialsSecret === null && keys.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['platform', 'backup', 'credentialsSecret'],
        message: `${because}: provider ${backup.provider} reads ${keys.join(', ')} from it`,
      });
    }
  })
  .describe('tenant-provisioner configuration');
export type Config = z.infer<typeof Config>;
