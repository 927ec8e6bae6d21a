import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SESSION_COOKIE } from '../../../src/api/auth/session-cookie.ts';
import { MANAGED_BY, TENANT_ANNOTATIONS, TENANT_LABELS } from '../../../src/domain/tenant-record.ts';
import { tenantSecretNames } from '../../../src/domain/tenant-secrets.ts';
import { OPERATIONS_QUEUE } from '../../../src/jobs/job-catalog.ts';
import { sandboxBinaries } from '../../sandbox/versions.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes } from '../../support/config-override.ts';
import { dumpArrives, holdExportPods } from '../../support/export-dump.ts';
import { kubeClients, uniqueName } from '../../support/kube.ts';
import { startPlatformStore, type PlatformStore } from '../../support/platform-store.ts';
import { TEST_JWT_SECRET } from '../../support/service-deps.ts';
import { mintToken } from '../../unit/api/support/tokens.ts';
import { findCanaries, recordingHelm, redisContents, watchTempFiles, type Canary } from './support/canary.ts';
import { startStack, type Stack } from './support/stack.ts';

// Secret canary. The service as composed for production (API and worker as separate compositions,
// sharing Redis and the sandbox, Helm a recording wrapper around the real binary) provisions a
// tenant, updates it, hibernates, resumes, backs it up, restores it, clones it as a template,
// exports it (a real S3 server, versitygw, is the backup store, each backup tenant with an account
// of its own made through the gateway's admin API, probed before its database is made), closes it (a final backup), undeletes it and purges it, and fails to provision
// another. Every password and key the service generated for them (read from the tenants' Secrets),
// and the store's keys, are then looked for, verbatim and base64-encoded, in: every log line of API and worker at debug level, every
// Redis key of the run's prefix (read by type, and DUMPed), Helm's argv, values files and
// environment, files under the temp directory named tp-*, SSE transcripts, and every HTTP answer
// the test received, errors included (the export's download URL among them), and the export's Job
// spec. Only GET …/credentials may carry the admin password.
const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const admin = kubeClients(kubeconfig);

let apiStack: Stack;
let workerStack: Stack | undefined;
let startWorker: () => Promise<Stack>;
let workerLogs: string[] = [];
let helm: Awaited<ReturnType<typeof recordingHelm>>;
let temp: Awaited<ReturnType<typeof watchTempFiles>>;
let token: string;
let platformStore: PlatformStore;
const bodies: Array<{ where: string; text: string }> = [];
const created: string[] = [];

