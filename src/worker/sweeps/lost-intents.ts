import type { Queue } from 'bullmq';
import { releaseFor } from '../../domain/tenant-id.ts';
import type { OperationMarker, TenantRecord } from '../../domain/tenant-record.ts';
import type { JobProducer } from '../../jobs/job-producer.ts';

export type LostIntentDeps = { queue: Pick<Queue, 'getJob'>; producer: JobProducer; releasePrefix: string };

/**
 * A marker says a job was accepted (queued or active) but Redis has no such job (a crash lost the
 * last writes, a flush) or BullMQ gave up on it without our processor recording a verdict (it
 * stalled too often): the job is created again under the same id, or retried, so the client's
 * links keep working and a request answered 202 is never lost. Returns what was done.
 */
export async function recoverLostIntent(deps: LostIntentDeps, tenant: TenantRecord, marker: OperationMarker): Promise<'requeued' | 'retried' | undefined> {
  const job = await deps.queue.getJob(marker.jobId);
  if (job) {
    if ((await job.getState()) !== 'failed') return undefined;
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return 'retried';
  }
  const ref = {
    tenantId: tenant.tenantId,
    namespace: tenant.namespace,
    release: releaseFor(deps.releasePrefix, tenant.tenantId),
    requestedAt: marker.at,
  };
  if (marker.type === 'provision') {
    await deps.producer.enqueue(
      'provision',
      {
        ...ref,
        desired: tenant.desired,
        companyName: tenant.companyName,
        ownerEmail: tenant.ownerEmail,
        ownerName: tenant.ownerName,
        stripeCustomerId: tenant.stripeCustomerId,
        stripeSubscriptionId: tenant.stripeSubscriptionId,
        expiresAt: tenant.expiresAt,
      },
      marker.jobId,
    );
  } else {
    await deps.producer.enqueue(marker.type, ref, marker.jobId);
  }
  return 'requeued';
}
