import type { BillingLifecycleDeps } from '../../../../src/billing/billing-intake.ts';
import type { BillingSchedules, ScheduledAction } from '../../../../src/billing/billing-schedules.ts';
import type { Config } from '../../../../src/config/config.schema.ts';
import { JOB_CATALOG, type JobName, type JobPayload } from '../../../../src/jobs/job-catalog.ts';
import type { JobProducer } from '../../../../src/jobs/job-producer.ts';
import { FakeIntents } from '../../worker/support/fake-intents.ts';

export type Enqueued = { name: JobName; jobId: string; payload: Record<string, unknown> };

/**
 * A JobProducer that records each job. Payloads are validated as the real producer validates them,
 * and a second add with an id already there is ignored, as BullMQ ignores it.
 */
export class RecordingProducer implements JobProducer {
  readonly jobs: Enqueued[] = [];
  /** Makes the next add fail, as an unreachable queue would. */
  failNext = false;

  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, jobId: string) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    }
    const data = JOB_CATALOG[name].parse(payload) as Record<string, unknown>;
    if (!this.jobs.some((job) => job.jobId === jobId)) this.jobs.push({ name, jobId, payload: data });
    return jobId;
  }

  named(name: JobName): Enqueued[] {
    return this.jobs.filter((job) => job.name === name);
  }
}

/** Billing's delayed actions over a Map: one pending per key (the first deadline holds), as the delayed BullMQ jobs behave. */
export class RecordingSchedules implements Pick<BillingSchedules, 'schedule' | 'cancel'> {
  readonly pending = new Map<string, { action: ScheduledAction; notBefore: Date }>();

  async schedule(key: string, action: ScheduledAction, notBefore: Date) {
    if (!this.pending.has(key)) this.pending.set(key, { action, notBefore });
  }

  async cancel(keys: readonly string[]) {
    for (const key of keys) this.pending.delete(key);
  }
}

/**
 * The real lifecycle core over in-memory adapters: the TenantStore fake (resourceVersion
 * preconditions like the API server's), the recording producer and schedules. `liveStorage` is what
 * the preflight reads as the tenant database's live volume.
 */
export function billingCore(config: Config, options: { liveStorage?: string } = {}) {
  const store = new FakeIntents();
  const producer = new RecordingProducer();
  const schedules = new RecordingSchedules();
  const lifecycle: BillingLifecycleDeps = {
    config,
    tenants: store,
    producer,
    helm: { template: async () => 'rendered' },
    workloads: {
      readDatabase: async () =>
        options.liveStorage ? { spec: { instances: 1, storage: { size: options.liveStorage, storageClass: 'local-path' } } } : undefined,
    },
  };
  return { store, producer, schedules, lifecycle };
}
