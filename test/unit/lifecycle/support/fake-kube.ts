import type { Config } from '../../../../src/config/config.schema.ts';
import type { Kubernetes } from '../../../../src/kubernetes/kube-client.ts';
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

/**
 * The Kubernetes clients the steps and sweeps use, over the fake cluster: Secrets (created once,
 * 409 after), Helm's release records as storage Secrets (what the reconciler reads), the CNPG
 * cluster and the API server version. Secret creation is a mutating call (invariant 2).
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

/** Readiness that follows the release: ready once the revision asking for it is deployed, never otherwise. */
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
      return live && { spec: { replicas: name.includes('-api-') ? live.api : live.web } };
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
      const replicas = name.includes('-api-') ? live.api : live.web;
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
