import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { byteCount } from '../../../src/domain/quantity.ts';
import { TenantExistsError } from '../../../src/kubernetes/tenant-store.ts';
import { ChangeRejectedError, TenantConflictError, TenantNotFoundError } from '../../../src/domain/errors.ts';
import { requestDeprovision, requestHibernate, requestResume, requestUpdate } from '../../../src/lifecycle/intake.ts';
import { FAST_LIFECYCLE, mergeOverride, ownPrefixes, writeConfigOverride } from '../../support/config-override.ts';
import { testConfig } from '../../support/service-deps.ts';
import { lifecycleDeps, queueIdle, requestProvision, tenantShape } from '../../support/tenants.ts';
import type { WorkerProcess } from '../../support/worker-process.ts';
import { useWorkerHarness } from '../../support/worker-harness.ts';

const TIERS = ['free', 'professional', 'enterprise'] as const;
type Tier = (typeof TIERS)[number];
type Command =
  | { kind: 'provision' | 'update'; slot: number; tier: Tier }
  | { kind: 'hibernate' | 'resume' | 'deprovision'; slot: number }
  | { kind: 'kill'; worker: number };
type Model = { present: boolean; tier: Tier; hibernated: boolean };

const kubeconfig = inject('kubeconfig');
// The reconciler runs every 2 s in the workers: a job killed too often is re-run from its marker.
const configFile = writeConfigOverride(
  mergeOverride(mergeOverride(FAST_LIFECYCLE, ownPrefixes('pp')), {
    provisioning: { reconcile: { sweepSeconds: 2, lostIntentAfterSeconds: 3, stuckAfterSeconds: 10 } },
  }),
);
const config = testConfig({ kubeconfig, redisUrl: inject('redisUrl'), env: { CONFIG_FILE: configFile } });
const logDir = mkdtempSync(join(tmpdir(), 'tp-property-'));
const harness = useWorkerHarness({ kubeconfig, config, workers: 0, processes: { configFile, logDir } });
let workers: WorkerProcess[] = [];
const figures: string[] = [];
const spawn = () => harness.spawnWorker();

beforeAll(() => {
  workers = [spawn(), spawn()];
});

afterAll(() => {
  console.warn(`lifecycle property runs (worker logs in ${logDir}):\n${figures.join('\n')}`);
});

const storage = (tier: Tier) => byteCount(config.tiers[tier].postgresStorageSize);
const is = (error: unknown, ...types: Array<new (...a: never[]) => Error>) => types.some((t) => error instanceof t);

/** Issues one request and moves the model as the real answer says, checking the answer was the right one. */
async function execute(cmd: Command, ids: string[], models: Model[]): Promise<string> {
  const { deps } = harness;
  if (cmd.kind === 'kill') {
    await workers[cmd.worker]!.kill9();
    workers[cmd.worker] = spawn();
    return `kill worker ${cmd.worker}`;
  }
  const m = models[cmd.slot]!;
  const id = ids[cmd.slot]!;
  const lc = lifecycleDeps(deps);
  const label = `${cmd.kind}${'tier' in cmd ? `(${cmd.tier})` : ''} t${cmd.slot}`;
  try {
    if (cmd.kind === 'provision') {
      await requestProvision(deps, cmd.tier, { tenantId: id });
      expect(m.present, label).toBe(false);
      Object.assign(m, { present: true, tier: cmd.tier, hibernated: false });
    } else if (cmd.kind === 'update') {
      await requestUpdate(lc, id, { subscriptionTier: cmd.tier });
      expect(m.present && storage(cmd.tier) >= storage(m.tier), label).toBe(true);
      m.tier = cmd.tier;
    } else if (cmd.kind === 'deprovision') {
      const accepted = await requestDeprovision(lc, id);
      expect(m.present || accepted.replayed, label).toBe(true);
      m.present = false;
    } else {
      await (cmd.kind === 'hibernate' ? requestHibernate : requestResume)(lc, id);
      expect(m.present, label).toBe(true);
      m.hibernated = cmd.kind === 'hibernate';
    }
    return `${label}: accepted`;
  } catch (error) {
    if (cmd.kind === 'provision' && is(error, TenantExistsError)) return `${label}: 409 (${m.present ? 'exists' : 'still being removed'})`;
    if (cmd.kind === 'update' && is(error, ChangeRejectedError)) {
      expect(m.present && storage(cmd.tier) < storage(m.tier), label).toBe(true);
      return `${label}: 422 shrink`;
    }
    if (is(error, TenantNotFoundError, TenantConflictError)) {
      expect(m.present, label).toBe(false);
      return `${label}: ${error instanceof TenantNotFoundError ? 404 : 409}`;
    }
    throw error;
  }
}

