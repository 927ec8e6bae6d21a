import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RolloutDryRun } from '../../../src/api/rollouts/rollout-dry-run.ts';
import { certificateReadiness } from '../../../src/kubernetes/readiness.ts';
import { rolloutConfigMapName, rolloutIndexName } from '../../../src/kubernetes/rollout-store.ts';
import { tenantObjectNames } from '../../../src/lifecycle/plans/plan-deps.ts';
import { changeRolloutState, createRollout } from '../../../src/lifecycle/rollouts.ts';
import { RolloutRequest } from '../../../src/domain/rollout.ts';
import { sandboxBinaries } from '../../sandbox/versions.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig, type ServiceDeps } from '../../support/service-deps.ts';
import { provisionFreeTenants, rolloutDeps } from '../../support/tenants.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';
import { startApi, type ApiServer } from '../api/support/api-server.ts';

const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
// Its own namespace prefix: the dry run plans over every tenant this configuration sees, and only these.
const override = mergeOverride(FAST_LIFECYCLE, ownPrefixes('rd'));
const config = testConfig({ kubeconfig, redisUrl, env: { CONFIG_FILE: writeConfigOverride(override) } });
const harness = useWorkerHarness({ kubeconfig, config });
let api: ApiServer;

beforeAll(async () => {
  // The real API over the same prefixes, queue and Redis as the worker: what it would queue, the worker's queue would hold.
  api = await startApi({
    kubeconfig,
    redisUrl,
    config: (c) => Object.assign(c, { platform: structuredClone(config.platform), queue: structuredClone(config.queue) }),
  });
});
afterAll(async () => {
  await api?.close();
});

const run = promisify(execFile);

async function certificateIssued(deps: ServiceDeps, namespace: string, name: string, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !certificateReadiness(await deps.workloads.readCertificate(namespace, name)).done; ) {
    if (Date.now() > deadline) throw new Error(`Certificate ${namespace}/${name} not Ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
const kubectl = async (...args: string[]) => (await run(sandboxBinaries().kubectl, ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 64 << 20 })).stdout;

/** Every object in these namespaces (events aside: the cluster writes them on its own), and the namespaces themselves, as kind/name@resourceVersion. */
async function objectsIn(namespaces: string[]): Promise<string[]> {
  const kinds = (await kubectl('api-resources', '--verbs=list', '--namespaced', '-o', 'name'))
    .split('\n')
    .filter((k) => k && !/^events(\.|$)/.test(k))
    .join(',');
  const seen: string[] = [];
  for (const namespace of namespaces) {
    const listed = JSON.parse(await kubectl('get', kinds, '-n', namespace, '-o', 'json')) as {
      items: Array<{ kind: string; metadata: { name: string; resourceVersion: string } }>;
    };
    const ns = JSON.parse(await kubectl('get', 'namespace', namespace, '-o', 'json')) as (typeof listed.items)[number];
    seen.push(...[ns, ...listed.items].map((o) => `${namespace} ${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`));
  }
  return seen.sort();
}

describe('rollout dry run', () => {
  it('POST /api/rollouts?dryRun=true: each tenant’s diff shows the new image on the other slot; no object, release, rollout or job changes', async () => {
    const { deps } = harness;
    const provisions = await provisionFreeTenants(harness, 3, 'rd');
    // Provisioning does not wait for cert-manager (ACME may take minutes): the sandbox's issuer marks
    // the chart's Certificates Ready on its own, which would change them under the comparison below.
    await Promise.all(provisions.map((p) => certificateIssued(deps, p.namespace, tenantObjectNames(p.tenantId, 'blue').certificate)));
    const ids = provisions.map((p) => p.tenantId).sort();
    // A rollout of this installation, recorded and aborted, so its record and index exist to be left alone.
    const earlier = await createRollout(rolloutDeps(deps), RolloutRequest.parse({ target: { appVersion: 'v0' }, selector: { tenantIds: [ids[0]] } }), 'ops');
    await changeRolloutState(deps, earlier.id, 'abort', 'ops');
    const rolloutConfigMaps = async () =>
      Promise.all(
        [rolloutIndexName(config.platform.namespacePrefix), rolloutConfigMapName(earlier.id)].map(async (name) => {
          const cm = await deps.kube.core.readNamespacedConfigMap({ namespace: config.platform.claimsNamespace, name });
          return `${name}@${cm.metadata?.resourceVersion}`;
        }),
      );
    const revisions = () => Promise.all(provisions.map(async (p) => (await deps.helm.status(p.release, p.namespace))?.revision));
    const jobs = () => deps.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed', 'paused');
    const state = async () => ({
      objects: await objectsIn(provisions.map((p) => p.namespace).sort()),
      rolloutConfigMaps: await rolloutConfigMaps(),
      rollouts: await deps.rollouts.list(),
      revisions: await revisions(),
      jobs: await jobs(),
    });
    const before = await state();
    expect(before.objects.filter((o) => o.includes(' Deployment/'))).toHaveLength(6);
    expect(before.objects.length).toBeGreaterThan(60);
    // 1 each, or more when a provision job stalled on a loaded machine and ran its upgrade again: what matters is that the dry run adds none.
    expect(before.revisions.every((r) => r !== undefined && r >= 1)).toBe(true);

    const started = Date.now();
    const res = await api.call('/api/rollouts?dryRun=true', { body: { target: { appVersion: 'v7' }, strategy: { waves: ['50%'] } } });
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    const answer = (await res.json()) as RolloutDryRun;
    expect(answer.waves.map((w) => w.tenantIds)).toEqual([[ids[0]], [ids[1]], [ids[2]]]);
    expect(answer.tenants.map((t) => [t.tenantId, t.outcome])).toEqual(ids.map((id) => [id, 'rendered']));
    const { images } = config.platform;
    for (const t of answer.tenants) {
      if (t.outcome !== 'rendered') continue;
      expect(t.switch).toEqual({ from: 'blue', to: 'green' });
      // Green's Deployments are new and run the target's images; the Services switch to them; blue is not touched.
      expect(t.changes).toEqual(
        expect.arrayContaining([
          {
            kind: 'Deployment',
            name: `${t.tenantId}-api-green`,
            action: 'create',
            paths: [],
            // The wait for the database (the pinned PostgreSQL image) stays; the migrations and the API are the release's.
            images: [`${images.postgres.repository}:${images.postgres.tag}`, `${images.migrations.repository}:v7`, `${images.api.repository}:v7`],
          },
          { kind: 'Deployment', name: `${t.tenantId}-web-green`, action: 'create', paths: [], images: [`${images.web.repository}:v7`] },
          { kind: 'Service', name: `${t.tenantId}-api`, action: 'update', paths: ['spec.selector.tenant-provisioner.io/slot'] },
          { kind: 'Service', name: `${t.tenantId}-web`, action: 'update', paths: ['spec.selector.tenant-provisioner.io/slot'] },
        ]),
      );
      expect(t.changes.find((c) => c.name.endsWith('-blue'))).toBeUndefined();
    }
    // Nothing changed: objects, the rollout records, the releases, the queue.
    expect(await state()).toEqual(before);
    console.warn(`rollout dry run: ${ids.length} tenants rendered in ${elapsed} ms; ${before.objects.length} objects unchanged`);
  }, 300_000);
});
