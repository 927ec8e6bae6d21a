import { createHash } from 'node:crypto';
import type { SmokeCheckConfig } from '../config/smoke-check-config.schema.ts';
import { appVersionOf } from '../domain/tenant-version.ts';
import type { SmokeChecks, SmokeJob } from '../kubernetes/smoke-check-job.ts';
import { WatchTimeoutError } from '../kubernetes/watch-until.ts';
import type { WaitOptions } from '../kubernetes/tenant-workloads.ts';
import { PermanentError } from '../worker/failure.ts';
import type { PendingSwitch } from './blue-green.ts';
import type { TenantRef } from './tenant-ref.ts';

/** After the Job's own deadline, how long the worker waits for the Job controller to say Failed. */
export const VERDICT_GRACE_SECONDS = 30;

/** The smoke-check step's timeout: the Job's deadline, the grace, and room for the API calls. */
export const smokeStepSeconds = (check: NonNullable<SmokeCheckConfig>) => check.timeoutSeconds + VERDICT_GRACE_SECONDS + 15;

/**
 * The staged slot's Services, which the tenant chart renders for the inactive slot while a smoke
 * check is configured (templates/smoke-check.yaml): named after the slot, so they address it whatever
 * the switch has done to the main Services' selectors.
 */
export const stagedServiceNames = (tenantId: string, slot: string) => ({ api: `${tenantId}-api-${slot}`, web: `${tenantId}-web-${slot}` });

/**
 * The Job of one job's check of one staged release: the same name on every attempt of that job, so a
 * retry (after a crash, a lost lease) adopts the Job it started instead of starting a second; another
 * job, or the same job staging another release, gets its own.
 */
export function smokeJobName(tenantId: string, jobId: string, pending: PendingSwitch): string {
  const digest = createHash('sha256')
    .update(`${jobId}\n${pending.to}\n${appVersionOf(pending.next)}`)
    .digest('hex')
    .slice(0, 10);
  return `${tenantId}-smoke-${digest}`;
}

export function smokeJobOf(check: NonNullable<SmokeCheckConfig>, ref: TenantRef, jobId: string, pending: PendingSwitch): SmokeJob {
  const services = stagedServiceNames(ref.tenantId, pending.to);
  const url = (service: string, path: string) => `http://${service}.${ref.namespace}.svc${path}`;
  return {
    namespace: ref.namespace,
    name: smokeJobName(ref.tenantId, jobId, pending),
    release: ref.release,
    tenantId: ref.tenantId,
    slot: pending.to,
    image: check.image,
    urls: [url(services.api, check.apiPath), ...(check.webPath === null ? [] : [url(services.web, check.webPath)])],
    deadlineSeconds: check.timeoutSeconds,
    keepFinishedSeconds: check.keepFinishedSeconds,
  };
}

/**
 * Between "the staged slot is ready" and "the Services switch": without a configured check, readiness
 * is the whole test. A check that fails, or gives no verdict in time, is a PermanentError: the job
 * fails without retries and its compensation abandons the switch (blue-green.ts abandonSwitch), as
 * for a slot that never became ready. An API error (network, 5xx) is rethrown as it is, for a retry.
 */
export async function runSmokeCheck(
  check: SmokeCheckConfig,
  smokeChecks: SmokeChecks,
  ref: TenantRef,
  jobId: string,
  pending: PendingSwitch | undefined,
  wait: Omit<WaitOptions, 'timeoutMs'>,
): Promise<string> {
  if (!pending) return 'no blue-green switch';
  if (!check) return 'no smoke check configured: readiness is the check';
  const job = smokeJobOf(check, ref, jobId, pending);
  let verdict;
  try {
    verdict = await smokeChecks.run(job, { ...wait, timeoutMs: (check.timeoutSeconds + VERDICT_GRACE_SECONDS) * 1000 });
  } catch (error) {
    if (error instanceof WatchTimeoutError) {
      throw new PermanentError(`smoke check of ${pending.to} failed: no verdict from Job ${job.name} within ${check.timeoutSeconds + VERDICT_GRACE_SECONDS} s`);
    }
    throw error;
  }
  if (!verdict.passed) throw new PermanentError(`smoke check of ${pending.to} failed: ${verdict.reason}; ${pending.from} keeps serving`);
  return `smoke check of ${pending.to} passed (${job.urls.length} URLs, Job ${job.name})`;
}
