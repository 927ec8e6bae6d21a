import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TierName } from '../../../src/domain/tiers.ts';
import { startApi, type ApiServer } from '../api/support/api-server.ts';
import { eventually, statusOf } from '../../support/kube.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';
import { PROVISION_STEPS } from '../../support/provision-steps.ts';

// The seed's table: PostgreSQL instances, API and Web replicas, storage.
const TIERS: Array<[TierName, number, number, string]> = [
  ['demo', 1, 1, '5Gi'],
  ['free', 1, 1, '10Gi'],
  ['professional', 1, 2, '50Gi'],
  ['enterprise', 3, 3, '200Gi'],
];

type SseEvent = { event: string; id?: string; data: unknown };

/** Reads an SSE response to its end (the server closes after the terminal event). */
async function readEvents(response: Response): Promise<SseEvent[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const field = (name: string) =>
        block
          .split('\n')
          .find((l) => l.startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim();
      return { event: field('event') ?? 'message', id: field('id'), data: JSON.parse(field('data') ?? 'null') };
    });
}

const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
let api: ApiServer;

// The API's hooks come before the harness's: it starts first and closes last.
beforeAll(async () => {
  api = await startApi({ kubeconfig, redisUrl });
});
afterAll(async () => {
  await api?.close();
});

// The worker shares the API's queue prefix, as `provisioner all` does.
const harness = useWorkerHarness({ kubeconfig, config: () => api.config });

describe('provisioning over HTTP, end to end', () => {
  it.each(TIERS)("provisions a %s tenant to ready with the seed's resources, then deprovisions it to nothing", async (tier, instances, replicas, storage) => {
    const { deps } = harness;
    const accepted = await api.call('/api/provisioning/provision', {
      body: { companyName: `E2E ${tier} Garage`, ownerEmail: 'owner@example.com', ownerFirstName: 'Ada', ownerLastName: 'Lovelace', subscriptionTier: tier },
    });
    expect(accepted.status).toBe(202);
    const { jobId, tenantId, namespace, links } = (await accepted.json()) as {
      jobId: string;
      tenantId: string;
      namespace: string;
      links: { events: string; status: string };
    };
    expect(accepted.headers.get('location')).toBe(`/api/jobs/${jobId}`);

    const events = await readEvents(await api.call(links.events));
    const steps = events
      .filter((e) => e.event === 'progress' && !(e.data as { message: string }).message.endsWith(' started'))
      .map((e) => (e.data as { step: string }).step);
    expect(steps).toEqual(PROVISION_STEPS);
    expect(events.at(-1)?.event).toBe('completed');
    const ids = events.map((e) => e.id!);
    expect(new Set(ids).size).toBe(ids.length);

    const status = (await (await api.call(links.status)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      tenantId,
      namespace,
      tier,
      phase: 'ready',
      ready: true,
      release: { status: 'deployed', revision: 1 },
      database: { ready: true, instances, readyInstances: instances, phase: 'Cluster in healthy state' },
      api: { ready: true, replicas, readyReplicas: replicas },
      web: { ready: true, replicas, readyReplicas: replicas },
    });
    expect(status.expiresAt === null).toBe(tier !== 'demo');
    const cluster = await deps.workloads.readDatabase(namespace, `${tenantId}-postgres`);
    expect((cluster?.spec as { storage?: { size?: string } } | undefined)?.storage?.size).toBe(storage);

    const credentials = (await (await api.call(`/api/provisioning/${tenantId}/credentials`)).json()) as { username: string; password: string };
    expect(credentials.username).toBe('admin');
    for (const key of await api.durable.keys(`${api.config.queue.prefix}:*`)) {
      const dump = JSON.stringify((await api.durable.dumpBuffer(key))?.toString('latin1'));
      expect(dump.includes(credentials.password), `password found in Redis key ${key}`).toBe(false);
    }

    const removal = await api.call(`/api/provisioning/${tenantId}/deprovision`, { method: 'POST' });
    expect(removal.status).toBe(202);
    const removalEvents = await readEvents(await api.call(((await removal.json()) as { links: { events: string } }).links.events));
    expect(removalEvents.at(-1)?.event).toBe('completed');
    expect((await api.call(links.status)).status).toBe(404);
    expect(await deps.helm.status(`tenant-${tenantId}`, namespace)).toBeUndefined();
    await eventually('namespace gone', async () =>
      deps.kube.core.readNamespace({ name: namespace }).then(
        () => undefined,
        (e: unknown) => (statusOf(e) === 404 ? true : undefined),
      ),
    );
  });
});