/** Why the cluster does not (yet) show the model, or undefined when it does. */
async function mismatch(id: string, m: Model): Promise<string | undefined> {
  const { deps } = harness;
  const shape = await tenantShape(deps, id);
  if (!m.present) return shape.namespaces === 0 && !shape.release ? undefined : `t ${id} should be gone: ${JSON.stringify(shape)}`;
  const tier = config.tiers[m.tier];
  const replicas = (n: number) => (m.hibernated ? 0 : n);
  const want = {
    namespaces: 1,
    release: { status: 'deployed' },
    database: { instances: tier.postgresInstances, hibernated: m.hibernated, readyInstances: m.hibernated ? 0 : tier.postgresInstances },
    api: { replicas: replicas(tier.apiReplicas), ready: replicas(tier.apiReplicas) },
    web: { replicas: replicas(tier.webReplicas), ready: replicas(tier.webReplicas) },
  };
  const desired = (await deps.registry.get(id))?.desired;
  const ok =
    desired?.tier === m.tier &&
    desired.hibernated === m.hibernated &&
    JSON.stringify(shape).length > 0 &&
    shape.namespaces === 1 &&
    shape.release?.status === 'deployed' &&
    shape.database?.instances === tier.postgresInstances &&
    shape.database.hibernated === m.hibernated &&
    shape.database.readyInstances === want.database.readyInstances &&
    shape.api?.replicas === want.api.replicas &&
    shape.api.ready === want.api.ready &&
    shape.web?.replicas === want.web.replicas &&
    shape.web.ready === want.web.ready;
  return ok ? undefined : `t ${id} should be ${JSON.stringify({ ...want, desired: m })}, is ${JSON.stringify({ ...shape, desired })}`;
}

const command = (slots: number): fc.Arbitrary<Command> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('provision' as const), slot: fc.nat(slots - 1), tier: fc.constantFrom(...TIERS) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('update' as const), slot: fc.nat(slots - 1), tier: fc.constantFrom(...TIERS) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('hibernate' as const, 'resume' as const), slot: fc.nat(slots - 1) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deprovision' as const), slot: fc.nat(slots - 1) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('kill' as const), worker: fc.nat(1) }) },
  );

describe('lifecycle under scheduled interleavings and worker kills', () => {
  it('ends in the state of the last accepted request for every tenant, with no orphaned namespace or release', async () => {
    const SLOTS = 2;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(...Array.from({ length: SLOTS }, () => fc.constantFrom(...TIERS))),
        fc.array(fc.record({ commands: fc.array(command(SLOTS), { minLength: 1, maxLength: 4 }), pauseMs: fc.integer({ min: 0, max: 2_500 }) }), {
          minLength: 2,
          maxLength: 5,
        }),
        fc.scheduler(),
        async (initial, bursts, s) => {
          const { deps } = harness;
          run++;
          const ids = Array.from({ length: SLOTS }, (_, i) => `pp${run}${i}-${randomBytes(3).toString('hex')}`);
          const models: Model[] = ids.map(() => ({ present: false, tier: 'free', hibernated: false }));
          const log: string[] = [];
          const started = Date.now();
          try {
            for (const [slot, tier] of initial.entries()) log.push(await execute({ kind: 'provision', slot, tier }, ids, models));
            for (const burst of bursts) {
              // One sequence per tenant (its requests stay in order) and one per kill; fast-check picks the interleaving.
              const lanes = new Map<string, Command[]>();
              for (const c of burst.commands) {
                const lane = c.kind === 'kill' ? `kill-${lanes.size}` : `t${c.slot}`;
                lanes.set(lane, [...(lanes.get(lane) ?? []), c]);
              }
              const sequences = [...lanes.values()].map((cmds) =>
                s.scheduleSequence(cmds.map((c) => ({ label: JSON.stringify(c), builder: async () => void log.push(await execute(c, ids, models)) }))),
              );
              await s.waitFor(Promise.all(sequences.map((q) => q.task)));
              expect(
                sequences.every((q) => q.done && !q.faulty),
                log.join('; '),
              ).toBe(true);
              await sleep(burst.pauseMs);
            }
            const deadline = Date.now() + 150_000;
            let last: string[] = [];
            while (Date.now() < deadline) {
              last = (await Promise.all(ids.map((id, i) => mismatch(id, models[i]!)))).filter((x): x is string => x !== undefined);
              if (last.length === 0 && (await queueIdle(deps.queue))) break;
              await sleep(500);
            }
            expect(last, log.join('; ')).toEqual([]);
            const namespaces = await deps.kube.core.listNamespace({ labelSelector: 'app.kubernetes.io/managed-by=tenant-provisioner' });
            const orphans = namespaces.items
              .map((ns) => ns.metadata!.name!)
              .filter((n) => ids.some((id) => n === `${config.platform.namespacePrefix}${id}`))
              .filter((n) => !models.some((m, i) => m.present && n === `${config.platform.namespacePrefix}${ids[i]}`));
            expect(orphans, 'orphaned namespaces').toEqual([]);
            figures.push(
              `run ${run} (${Math.round((Date.now() - started) / 1000)} s): ${log.join('; ')} → ${models.map((m) => (m.present ? `${m.tier}${m.hibernated ? '/hibernated' : ''}` : 'gone')).join(', ')}`,
            );
          } finally {
            await Promise.all(ids.map((id) => deps.registry.delete(id).catch(() => undefined)));
          }
        },
      ),
      { numRuns: 6, endOnFailure: true },
    );
  }, 900_000);
});
