import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KubeRequestObservation } from './kube-request.ts';

/** Transitions of a job, counted by the process that sees them (producer or worker). */
const JOB_STATES = ['enqueued', 'started', 'completed', 'failed', 'retried'] as const;
export type JobState = (typeof JOB_STATES)[number];
export type Outcome = 'ok' | 'error';

/** What BullMQ's `Queue#getJobCounts()` answers, by state; read on each scrape. */
export type QueueCounts = () => Promise<Readonly<Record<string, number>>>;

export type MetricsOptions = {
  /** Queue depth by state for the `…_queue_jobs` gauge; omitted where the process has no Queue. */
  queueCounts?: QueueCounts | undefined;
  /**
   * Node's process metrics (CPU, memory, event loop lag, GC). On by default; tests turn it off
   * because prom-client's GC observer cannot be disconnected once started.
   */
  processMetrics?: boolean | undefined;
};

export interface Metrics {
  /** This process's own registry; never prom-client's global one. */
  readonly registry: Registry;
  /** The `Content-Type` of `render()`. */
  readonly contentType: string;
  /** The exposition text for `GET /metrics`. */
  render(): Promise<string>;
  jobTransition(operation: string, state: JobState): void;
  stepFinished(operation: string, step: string, outcome: Outcome, durationMs: number): void;
  provisioningFinished(tier: string, outcome: Outcome, durationMs: number): void;
  /** Counts one open SSE stream; call the returned function once when it closes (extra calls are ignored). */
  sseSubscribed(): () => void;
  /** Matches `HelmClientOptions.onInvoke`. */
  helmInvoked(command: string, outcome: Outcome, durationMs: number): void;
  /** What a job's API fence refused once its lease was no longer valid: chunks and connections of Helm's. */
  apiFenceRefused(refused: { chunks: number; connections: number }): void;
  /** Matches the observer of `observedApiClient` / `ObservedWatch`. */
  kubernetesRequest(request: KubeRequestObservation): void;
  /** One failure seen by a listener of a dependency ('redis', 'kubernetes'), outage or not. */
  dependencyError(dependency: string): void;
  /** Whether the dependency is available: 0 from an outage's confirmed start to its end. */
  dependencyUp(dependency: string, up: boolean): void;
  /** What the last reconcile sweep of this process found: tenants off their target version, and with none recorded. */
  versionDrift(counts: { drifted: number; unknown: number }): void;
}

const PREFIX = 'tenant_provisioner_';
const seconds = (ms: number) => ms / 1000;

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const jobs = new Counter({
    name: `${PREFIX}jobs_total`,
    help: 'Job transitions by operation (job name) and state: enqueued, started, completed, failed (for good), retried.',
    labelNames: ['operation', 'state'] as const,
    registers,
  });
  const queueCounts = options.queueCounts;
  new Gauge({
    name: `${PREFIX}queue_jobs`,
    help: 'Jobs in the operations queue by BullMQ state, read from Redis at scrape time.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      this.reset();
      if (!queueCounts) return;
      // A scrape during a Redis outage reports no samples rather than failing the whole scrape.
      const counts = await queueCounts().catch(() => undefined);
      for (const [state, count] of Object.entries(counts ?? {})) this.set({ state }, count);
    },
  });
  const steps = new Histogram({
    name: `${PREFIX}step_duration_seconds`,
    help: 'Duration of each operation step by operation, step and outcome.',
    labelNames: ['operation', 'step', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers,
  });
  const provisioning = new Histogram({
    name: `${PREFIX}provisioning_duration_seconds`,
    help: 'End-to-end duration of provision jobs (first step to last), by tier and outcome.',
    labelNames: ['tier', 'outcome'] as const,
    buckets: [1, 2.5, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800],
    registers,
  });
  const sse = new Gauge({ name: `${PREFIX}sse_subscribers`, help: 'Open server-sent event streams.', registers });
  const kubeRequests = new Counter({
    name: `${PREFIX}kubernetes_requests_total`,
    help: 'Kubernetes API requests by verb, API group, resource and HTTP status ("error" when no response).',
    labelNames: ['verb', 'group', 'resource', 'code'] as const,
    registers,
  });
  const helmInvocations = new Counter({
    name: `${PREFIX}helm_invocations_total`,
    help: 'Helm CLI invocations by command and outcome (failures are outcome="error").',
    labelNames: ['command', 'outcome'] as const,
    registers,
  });
  const helmDuration = new Histogram({
    name: `${PREFIX}helm_duration_seconds`,
    help: 'Duration of Helm CLI invocations by command and outcome.',
    labelNames: ['command', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers,
  });
  const fenceRefusals = new Counter({
    name: `${PREFIX}api_fence_refusals_total`,
    help: "Helm's chunks and connections (kind) a job's API fence refused because the job's tenant lease was no longer valid.",
    labelNames: ['kind'] as const,
    registers,
  });
  const dependencyErrors = new Counter({
    name: `${PREFIX}dependency_errors_total`,
    help: 'Connection and request failures seen by the listeners of a dependency (redis, kubernetes).',
    labelNames: ['dependency'] as const,
    registers,
  });
  const dependencyUp = new Gauge({
    name: `${PREFIX}dependency_up`,
    help: 'Whether a dependency (redis, kubernetes) is available: 0 while an outage lasts, from its confirmed start to its end.',
    labelNames: ['dependency'] as const,
    registers,
  });
  const versionDrift = new Gauge({
    name: `${PREFIX}version_drift_tenants`,
    help:
      'Tenants the last reconcile sweep of this process found off their target version (state="drifted": the configured version, or their pin) ' +
      'or with no recorded version (state="unknown"). Reported, never repaired by the sweep.',
    labelNames: ['state'] as const,
    registers,
  });
  // Start every job series at zero so rate() and absent() behave before the first job.
  for (const state of JOB_STATES) jobs.inc({ operation: 'provision', state }, 0);
  for (const kind of ['chunk', 'connection']) fenceRefusals.inc({ kind }, 0);

  for (const state of ['drifted', 'unknown']) versionDrift.set({ state }, 0);

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    jobTransition: (operation, state) => jobs.inc({ operation, state }),
    stepFinished: (operation, step, outcome, durationMs) => steps.observe({ operation, step, outcome }, seconds(durationMs)),
    provisioningFinished: (tier, outcome, durationMs) => provisioning.observe({ tier, outcome }, seconds(durationMs)),
    sseSubscribed: () => {
      sse.inc();
      let open = true;
      return () => {
        if (!open) return;
        open = false;
        sse.dec();
      };
    },
    helmInvoked: (command, outcome, durationMs) => {
      helmInvocations.inc({ command, outcome });
      helmDuration.observe({ command, outcome }, seconds(durationMs));
    },
    apiFenceRefused: ({ chunks, connections }) => {
      fenceRefusals.inc({ kind: 'chunk' }, chunks);
      fenceRefusals.inc({ kind: 'connection' }, connections);
    },
    kubernetesRequest: ({ verb, group, resource, code }) => kubeRequests.inc({ verb, group, resource, code }),
    dependencyError: (dependency) => dependencyErrors.inc({ dependency }),
    dependencyUp: (dependency, up) => {
      // The counter's series starts at zero with the gauge, so rate() works before the first error.
      dependencyErrors.inc({ dependency }, 0);
      dependencyUp.set({ dependency }, up ? 1 : 0);
    },
    versionDrift: ({ drifted, unknown }) => {
      versionDrift.set({ state: 'drifted' }, drifted);
      versionDrift.set({ state: 'unknown' }, unknown);
    },
  };
}
