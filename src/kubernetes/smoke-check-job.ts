import type { V1Job } from '@kubernetes/client-node';
import type { ImageRef } from '../domain/image.ts';
import type { Kubernetes } from './kube-client.ts';
import { runJobToVerdict, type JobVerdict } from './run-job.ts';
import type { WaitOptions } from './tenant-workloads.ts';

/** The label the tenant chart's smoke-check NetworkPolicy selects (charts/mechanicbuddy-tenant/templates/smoke-check.yaml). */
export const SMOKE_CHECK_COMPONENT = 'smoke-check';

/** One HTTP check of a staged slot, as a Job: everything in it is visible in the Job spec, so nothing secret goes in. */
export type SmokeJob = {
  namespace: string;
  name: string;
  /** The tenant's Helm release: the chart's NetworkPolicy lets this release's smoke pods reach its staged slot. */
  release: string;
  tenantId: string;
  slot: string;
  image: ImageRef;
  urls: string[];
  /** activeDeadlineSeconds: pod scheduling, image pull and the requests together. */
  deadlineSeconds: number;
  /** ttlSecondsAfterFinished: the finished Job and its pod's log stay this long for inspection. */
  keepFinishedSeconds: number;
};

export type SmokeVerdict = JobVerdict;

/** What the converge plan needs of the cluster to run a smoke check; unit tests fake it. */
export type SmokeChecks = {
  /** Creates the Job unless it exists (a retried job adopts its own), then waits for its verdict. */
  run(job: SmokeJob, wait: WaitOptions): Promise<SmokeVerdict>;
};

// Enough for curl; the tenant quota keeps one pod of each workload spare (chart-values.ts deriveQuota), which this fits.
const RESOURCES = { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } };

export function smokeJobManifest(job: SmokeJob): V1Job {
  const labels = {
    'app.kubernetes.io/instance': job.release,
    'app.kubernetes.io/component': SMOKE_CHECK_COMPONENT,
    'app.kubernetes.io/managed-by': 'tenant-provisioner',
    'tenant-provisioner.io/tenant-id': job.tenantId,
    'tenant-provisioner.io/slot': job.slot,
  };
  // Each URL is written to /dev/null; --fail-early makes the first failed one the exit status (not the last).
  // Retries cover what is transient: a Service whose ClusterIP is seconds old (kube-proxy not yet programmed), a 503.
  const args = ['--fail', '--fail-early', '--silent', '--show-error', '--max-time', '10', '--retry', '3', '--retry-connrefused', '--retry-delay', '2'];
  for (const url of job.urls) args.push('--output', '/dev/null', '--write-out', '%{url_effective} %{http_code}\\n', url);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: job.name, namespace: job.namespace, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: job.deadlineSeconds,
      ttlSecondsAfterFinished: job.keepFinishedSeconds,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          // No API token, no Service environment variables: the pod needs the staged slot's address only.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: SMOKE_CHECK_COMPONENT,
              image: `${job.image.repository}:${job.image.tag}`,
              command: ['curl'],
              args,
              resources: RESOURCES,
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  };
}

export function createSmokeChecks(kube: Pick<Kubernetes, 'batch' | 'watch'>): SmokeChecks {
  return { run: (job, wait) => runJobToVerdict(kube, smokeJobManifest(job), wait, `smoke-check Job ${job.name}`) };
}
