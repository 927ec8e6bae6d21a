import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { UPSTREAM_KWOK_STAGES, kwokStagesDir } from './build.ts';
import { SANDBOX_VERSIONS } from './versions.ts';

const here = dirname(fileURLToPath(import.meta.url));

type Delay = { durationMilliseconds: number; jitterDurationMilliseconds?: number };

/** How long the simulated operators and kubelets take. */
export type SandboxProfile = {
  databaseReady: Delay;
  databaseHibernate: Delay;
  apiPodReady: Delay;
  podReady: Delay;
  certificateReady: Delay;
  /** From a CloudNativePG Backup's creation to `started` (the operator picking the instance). */
  backupStart: Delay;
  /** From `started` to `completed` or `failed` (barman-cloud-backup's run). */
  backupFinish: Delay;
};

export const PROFILES = {
  /** Tests: everything converges within a second. */
  fast: {
    databaseReady: { durationMilliseconds: 300, jitterDurationMilliseconds: 500 },
    databaseHibernate: { durationMilliseconds: 100, jitterDurationMilliseconds: 200 },
    apiPodReady: { durationMilliseconds: 0 },
    podReady: { durationMilliseconds: 0 },
    certificateReady: { durationMilliseconds: 100 },
    backupStart: { durationMilliseconds: 0 },
    backupFinish: { durationMilliseconds: 200, jitterDurationMilliseconds: 500 },
  },
  /** Demos: the seed's measured times (database 1–3 min, API 30–60 s, Web 15–30 s; a small database's base backup 20–90 s). */
  realistic: {
    databaseReady: { durationMilliseconds: 60_000, jitterDurationMilliseconds: 180_000 },
    databaseHibernate: { durationMilliseconds: 5_000, jitterDurationMilliseconds: 15_000 },
    apiPodReady: { durationMilliseconds: 30_000, jitterDurationMilliseconds: 60_000 },
    podReady: { durationMilliseconds: 15_000, jitterDurationMilliseconds: 30_000 },
    certificateReady: { durationMilliseconds: 10_000, jitterDurationMilliseconds: 30_000 },
    backupStart: { durationMilliseconds: 1_000, jitterDurationMilliseconds: 3_000 },
    backupFinish: { durationMilliseconds: 20_000, jitterDurationMilliseconds: 90_000 },
  },
} as const satisfies Record<string, SandboxProfile>;
export type ProfileName = keyof typeof PROFILES;

type Stage = { metadata: { name: string }; spec: Record<string, unknown> & { selector?: { matchExpressions?: unknown[] } } };

// Our stage files may name the pinned Barman Cloud plugin's version, as its metadata carries it.
async function readStages(file: string): Promise<Stage[]> {
  const text = (await readFile(file, 'utf8')).replaceAll('@BARMAN_CLOUD_VERSION@', SANDBOX_VERSIONS.barmanCloud.replace(/^v/, ''));
  return parseAllDocuments(text).map((d) => d.toJSON() as Stage);
}

const isApiPod =
  "has(self.metadata.labels) && 'app.kubernetes.io/component' in self.metadata.labels && " + "self.metadata.labels['app.kubernetes.io/component'] == 'api'";

/**
 * A pod running an image tagged `bad` (in any container or init container) never becomes ready:
 * it stands for a broken release, or a failing migration since the API's migrations run as its
 * init container, so blue-green upgrade tests can deploy a slot that must not take traffic.
 * KWOK hands the selector a typed Pod, so absent initContainers are an empty list, not an error; an
 * error would fail the match of every stage for that pod, pod-delete included.
 */
export const NO_BAD_IMAGE = "!self.spec.containers.exists(c, c.image.endsWith(':bad')) && " + "!self.spec.initContainers.exists(c, c.image.endsWith(':bad'))";

