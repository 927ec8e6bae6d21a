import type { Config } from '../../../../src/config/config.schema.ts';
import type { Kubernetes } from '../../../../src/kubernetes/kube-client.ts';
import { SLOT_LABEL } from '../../../../src/domain/slots.ts';
import { CNPG_HIBERNATION } from '../../../../src/kubernetes/readiness.ts';
import type { TenantWorkloads, WaitOptions } from '../../../../src/kubernetes/tenant-workloads.ts';
import { kubeError } from '../../api/support/fake-cluster.ts';
import type { FakeCluster, ReleaseShape } from './fake-cluster.ts';

/** What the deployed revision runs, as the chart would render it (tier sizes, 0 replicas hibernated). */
function running(config: Config, shape: ReleaseShape) {
  const tier = config.tiers[shape.tier as keyof Config['tiers']];
  return {
    instances: tier.postgresInstances,
    storage: tier.postgresStorageSize,
    hibernated: shape.hibernated,
    api: shape.hibernated ? 0 : tier.apiReplicas,
    web: shape.hibernated ? 0 : tier.webReplicas,
  };
}

/** The app version that never becomes ready (its pods crash-loop): a release of it must not take traffic. */
export const BAD_VERSION = 'bad';

/**
 * Whether one slot's API and Web could take traffic: the deployed revision renders it with replicas,
 * and its version is not the broken one. Undefined when ready, else why not.
 */
export function slotUnready(cluster: FakeCluster, namespace: string, slot: string): string | undefined {
  const current = cluster.nsByName(namespace)?.release.at(-1);
  if (current?.status !== 'deployed' || !current.shape) return `the release is ${current?.status ?? 'missing'}`;
  const app = current.shape.slots[slot];
  if (app === undefined) return `the chart renders no ${slot} Deployments`;
  if (app === BAD_VERSION) return `${slot} runs ${app}, whose pods never become ready`;
  if (current.shape.hibernated) return `${slot} is scaled to 0 (hibernated)`;
  return undefined;
}

/**
 * The Kubernetes clients the steps and sweeps use, over the fake cluster: Secrets (created once,
 * 409 after), Helm's release records as storage Secrets (what the reconciler reads), the CNPG
 * cluster, the Services' selectors and the API server version. Secret creation and Service patches
 * are mutating calls (invariant 2); a patch that points a Service at a slot that cannot take
 * traffic breaks invariant 6.
 */
export function fakeKube(cluster: FakeCluster, config: Config): Kubernetes {
  const world = cluster.world;
  const core = {
    async createNamespacedSecret({ namespace, body }: { namespace: string; body: { metadata?: { name?: string } } }) {
      const tenantId = cluster.tenantOfNamespace(namespace);
      const end = cluster.begin(tenantId, 'create Secret');
      try {
        await world.step(`create Secret ${namespace}`);
        const ns = cluster.nsByName(namespace);
        if (!ns) throw kubeError(404);
        const name = body.metadata!.name!;
        if (ns.secrets.has(name)) throw kubeError(409);
        ns.secrets.set(name, `generation-${++cluster.secretCounter}`);
        return body;
      } finally {
        end();
      }
    },
    async readNamespacedSecret({ namespace, name }: { namespace: string; name: string }) {
      await world.step(`read Secret ${namespace}/${name}`);
      const value = cluster.nsByName(namespace)?.secrets.get(name);
      if (value === undefined) throw kubeError(404);
      return { metadata: { name }, data: { value: Buffer.from(value).toString('base64') } };
    },
    async listNamespacedSecret({ namespace }: { namespace: string }) {
      await world.step(`list release records ${namespace}`);
      const history = cluster.nsByName(namespace)?.release ?? [];
      const items = history
        .filter((r) => r.status !== 'superseded')
        .map((r) => ({
          metadata: { labels: { owner: 'helm', status: r.status, version: String(r.revision), modifiedAt: String(Math.floor(Date.now() / 1000)) } },
        }));
      return { items };
    },
  };
  type ServicePatch = { namespace: string; name: string; body: { spec: { selector: Record<string, string> } } };
  Object.assign(core, {
    async patchNamespacedService({ namespace, name, body }: ServicePatch) {
      const tenantId = cluster.tenantOfNamespace(namespace);
      const end = cluster.begin(tenantId, `patch Service ${name}`);
      try {
        await world.step(`patch Service ${namespace}/${name}`);
        const ns = cluster.nsByName(namespace);
        if (!ns?.services.has(name)) throw kubeError(404);
        const slot = body.spec.selector[SLOT_LABEL];
        if (slot === undefined) throw kubeError(422);
        const unready = slotUnready(cluster, namespace, slot);
        if (unready && ns.services.get(name) !== slot && world.actor().kind === 'worker' && !world.actor().killed) {
          world.violate('6 traffic only to a ready slot', `${world.actor().id} pointed ${name} of ${tenantId} at ${slot}: ${unready}`);
        }
        ns.services.set(name, slot);
        return {};
      } finally {
        end();
      }
    },
    async readNamespacedService({ namespace, name }: { namespace: string; name: string }) {
      await world.step(`read Service ${namespace}/${name}`);
      const slot = cluster.nsByName(namespace)?.services.get(name);
      if (slot === undefined) throw kubeError(404);
      return { metadata: { name }, spec: { selector: { [SLOT_LABEL]: slot } } };
    },
  });
  const custom = {
    async getNamespacedCustomObject({ namespace }: { namespace: string }) {
      await world.step(`read database ${namespace}`);
      const shape = cluster.nsByName(namespace)?.release.findLast((r) => r.status === 'deployed')?.shape;
      if (!shape) throw kubeError(404);
      return { metadata: { annotations: {} }, spec: { instances: running(config, shape).instances } };
    },
  };
  const version = { getCode: async () => ({ gitVersion: 'v1.37.2' }) };
  return { core, custom, version } as unknown as Kubernetes;
}

