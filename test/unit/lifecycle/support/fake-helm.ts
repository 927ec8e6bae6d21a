import { parse } from 'yaml';
import type { HelmClient, HelmRelease, InstallRequest } from '../../../../src/helm/helm-client.ts';
import { HelmError } from '../../../../src/helm/helm-error.ts';
import type { FakeCluster, Namespace, ReleaseShape, Revision } from './fake-cluster.ts';

const cancelled = (command: string) => new HelmError(command, undefined, '', true);
const aborted = (signal: AbortSignal | undefined) =>
  new Promise<'aborted'>((resolve) => (signal?.aborted ? resolve('aborted') : signal?.addEventListener('abort', () => resolve('aborted'), { once: true })));

type Values = {
  tenant: { tier: string };
  hibernated: boolean;
  ingress: { customDomain: string | null };
  activeSlot: string;
  inactiveSlot: { images: { api: { tag: string } } } | null;
  images: { api: { tag: string } };
};

/** What the chart renders from the values: the active slot with the chart's images, and the other slot during a window. */
function shapeOf(values: string): ReleaseShape {
  const v = parse(values) as Values;
  const slots: Record<string, string> = { [v.activeSlot]: v.images.api.tag };
  if (v.inactiveSlot) slots[v.activeSlot === 'blue' ? 'green' : 'blue'] = v.inactiveSlot.images.api.tag;
  return { tier: v.tenant.tier, hibernated: v.hibernated, customDomain: v.ingress.customDomain, active: v.activeSlot, slots };
}

/** Helm applies the Services as rendered (server-side, --force-conflicts): a patched selector is taken back. */
function applyServices(ns: Namespace, tenantId: string, shape: ReleaseShape | undefined) {
  if (shape) for (const component of ['api', 'web']) ns.services.set(`${tenantId}-${component}`, shape.active);
}

/**
 * Helm over the fake cluster: a release history with statuses (pending-* while a command runs, as
 * Helm's own lock shows), upgrade/rollback/uninstall as mutating calls that span two scheduling
 * points (a child process runs for a while), cancellation by signal (Helm marks the release failed),
 * and failures the scenario arms per tenant.
 */
export class FakeHelm implements HelmClient {
  private readonly cluster: FakeCluster;

  constructor(cluster: FakeCluster) {
    this.cluster = cluster;
  }

  private toRelease(name: string, namespace: string, r: Revision): HelmRelease {
    return { name, namespace, revision: r.revision, status: r.status as HelmRelease['status'], description: '' };
  }

  /** Runs a child-process-like command: starts, runs across another scheduling point, may be cancelled. */
  private async child<T>(command: string, namespace: string, signal: AbortSignal | undefined, start: () => (outcome: 'ok' | 'aborted') => T): Promise<T> {
    const tenantId = this.cluster.tenantOfNamespace(namespace);
    const end = this.cluster.begin(tenantId, `helm ${command}`);
    try {
      await this.cluster.world.step(`helm ${command} ${tenantId} starts`);
      if (signal?.aborted) throw cancelled(command);
      const finish = start();
      const outcome = await Promise.race([this.cluster.world.step(`helm ${command} ${tenantId} ends`).then(() => 'ok' as const), aborted(signal)]);
      return finish(outcome);
    } finally {
      end();
    }
  }

  async upgradeInstall(req: InstallRequest): Promise<HelmRelease> {
    return this.child('upgrade', req.namespace, req.signal, () => {
      const tenantId = this.cluster.tenantOfNamespace(req.namespace);
      const ns = this.cluster.namespaces.get(tenantId);
      if (!ns) throw new HelmError('upgrade', 1, `Error: create: failed to create: namespaces "${req.namespace}" not found`);
      const last = ns.release.at(-1);
      if (last?.status.startsWith('pending-'))
        throw new HelmError('upgrade', 1, 'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress');
      const rev: Revision = { revision: (last?.revision ?? 0) + 1, status: last ? 'pending-upgrade' : 'pending-install', shape: shapeOf(req.values) };
      ns.release.push(rev);
      const fault = this.cluster.world.faults.helm.get(tenantId);
      this.cluster.world.faults.helm.delete(tenantId);
      return (outcome) => {
        if (outcome === 'aborted') {
          rev.status = 'failed';
          throw cancelled('upgrade');
        }
        if (fault) {
          rev.status = 'failed';
          throw new HelmError(
            'upgrade',
            1,
            fault === 'permanent'
              ? 'Error: UPGRADE FAILED: execution error at (tenant/templates/api.yaml:12:4): the chart refuses these values'
              : 'Error: UPGRADE FAILED: timeout waiting for the API server',
          );
        }
        for (const r of ns.release) if (r.status === 'deployed') r.status = 'superseded';
        rev.status = 'deployed';
        ns.everDeployed = true;
        applyServices(ns, tenantId, rev.shape);
        return this.toRelease(req.release, req.namespace, rev);
      };
    });
  }

  async rollback(release: string, namespace: string, revision: number, signal?: AbortSignal): Promise<void> {
    await this.child('rollback', namespace, signal, () => {
      const ns = this.cluster.nsByName(namespace);
      const target = ns?.release.find((r) => r.revision === revision);
      if (!ns || !target) throw new HelmError('rollback', 1, `Error: release: not found`);
      const rev: Revision = { revision: ns.release.at(-1)!.revision + 1, status: 'pending-rollback', shape: target.shape };
      ns.release.push(rev);
      return (outcome) => {
        if (outcome === 'aborted') {
          rev.status = 'failed';
          throw cancelled('rollback');
        }
        for (const r of ns.release) if (r.status === 'deployed') r.status = 'superseded';
        rev.status = 'deployed';
        applyServices(ns, this.cluster.tenantOfNamespace(namespace), rev.shape);
      };
    });
  }

  async uninstall(release: string, namespace: string, signal?: AbortSignal): Promise<void> {
    await this.child('uninstall', namespace, signal, () => {
      const tenantId = this.cluster.tenantOfNamespace(namespace);
      const ns = this.cluster.namespaces.get(tenantId);
      if (ns && ns.release.length > 0) {
        // Only a release that ever held data counts; uninstalling one that never deployed loses nothing.
        this.cluster.destroying(tenantId, `helm uninstall (database and volumes) of release ${release}`);
        ns.release = [];
        ns.everDeployed = false;
        ns.services.clear();
      }
      return () => undefined;
    });
  }

  async status(release: string, namespace: string): Promise<HelmRelease | undefined> {
    await this.cluster.world.step(`helm status ${namespace}`);
    const current = this.cluster.nsByName(namespace)?.release.at(-1);
    return current && this.toRelease(release, namespace, current);
  }

  async history(release: string, namespace: string): Promise<HelmRelease[]> {
    await this.cluster.world.step(`helm history ${namespace}`);
    return (this.cluster.nsByName(namespace)?.release ?? []).map((r) => this.toRelease(release, namespace, r));
  }

  async template(): Promise<string> {
    return '';
  }

  async manifest(): Promise<string | undefined> {
    return undefined;
  }

  async version(): Promise<string> {
    return 'v4.0.0';
  }
}