/**
 * A Job's pod with a `bad` image ends Failed (exit 1) instead of never starting, so a smoke check
 * configured with a `:bad` image is a failing check; any other Job pod runs and ends Succeeded
 * through KWOK's own pod-ready and pod-complete stages. Derived from pod-complete (a Job's pod, no
 * deletion pending) but from Pending, since a `bad` pod never becomes ready. KWOK's CEL does not
 * know the OwnerReference type, so the Job owner stays pod-complete's own expression.
 */
function podFailStage(podComplete: Stage): Stage {
  const expressions = [
    ...(podComplete.spec.selector?.matchExpressions ?? []).filter((e) => (e as { key?: string }).key !== '.status.phase'),
    { key: '.status.phase', operator: 'In', values: ['Pending'] },
  ];
  const statusTemplate = [
    '{{ $now := Now }}',
    'containerStatuses:',
    '{{ range .spec.containers }}',
    '- image: {{ .image | Quote }}',
    '  name: {{ .name | Quote }}',
    '  ready: false',
    '  restartCount: 0',
    '  started: false',
    '  state:',
    '    terminated:',
    '      exitCode: 1',
    '      finishedAt: {{ $now | Quote }}',
    '      reason: Error',
    '      startedAt: {{ $now | Quote }}',
    '{{ end }}',
    'phase: Failed',
    '',
  ].join('\n');
  return {
    metadata: { name: 'pod-fail-bad-job' },
    spec: {
      ...podComplete.spec,
      selector: { matchExpressions: [...expressions, { cel: { expression: `!(${NO_BAD_IMAGE})` } }] },
      next: { statusTemplate },
    },
  };
}

function withDelay(stage: Stage, delay: Delay): Stage {
  return delay.durationMilliseconds === 0 && !delay.jitterDurationMilliseconds ? stage : { ...stage, spec: { ...stage.spec, delay } };
}

/** The stage renamed, with CEL conditions added to its selector (KWOK ANDs them with the rest). */
function withSelector(stage: Stage, name: string, ...cel: string[]): Stage {
  const expressions = [...(stage.spec.selector?.matchExpressions ?? []), ...cel.map((expression) => ({ cel: { expression } }))];
  return { metadata: { name }, spec: { ...stage.spec, selector: { ...stage.spec.selector, matchExpressions: expressions } } };
}

/**
 * The KWOK configuration: KWOK's own node and pod stages from the pinned module (pod readiness
 * split so API pods can take longer, and never for a pod with a `bad` image; a Job's pod with a `bad`
 * image fails), plus our CloudNativePG (Cluster and Backup) and cert-manager stages.
 */
export async function kwokConfig(profile: SandboxProfile, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const upstream = kwokStagesDir(env);
  const stages: Stage[] = [];
  for (const file of Object.keys(UPSTREAM_KWOK_STAGES)) {
    for (const stage of await readStages(join(upstream, file))) {
      if (stage.metadata.name === 'pod-complete') stages.push(podFailStage(stage));
      if (stage.metadata.name !== 'pod-ready') {
        stages.push(stage);
        continue;
      }
      stages.push(withDelay(withSelector(stage, 'pod-ready-api', isApiPod, NO_BAD_IMAGE), profile.apiPodReady));
      stages.push(withDelay(withSelector(stage, 'pod-ready', `!(${isApiPod})`, NO_BAD_IMAGE), profile.podReady));
    }
  }
  const delays: Record<string, Delay> = {
    'cnpg-cluster-healthy': profile.databaseReady,
    'cnpg-cluster-hibernate': profile.databaseHibernate,
    'certificate-ready': profile.certificateReady,
    'cnpg-backup-start': profile.backupStart,
    'cnpg-backup-complete': profile.backupFinish,
    'cnpg-backup-fail': profile.backupFinish,
  };
  for (const file of ['cnpg-cluster.yaml', 'cnpg-backup.yaml', 'certificate.yaml']) {
    for (const stage of await readStages(join(here, 'stages', file))) {
      const delay = delays[stage.metadata.name];
      stages.push(delay ? withDelay(stage, delay) : stage);
    }
  }
  return stages.map((s) => stringify({ apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Stage', ...s })).join('---\n');
}