const slotOf = (deploymentName: string) => deploymentName.split('-').at(-1)!;

/**
 * Readiness that follows the release: a slot's Deployments are ready once the revision rendering
 * them is deployed (never for the broken version), and absent where the chart renders no such slot.
 */
export function fakeWorkloads(cluster: FakeCluster, config: Config): TenantWorkloads {
  const world = cluster.world;
  const deployed = (namespace: string) => {
    const current = cluster.nsByName(namespace)?.release.at(-1);
    return current?.status === 'deployed' && current.shape ? running(config, current.shape) : undefined;
  };
  const notReady = (what: string, o: WaitOptions) => new Error(`${what} not ready within ${o.timeoutMs / 1000} s`);
  const readiness = async (what: string, namespace: string, o: WaitOptions) => {
    await world.step(`wait ${what} ${namespace}`);
    o.signal?.throwIfAborted();
    const live = deployed(namespace);
    if (!live) throw notReady(what, o);
    return live;
  };
  const workloads = {
    async readDatabase(namespace: string) {
      await world.step(`read database ${namespace}`);
      const live = deployed(namespace);
      return (
        live && {
          metadata: { annotations: live.hibernated ? { [CNPG_HIBERNATION]: 'on' } : {} },
          spec: { instances: live.instances, storage: { size: live.storage } },
        }
      );
    },
    async readDeployment(namespace: string, name: string) {
      await world.step(`read deployment ${namespace}/${name}`);
      const live = deployed(namespace);
      const slot = slotOf(name);
      const app = cluster.nsByName(namespace)?.release.at(-1)?.shape?.slots[slot];
      if (!live || app === undefined) return undefined;
      const replicas = name.includes('-api-') ? live.api : live.web;
      const ready = app === BAD_VERSION ? 0 : replicas;
      return {
        metadata: { name, generation: 1 },
        spec: { replicas },
        status: { observedGeneration: 1, replicas, updatedReplicas: replicas, readyReplicas: ready, availableReplicas: ready },
      };
    },
    async waitForDatabase(namespace: string, _name: string, o: WaitOptions) {
      const live = await readiness('database', namespace, o);
      if (live.hibernated) throw notReady('database', o);
      return { instances: live.instances, readyInstances: live.instances, phase: 'Cluster in healthy state' };
    },
    async waitForDatabaseHibernated(namespace: string, _name: string, o: WaitOptions) {
      const live = await readiness('database hibernation', namespace, o);
      if (!live.hibernated) throw notReady('database hibernation', o);
      return { instances: live.instances, readyInstances: 0, phase: 'Cluster in hibernation' };
    },
    async waitForDeployment(namespace: string, name: string, o: WaitOptions) {
      const live = await readiness(`deployment ${name}`, namespace, o);
      const app = cluster.nsByName(namespace)?.release.at(-1)?.shape?.slots[slotOf(name)];
      const replicas = name.includes('-api-') ? live.api : live.web;
      // Hibernated, a rollout to 0 is ready at 0/0 whatever the version.
      if (app === undefined || (app === BAD_VERSION && replicas > 0)) throw notReady(`deployment ${name}`, o);
      return { replicas, readyReplicas: replicas };
    },
    async waitForNamespaceGone(namespace: string, o: WaitOptions) {
      await world.step(`wait namespace gone ${namespace}`);
      if (cluster.nsByName(namespace)) throw notReady(`namespace ${namespace} deletion`, o);
      return true as const;
    },
  };
  return workloads as unknown as TenantWorkloads;
}
