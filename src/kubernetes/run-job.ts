import type { V1Job } from '@kubernetes/client-node';
import { beforeWrite, callOptions } from './kube-call.ts';
import type { Kubernetes } from './kube-client.ts';
import { isConflict } from './kube-errors.ts';
import type { WaitOptions } from './tenant-workloads.ts';
import { watchUntil, type Observation } from './watch-until.ts';

/** How a Job ended: its Complete condition, or its Failed one with the reason. */
export type JobVerdict = { passed: boolean; reason: string };

/** The Job controller's verdict: its Complete or Failed condition (a deadline passed is Failed, DeadlineExceeded). */
export function jobVerdict(job: V1Job | undefined): Observation<JobVerdict> {
  if (!job) return { done: false, reason: 'Job not found' };
  const name = job.metadata?.name ?? 'Job';
  const condition = (type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  if (condition('Complete')) return { done: true, value: { passed: true, reason: `${name} succeeded` } };
  const failed = condition('Failed');
  if (failed)
    return { done: true, value: { passed: false, reason: `${name} failed: ${failed.reason ?? 'Failed'}${failed.message ? ` (${failed.message})` : ''}` } };
  return { done: false, reason: `${name} running (${job.status?.active ?? 0} active pods)` };
}

/**
 * Creates the Job unless it exists (a retried operation adopts the one its earlier attempt made),
 * then follows it by watch to its verdict within `wait`'s deadline. `what` names it in timeouts.
 */
export async function runJobToVerdict(kube: Pick<Kubernetes, 'batch' | 'watch'>, manifest: V1Job, wait: WaitOptions, what: string): Promise<JobVerdict> {
  const namespace = manifest.metadata!.namespace!;
  const name = manifest.metadata!.name!;
  beforeWrite(wait.signal);
  await kube.batch.createNamespacedJob({ namespace, body: manifest }, callOptions(wait.signal)).catch((error: unknown) => {
    if (!isConflict(error)) throw error;
  });
  return watchUntil<V1Job, JobVerdict>({
    watch: kube.watch,
    path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
    name,
    read: () => kube.batch.readNamespacedJob({ namespace, name }, callOptions(wait.signal)),
    check: jobVerdict,
    what,
    ...wait,
  });
}