type Accepted = { jobId: string; tenantId: string; namespace: string; links: { events: string; job: string; status: string } };

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`${apiStack.baseUrl}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers },
  });
  const text = await res.text();
  bodies.push({ where: `${init.method ?? 'GET'} ${path} → ${res.status}`, text });
  return { status: res.status, text };
}

/** Follows a job's event stream to its end (the server closes it after the terminal event). */
async function follow(accepted: Accepted): Promise<string> {
  const transcript = (await call(accepted.links.events)).text;
  expect(transcript).toMatch(/event: (completed|failed)/);
  return transcript;
}

async function accept(path: string, init: RequestInit): Promise<Accepted> {
  const res = await call(path, init);
  expect(res.status, res.text).toBe(202);
  return JSON.parse(res.text) as Accepted;
}

/** Every value the service put in the tenant's Secrets, named `tenant/secret/key`. */
async function secretsOf(namespace: string, tenantId: string): Promise<Canary[]> {
  const list = await admin.core.listNamespacedSecret({ namespace, labelSelector: `${TENANT_LABELS.managedBy}=${MANAGED_BY}` });
  // With per-tenant store accounts on, a backup tenant's store keys are its own, made by the service.
  return list.items.flatMap((s) =>
    Object.entries(s.data ?? {})
      .map(([key, b64]) => ({ name: `${tenantId}/${s.metadata!.name}/${key}`, value: Buffer.from(b64, 'base64').toString('utf8') }))
      // Usernames are not secrets (and "admin" is everywhere); the generated values are 43 random characters.
      .filter((c) => c.value.length >= 32),
  );
}

beforeAll(async () => {
  // The S3 server first: its own data directory (its users' keys, as any store keeps them) is not the service's temp files.
  platformStore = await startPlatformStore(admin.core, uniqueName('cn-store'), { accounts: true });
  temp = await watchTempFiles();
  helm = await recordingHelm(sandboxBinaries().helm);
  token = await mintToken({ sub: 'canary@example.com' }, TEST_JWT_SECRET);
  // The store is real: the preflight's marker round trip (with the tenant's copy of the keys) is among what is scanned.
  const shared = { QUEUE_PREFIX: `c${randomBytes(4).toString('hex')}`, HELM_BINARY: helm.binary, BACKUP_PREFLIGHT: 'true' };
  // The releases run the blue-green smoke check, so its step's log lines (debug included) are scanned too.
  const smokeCheck = { image: { repository: 'curlimages/curl', tag: '8.11.1' }, timeoutSeconds: 10 };
  // The tenant ends on enterprise, kept an hour when closed: its removal closes it (final backup), undeletes it and purges it with force.
  const offboarding = { tiers: { enterprise: { offboarding: { retentionSeconds: 3_600 } } } };
  const store = { platform: { backup: platformStore.backup } };
  const override = [{ provisioning: { blueGreen: { smokeCheck } } }, offboarding, store].reduce(
    mergeOverride,
    mergeOverride(FAST_LIFECYCLE, ownPrefixes('cn')),
  );
  apiStack = await startStack({ kubeconfig, redisUrl, api: true, override, env: shared });
  // The worker starts later: the failing provision's namespace must be prepared before a worker takes its job.
  startWorker = () => startStack({ kubeconfig, redisUrl, worker: true, override, env: shared });
});

afterAll(async () => {
  await workerStack?.close();
  for (const id of created) await apiStack?.shared.registry.delete(id).catch(() => undefined);
  await apiStack?.close();
  await temp?.stop();
  await helm?.remove();
  await platformStore?.stop();
});

describe('secret canary', () => {
  it("finds no tenant password or key in logs, Redis, Helm's argv, temp files, SSE transcripts or HTTP answers", async () => {
    const canaries: Canary[] = [];
    const transcripts: Array<{ where: string; text: string }> = [];

    // 1. A provision that will fail: a ConfigMap the chart renders already exists, not owned by Helm.
    const failing = await accept('/api/provisioning/provision', {
      method: 'POST',
      body: JSON.stringify({
        companyName: 'Canary Failing Garage',
        ownerEmail: 'fail@example.com',
        ownerFirstName: 'Eve',
        ownerLastName: 'Fail',
        subscriptionTier: 'free',
      }),
    });
    created.push(failing.tenantId);
    await admin.core.createNamespacedConfigMap({
      namespace: failing.namespace,
      body: { metadata: { name: `${failing.tenantId}-api-config` }, data: { planted: 'yes' } },
    });
    workerStack = await startWorker();
    workerLogs = workerStack.logs;
    // Its Secrets exist from build-values until the compensation deletes the namespace: read them in that window.
    const failingSecrets = await (async () => {
      for (let i = 0; i < 600; i += 1) {
        const found = await secretsOf(failing.namespace, failing.tenantId).catch(() => []);
        if (found.length >= 5) return found;
        await sleep(25);
      }
      return [];
    })();
    expect(failingSecrets.map((c) => c.name.split('/').slice(1).join('/')).sort()).toEqual(
      [
        `${tenantSecretNames(failing.tenantId).admin}/password`,
        `${tenantSecretNames(failing.tenantId).app}/consumer-secret`,
        `${tenantSecretNames(failing.tenantId).app}/jwt-signing-key`,
        `${tenantSecretNames(failing.tenantId).app}/session-secret`,
        `${tenantSecretNames(failing.tenantId).database}/password`,
      ].sort(),
    );
    canaries.push(...failingSecrets);
    const failedTranscript = await follow(failing);
    expect(failedTranscript).toContain('event: failed');
    expect(failedTranscript).toMatch(/"step":"deploy-chart".*cannot be imported/);
    transcripts.push({ where: `SSE ${failing.jobId} (failed provision)`, text: failedTranscript });

    // 2. A tenant through its life: provision, update (tier and custom domain), a blue-green release and
    // its rollback, hibernate, resume.
    const tenant = await accept('/api/provisioning/provision', {
      method: 'POST',
      body: JSON.stringify({
        companyName: 'Canary Garage',
        ownerEmail: 'canary@example.com',
        ownerFirstName: 'Ada',
        ownerLastName: 'Canary',
        subscriptionTier: 'professional',
      }),
    });
    created.push(tenant.tenantId);
    const provisioned = await follow(tenant);
    expect(provisioned).toContain('event: completed');
    transcripts.push({ where: `SSE ${tenant.jobId} (provision)`, text: provisioned });
    canaries.push(...(await secretsOf(tenant.namespace, tenant.tenantId)));
    // Five of the failed provision's, six of this one's: its store account's secret key among them.
    expect(canaries).toHaveLength(11);

    for (const [label, path, init] of [
      [
        'update',
        `/api/provisioning/${tenant.tenantId}`,
        { method: 'PUT', body: JSON.stringify({ subscriptionTier: 'enterprise', customDomain: 'shop.canary-garage.test' }) },
      ],
      ['release', `/api/provisioning/${tenant.tenantId}`, { method: 'PUT', body: JSON.stringify({ appVersion: 'canary-v2' }) }],
      ['rollback', `/api/tenants/${tenant.tenantId}/rollback`, { method: 'POST' }],
      ['hibernate', `/api/provisioning/${tenant.tenantId}/hibernate`, { method: 'POST' }],
      ['resume', `/api/provisioning/${tenant.tenantId}/resume`, { method: 'POST' }],
    ] as const) {
      const accepted = await accept(path, init);
      const transcript = await follow(accepted);
      expect(transcript, label).toContain('event: completed');
      transcripts.push({ where: `SSE ${accepted.jobId} (${label})`, text: transcript });
      await call(`/api/jobs/${accepted.jobId}`);
    }
    // Nothing was rotated by the update, the release, the rollback, hibernation or resumption.
    expect(await secretsOf(tenant.namespace, tenant.tenantId)).toEqual(expect.arrayContaining(canaries.slice(5)));

    // Its data: an on-demand backup, a restore to it, the tenant marked as a template and a clone of it
    // (whose own Secrets join the canaries), the template list, the mark removed.
    const backup = await accept(`/api/tenants/${tenant.tenantId}/backups`, { method: 'POST' });
    transcripts.push({ where: `SSE ${backup.jobId} (backup)`, text: await follow(backup) });
    const listed = JSON.parse((await call(`/api/tenants/${tenant.tenantId}/backups`)).text) as { backups: Array<{ backupId: string | null; phase: string }> };
    const backupId = listed.backups.find((b) => b.phase === 'completed')?.backupId;
    expect(backupId).toBeTruthy();
    const restore = await accept(`/api/tenants/${tenant.tenantId}/restore`, { method: 'POST', body: JSON.stringify({ backupId }) });
    const restored = await follow(restore);
    expect(restored).toContain('event: completed');
    transcripts.push({ where: `SSE ${restore.jobId} (restore)`, text: restored });
    expect((await call(`/api/tenants/${tenant.tenantId}/template`, { method: 'PUT', body: JSON.stringify({ description: 'Canary template' }) })).status).toBe(
      200,
    );
    expect((await call('/api/templates')).status).toBe(200);
    // The restore made generation 2: a clone from the template's newest backup needs one of it.
    const second = await accept(`/api/tenants/${tenant.tenantId}/backups`, { method: 'POST' });
    transcripts.push({ where: `SSE ${second.jobId} (backup)`, text: await follow(second) });
    const clone = await accept('/api/provisioning/provision', {
      method: 'POST',
      body: JSON.stringify({
        companyName: 'Canary Clone',
        ownerEmail: 'clone@example.com',
        ownerFirstName: 'Cle',
        ownerLastName: 'One',
        subscriptionTier: 'demo',
        cloneFrom: { tenantId: tenant.tenantId },
      }),
    });
    created.push(clone.tenantId);
    const cloned = await follow(clone);
    expect(cloned).toContain('event: completed');
    transcripts.push({ where: `SSE ${clone.jobId} (clone)`, text: cloned });
    const cloneSecrets = await secretsOf(clone.namespace, clone.tenantId);
    expect(cloneSecrets).toHaveLength(6);
    // Its own: none of the template's values.
    expect(cloneSecrets.map((c) => c.value).filter((v) => canaries.some((c) => c.value === v))).toEqual([]);
    canaries.push(...cloneSecrets);
    expect((await call(`/api/tenants/${tenant.tenantId}/template`, { method: 'DELETE' })).status).toBe(204);

    // An export: the dump put at its Job's key while the pod is held back (KWOK runs no pg_dump), then
    // the list and the download URL, which must work against the store and carry no secret key.
    await holdExportPods(admin, tenant.namespace);
    const exported = (await accept(`/api/tenants/${tenant.tenantId}/exports`, { method: 'POST' })) as Accepted & { exportId: string };
    const { job: exportJob } = await dumpArrives(admin, platformStore, { namespace: tenant.namespace, exportId: exported.exportId, body: 'PGDMP canary' });
    bodies.push({ where: `Job ${exported.exportId}`, text: JSON.stringify(exportJob) });
    const exportTranscript = await follow(exported);
    expect(exportTranscript).toContain('event: completed');
    transcripts.push({ where: `SSE ${exported.jobId} (export)`, text: exportTranscript });
    const described = JSON.parse((await call(`/api/tenants/${tenant.tenantId}/exports/${exported.exportId}`)).text) as { download: { url: string } | null };
    const download = await fetch(described.download!.url);
    expect(await download.text()).toBe('PGDMP canary');
    expect((await call(`/api/tenants/${tenant.tenantId}/exports`)).status).toBe(200);
    canaries.push(
      { name: 'store/platform-key', value: platformStore.user.secretAccessKey },
      { name: 'store/root-key', value: platformStore.store.rootCredentials.secretAccessKey },
    );

    // 3. Reads and refusals: job views, status, a refused update, unknown tenants, a bad token, Bull Board, metrics.
    await call(`/api/jobs/${failing.jobId}`);
    await call(`/api/jobs/${tenant.jobId}`);
    await call(`/api/provisioning/${tenant.tenantId}/status`);
    // Versions: the record each deploy wrote (images, values hash), the fleet view, a pin and its removal.
    const pinBody = JSON.stringify({ version: { chart: '0.1.0', app: 'canary' }, reason: 'canary pin' });
    expect((await call(`/api/provisioning/${tenant.tenantId}/pin`, { method: 'PUT', body: pinBody })).status).toBe(200);
    expect((await call('/api/fleet')).status).toBe(200);
    expect((await call('/api/tenants')).status).toBe(200);
    expect((await call(`/api/provisioning/${tenant.tenantId}/pin`, { method: 'DELETE' })).status).toBe(204);
    // A rollout over the tenant (paused at once, so it starts nobody) and a dry run: their answers are checked like the rest.
    const rollout = await call('/api/rollouts', {
      method: 'POST',
      body: JSON.stringify({ target: { appVersion: 'canary-v3' }, selector: { tenantIds: [tenant.tenantId] } }),
    });
    expect(rollout.status).toBe(202);
    const rolloutId = (JSON.parse(rollout.text) as { id: string }).id;
    expect((await call(`/api/rollouts/${rolloutId}/pause`, { method: 'POST' })).status).toBe(200);
    expect((await call(`/api/rollouts/${rolloutId}`)).status).toBe(200);
    expect((await call('/api/rollouts')).status).toBe(200);
    expect((await call(`/api/rollouts/${rolloutId}/abort`, { method: 'POST' })).status).toBe(200);
    // Its event stream: the aborted rollout's final snapshot, then the stream closes.
    const rolloutTranscript = (await call(`/api/rollouts/${rolloutId}/events`)).text;
    expect(rolloutTranscript).toMatch(/^event: finished\ndata: \{"rolloutId":"[a-f0-9]{10}".*"state":"aborted"/);
    transcripts.push({ where: `SSE rollout ${rolloutId}`, text: rolloutTranscript });
    expect((await call(`/api/provisioning/${tenant.tenantId}?dryRun=true`, { method: 'PUT', body: JSON.stringify({ appVersion: 'canary-v4' }) })).status).toBe(
      200,
    );
    // The rollout's dry run: the plan and the tenant's rendered diff (its values hold the Secrets' names, never their data).
    const rolloutDryRun = await call('/api/rollouts?dryRun=true', {
      method: 'POST',
      body: JSON.stringify({ target: { appVersion: 'canary-v5' }, selector: { tenantIds: [tenant.tenantId] } }),
    });
    expect(rolloutDryRun.status, rolloutDryRun.text).toBe(200);
    expect((JSON.parse(rolloutDryRun.text) as { tenants: Array<{ tenantId: string }> }).tenants.map((t) => t.tenantId)).toEqual([tenant.tenantId]);
    const annotations = (await admin.core.readNamespace({ name: tenant.namespace })).metadata?.annotations ?? {};
    expect(annotations[TENANT_ANNOTATIONS.runningVersion]).toContain('valuesHash');
    bodies.push({ where: `namespace ${tenant.namespace} annotations`, text: JSON.stringify(annotations) });
    expect((await call(`/api/provisioning/${tenant.tenantId}`, { method: 'PUT', body: JSON.stringify({ subscriptionTier: 'free' }) })).status).toBe(422);
    expect((await call(`/api/provisioning/${failing.tenantId}/status`)).status).toBe(404);
    expect((await call(`/api/provisioning/${failing.tenantId}/credentials`)).status).toBe(404);
    expect((await call('/api/tenants', { headers: { Authorization: 'Bearer not-a-token' } })).status).toBe(401);
    for (const status of ['completed', 'failed']) {
      const res = await fetch(`${apiStack.baseUrl}/admin/queues/api/queues?activeQueue=${OPERATIONS_QUEUE}&status=${status}&page=1&jobsPerPage=50`, {
        headers: { Cookie: `${SESSION_COOKIE}=${token}` },
      });
      expect(res.status).toBe(200);
      bodies.push({ where: `Bull Board ${status} jobs`, text: await res.text() });
    }
    bodies.push({ where: 'GET /metrics', text: await (await fetch(`${apiStack.baseUrl}/metrics`)).text() });

    // The control: the credentials route is the one place the admin password leaves the cluster, and the search finds it there.
    const credentials = await fetch(`${apiStack.baseUrl}/api/provisioning/${tenant.tenantId}/credentials`, { headers: { Authorization: `Bearer ${token}` } });
    const adminPassword = canaries.find((c) => c.name === `${tenant.tenantId}/${tenantSecretNames(tenant.tenantId).admin}/password`)!;
    expect(findCanaries([adminPassword], 'credentials', await credentials.text())).toHaveLength(1);

    // 4. And removal: closed (a final backup, kept for its window), undeleted, closed again and purged with force.
    for (const [label, path] of [
      ['deprovision', `/api/provisioning/${tenant.tenantId}/deprovision`],
      ['undelete', `/api/tenants/${tenant.tenantId}/undelete`],
      ['deprovision', `/api/provisioning/${tenant.tenantId}/deprovision`],
      ['purge', `/api/provisioning/${tenant.tenantId}/deprovision?force=true`],
    ] as const) {
      const removal = await accept(path, { method: 'POST' });
      const removed = await follow(removal);
      expect(removed, label).toContain('event: completed');
      transcripts.push({ where: `SSE ${removal.jobId} (${label})`, text: removed });
      await call(`/api/jobs/${removal.jobId}`);
    }
    expect((await call(`/api/provisioning/${tenant.tenantId}/status`)).status).toBe(404);
    await workerStack.close();
    workerStack = undefined;

    // The search.
    const leaks: string[] = [];
    // The logs held what happened (job steps, Helm invocations, requests), so finding nothing there means something.
    const workerText = workerLogs.join('\n');
    expect(workerText).toContain('"step":"deploy-chart"');
    expect(apiStack.logs.some((l) => l.includes('"msg":"request"'))).toBe(true);
    leaks.push(...findCanaries(canaries, 'API log', apiStack.logs.join('\n')));
    leaks.push(...findCanaries(canaries, 'worker log', workerText));
    const redis = await redisContents(apiStack.shared.historyRedis, `${apiStack.config.queue.prefix}*`);
    expect(redis.size).toBeGreaterThan(10);
    for (const [key, text] of redis) leaks.push(...findCanaries(canaries, `Redis ${key}`, text));
    const argv = await helm.argv();
    expect(argv).toMatch(/^ARGV upgrade --install /m);
    expect(argv).toMatch(/^VALUES /m);
    leaks.push(...findCanaries(canaries, 'Helm argv and values files', argv));
    leaks.push(...findCanaries(canaries, 'Helm environment', await helm.env()));
    const files = await temp.stop();
    expect([...files.keys()].some((k) => k.includes('/tp-helm-'))).toBe(true);
    for (const [file, text] of files) leaks.push(...findCanaries(canaries, `temp file ${file}`, text));
    for (const t of transcripts) leaks.push(...findCanaries(canaries, t.where, t.text));
    for (const b of bodies) leaks.push(...findCanaries(canaries, `HTTP ${b.where}`, b.text));
    expect(leaks).toEqual([]);
  });
});
