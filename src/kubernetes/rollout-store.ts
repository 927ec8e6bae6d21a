import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import { Rollout, updateOf, type RolloutState } from '../domain/rollout.ts';
import { MANAGED_BY, TENANT_LABELS } from '../domain/tenant-record.ts';
import { isConflict, isNotFound } from './kube-errors.ts';
import { IntentConflictError } from './tenant-store.ts';

/** One line of the rollout list: enough to pick one and read it whole. */
/** A rollout in the index; its target's versions as it names them (entries from before chart targets have only appVersion). */
export type RolloutSummary = { id: string; state: RolloutState; createdAt: string; appVersion?: string; chartVersion?: string };

/**
 * Rollouts live in the cluster, in the provisioner's namespace (platform.claimsNamespace): one
 * ConfigMap per rollout (`rollout-<id>`, its JSON under `rollout.json`) and an index per installation
 * (`rollout-index-<namespace prefix>`) listing them, so listing needs no `list` verb on ConfigMaps and
 * two installations sharing the namespace (or two test runs) never move each other's rollouts. Every write is conditioned on the
 * resourceVersion read, like a tenant's intent: a Redis failover loses no rollout decision.
 */
export interface RolloutStore {
  create(rollout: Rollout): Promise<void>;
  read(id: string): Promise<{ rollout: Rollout; resourceVersion: string } | undefined>;
  /**
   * Writes only if the record is still at `resourceVersion` (else IntentConflictError); keeps the
   * index's state in step. `previous`, the state the caller read: when it is the state written, the
   * index is not read again (a running rollout's ticks would otherwise read it on every write).
   */
  write(rollout: Rollout, resourceVersion: string, previous?: RolloutState): Promise<string>;
  list(): Promise<RolloutSummary[]>;
}

const ROLLOUT_LABEL = 'tenant-provisioner.io/rollout';
/** The index of the installation whose tenant namespaces start with `prefix` (`tenant-` → `rollout-index-tenant`). */
export const rolloutIndexName = (prefix: string) => `rollout-index-${prefix.replace(/-+$/, '') || 'default'}`;
export const rolloutConfigMapName = (id: string) => `rollout-${id}`;
const ROUNDS = 5;

export function createRolloutStore(core: CoreV1Api, namespace: string, namespacePrefix: string): RolloutStore {
  const INDEX = rolloutIndexName(namespacePrefix);
  const labels = (kind: 'record' | 'index') => ({ [TENANT_LABELS.managedBy]: MANAGED_BY, [ROLLOUT_LABEL]: kind });
  const orUndefined = <T>(read: Promise<T>) =>
    read.catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });

  async function readIndex(): Promise<{ entries: RolloutSummary[]; resourceVersion?: string }> {
    const cm = await orUndefined(core.readNamespacedConfigMap({ namespace, name: INDEX }));
    if (!cm) return { entries: [] };
    return { entries: JSON.parse(cm.data?.['index.json'] ?? '[]') as RolloutSummary[], resourceVersion: cm.metadata!.resourceVersion! };
  }

  /** Puts `entry` in the index (by id), creating the index the first time; retried on a conflicting write. */
  async function index(entry: RolloutSummary): Promise<void> {
    for (let round = 0; round < ROUNDS; round++) {
      const { entries, resourceVersion } = await readIndex();
      const next = [...entries.filter((e) => e.id !== entry.id), entry].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      const body: V1ConfigMap = {
        metadata: { name: INDEX, labels: labels('index'), ...(resourceVersion ? { resourceVersion } : {}) },
        data: { 'index.json': JSON.stringify(next) },
      };
      try {
        if (resourceVersion) await core.replaceNamespacedConfigMap({ namespace, name: INDEX, body });
        else await core.createNamespacedConfigMap({ namespace, body });
        return;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    throw new Error(`the rollout index kept changing under ${ROUNDS} writes`);
  }

  const summary = (r: Rollout): RolloutSummary => ({ id: r.id, state: r.state, createdAt: r.createdAt, ...updateOf(r.request.target) });
  const body = (r: Rollout, resourceVersion?: string): V1ConfigMap => ({
    metadata: { name: rolloutConfigMapName(r.id), labels: labels('record'), ...(resourceVersion ? { resourceVersion } : {}) },
    data: { 'rollout.json': JSON.stringify(r) },
  });

  return {
    async create(rollout) {
      await core.createNamespacedConfigMap({ namespace, body: body(rollout) });
      await index(summary(rollout));
    },
    async read(id) {
      const cm = await orUndefined(core.readNamespacedConfigMap({ namespace, name: rolloutConfigMapName(id) }));
      if (!cm) return undefined;
      return { rollout: Rollout.parse(JSON.parse(cm.data?.['rollout.json'] ?? 'null')), resourceVersion: cm.metadata!.resourceVersion! };
    },
    async write(rollout, resourceVersion, previous) {
      let written: V1ConfigMap;
      try {
        written = await core.replaceNamespacedConfigMap({ namespace, name: rolloutConfigMapName(rollout.id), body: body(rollout, resourceVersion) });
      } catch (error) {
        if (isConflict(error)) throw new IntentConflictError(rollout.id);
        throw error;
      }
      if (previous === rollout.state) return written.metadata!.resourceVersion!;
      const listed = (await readIndex()).entries.find((e) => e.id === rollout.id);
      if (listed?.state !== rollout.state) await index(summary(rollout));
      return written.metadata!.resourceVersion!;
    },
    async list() {
      return (await readIndex()).entries;
    },
  };
}
