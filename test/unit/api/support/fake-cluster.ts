import { indexedUnder, type TenantIndex } from '../../../../src/kubernetes/tenant-index.ts';
import type { BatchV1Api, CoreV1Api, V1Deployment, V1Job } from '@kubernetes/client-node';
import type { TenantRecord } from '../../../../src/domain/tenant-record.ts';
import type { Kubernetes } from '../../../../src/kubernetes/kube-client.ts';
import type { HelmClient, HelmRelease } from '../../../../src/helm/helm-client.ts';
import type { Certificate, CnpgCluster } from '../../../../src/kubernetes/readiness.ts';
import { IntentConflictError, TenantExistsError, type IntentChange, type TenantStore } from '../../../../src/kubernetes/tenant-store.ts';
import type { BackupSummary } from '../../../../src/kubernetes/tenant-backups.ts';
import type { TenantWorkloads } from '../../../../src/kubernetes/tenant-workloads.ts';
import { tenantSecretNames } from '../../../../src/domain/tenant-secrets.ts';

/** An error shaped like client-node's ApiException. */
export const kubeError = (code: number) => Object.assign(new Error(`HTTP-Code: ${code}`), { code });

/** TenantStore over a Map, in namespace-name order, paging like the API server. */
export class FakeRegistry implements TenantStore {
  readonly tenants = new Map<string, TenantRecord>();
  readonly calls: string[] = [];
  failWith: Error | undefined;
  readonly prefix: string;
  constructor(prefix = 'tenant-') {
    this.prefix = prefix;
  }

  namespaceOf(tenantId: string) {
    return `${this.prefix}${tenantId}`;
  }

  private check(call: string) {
    this.calls.push(call);
    if (this.failWith) throw this.failWith;
  }

  async create(tenant: Parameters<TenantStore['create']>[0]) {
    this.check(`create ${tenant.tenantId}`);
    if (this.tenants.has(tenant.tenantId)) throw new TenantExistsError(tenant.tenantId);
    const record: TenantRecord = {
      ...tenant,
      namespace: this.namespaceOf(tenant.tenantId),
      tier: tenant.desired.tier,
      createdAt: '2026-01-01T00:00:00.000Z',
      terminating: false,
    };
    this.tenants.set(tenant.tenantId, record);
    return structuredClone(record);
  }

  async get(tenantId: string) {
    this.check(`get ${tenantId}`);
    const record = this.tenants.get(tenantId);
    return record && structuredClone(record);
  }

  async list(options: Parameters<TenantStore['list']>[0]) {
    this.check(`list ${options.limit}`);
    const all = [...this.tenants.values()].filter((t) => !options.tier || t.tier === options.tier).sort((a, b) => a.namespace.localeCompare(b.namespace));
    const start = options.continue === undefined ? 0 : Number(options.continue);
    if (Number.isNaN(start)) throw kubeError(410);
    const items = all.slice(start, start + options.limit);
    const next = start + options.limit;
    return { items: structuredClone(items), continue: next < all.length ? String(next) : undefined };
  }

  /** resourceVersions per tenant: every write moves it on, like the API server's. */
  private readonly versions = new Map<string, number>();

  async read(tenantId: string) {
    this.check(`read ${tenantId}`);
    const record = this.tenants.get(tenantId);
    return record && { tenant: structuredClone(record), resourceVersion: String(this.versions.get(tenantId) ?? 1) };
  }

  async write(tenantId: string, resourceVersion: string, change: IntentChange) {
    this.check(`write ${tenantId} ${change.operation ? `${change.operation.type}:${change.operation.state}` : Object.keys(change).join(',')}`);
    const record = this.tenants.get(tenantId);
    if (!record) throw kubeError(404);
    const version = this.versions.get(tenantId) ?? 1;
    if (String(version) !== resourceVersion) throw new IntentConflictError(tenantId);
    if (change.desired)
      Object.assign(record, { desired: structuredClone(change.desired), tier: change.desired.tier, customDomain: change.desired.customDomain });
    if (change.operation !== undefined) record.operation = change.operation;
    if (change.expiresAt !== undefined) record.expiresAt = change.expiresAt;
    if (change.stripe) Object.assign(record, { stripeCustomerId: change.stripe.customerId, stripeSubscriptionId: change.stripe.subscriptionId });
    if (change.running) record.running = structuredClone(change.running);
    if (change.pin !== undefined) record.pin = change.pin;
    if (change.template !== undefined) record.template = change.template;
    this.versions.set(tenantId, version + 1);
    return String(version + 1);
  }

  async findBy(index: TenantIndex, value: string) {
    return (await this.list({ limit: Number.MAX_SAFE_INTEGER })).items.filter((t) => indexedUnder(t, index, value));
  }

  async templates() {
    return (await this.list({ limit: Number.MAX_SAFE_INTEGER })).items.filter((t) => t.template);
  }

  /** Every record here is indexed as it is written: nothing predates the index. */
  async backfillIndex() {
    return 0;
  }

  async *all(options: { tier?: TenantRecord['tier'] } = {}) {
    let cursor: string | undefined;
    do {
      const page = await this.list({ limit: 200, continue: cursor, tier: options.tier });
      yield* page.items;
      cursor = page.continue;
    } while (cursor !== undefined);
  }

  async ensureAccess(): Promise<void> {}

  async delete(tenantId: string, expected?: { resourceVersion: string }) {
    this.check(`delete ${tenantId}`);
    if (expected && this.tenants.has(tenantId) && String(this.versions.get(tenantId) ?? 1) !== expected.resourceVersion) return 'changed' as const;
    this.versions.delete(tenantId);
    return this.tenants.delete(tenantId) ? ('deleting' as const) : ('absent' as const);
  }

  /** Adds a tenant as if it had been provisioned and completed. */
  seed(tenantId: string, change: Partial<TenantRecord> = {}): TenantRecord {
    const record: TenantRecord = {
      tenantId,
      namespace: this.namespaceOf(tenantId),
      tier: 'professional',
      companyName: `Company ${tenantId}`,
      ownerEmail: 'owner@example.com',
      ownerName: 'Ada Lovelace',
      customDomain: null,
      stripeCustomerId: null,
      stripeSubscriptionId: null,
      expiresAt: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      desired: { tier: change.tier ?? 'professional', customDomain: change.customDomain ?? null, resourceOverrides: {}, hibernated: false },
      operation: { type: 'provision', jobId: `job-${tenantId}`, state: 'completed', at: '2026-01-01T00:01:00.000Z' },
      terminating: false,
      ...change,
    };
    this.tenants.set(tenantId, record);
    return record;
  }
}

/** The readers of TenantWorkloads over maps keyed `namespace/name`. */
export function fakeWorkloads() {
  const databases = new Map<string, CnpgCluster>();
  const deployments = new Map<string, V1Deployment>();
  const certificates = new Map<string, Certificate>();
  /** Backup summaries by `namespace/cluster`, as the list returns them. */
  const backups = new Map<string, BackupSummary[]>();
  const workloads: Pick<TenantWorkloads, 'readDatabase' | 'readDeployment' | 'readCertificate' | 'listBackups'> = {
    readDatabase: async (namespace, name) => databases.get(`${namespace}/${name}`),
    readDeployment: async (namespace, name) => deployments.get(`${namespace}/${name}`),
    readCertificate: async (namespace, name) => certificates.get(`${namespace}/${name}`),
    listBackups: async (namespace, cluster) => backups.get(`${namespace}/${cluster}`) ?? [],
  };
  return { workloads, databases, deployments, certificates, backups };
}

export function readyDatabase(instances = 1): CnpgCluster {
  return {
    metadata: { generation: 1 },
    spec: { instances },
    status: { phase: 'Cluster in healthy state', instances, readyInstances: instances, conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1 }] },
  };
}

export function readyDeployment(name: string, replicas = 1): V1Deployment {
  return {
    metadata: { name, generation: 1 },
    spec: { replicas, selector: {}, template: {} },
    status: { observedGeneration: 1, replicas, readyReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas },
  };
}

/** A cert-manager Certificate as issued: Ready=True about its current generation. */
export function readyCertificate(name: string, generation = 1): Certificate {
  return { metadata: { name, generation }, status: { conditions: [{ type: 'Ready', status: 'True', observedGeneration: generation }] } };
}

export class FakeHelm implements Pick<HelmClient, 'status' | 'version' | 'template' | 'manifest'> {
  readonly releases = new Map<string, HelmRelease>();
  versionError: Error | undefined;
  async status(release: string, namespace: string) {
    return this.releases.get(`${namespace}/${release}`);
  }
  async version() {
    if (this.versionError) throw this.versionError;
    return 'v4.0.0';
  }
  /** What `template` renders and `manifest` reads back, settable by a test (a dry run compares them). */
  rendered = '';
  live: string | undefined = undefined;
  templates = 0;
  async template() {
    this.templates += 1;
    return this.rendered;
  }
  async manifest() {
    return this.live;
  }
}

/** `core` (Secrets only) and `version` of the Kubernetes clients. */
export function fakeKube() {
  const secrets = new Map<string, Record<string, string>>();
  const state = { versionError: undefined as Error | undefined };
  const core = {
    readNamespacedSecret: async ({ namespace, name }: { namespace: string; name: string }) => {
      const data = secrets.get(`${namespace}/${name}`);
      if (!data) throw kubeError(404);
      return { data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
    },
  } as unknown as CoreV1Api;
  const version = {
    getCode: async () => {
      if (state.versionError) throw state.versionError;
      return { gitVersion: 'v1.37.2' };
    },
  };
  /** Jobs by `namespace/name` (an export's): read back as the Job controller left them. */
  const jobs = new Map<string, V1Job>();
  const batch = {
    readNamespacedJob: async ({ namespace, name }: { namespace: string; name: string }) => {
      const job = jobs.get(`${namespace}/${name}`);
      if (!job) throw kubeError(404);
      return job;
    },
  } as unknown as BatchV1Api;
  const putAdmin = (namespace: string, tenantId: string, username: string, password: string) =>
    secrets.set(`${namespace}/${tenantSecretNames(tenantId).admin}`, { username, password });
  return { kube: { core, version, batch } as unknown as Pick<Kubernetes, 'core' | 'version' | 'batch'>, secrets, jobs, state, putAdmin };
}

/** Custom-domain claims over a map, with the port's outcomes: first claimer wins, release only by the owner. */
export class FakeClaims {
  readonly owners = new Map<string, string>();
  async claim(host: string, tenantId: string) {
    const key = host.toLowerCase().replace(/\.$/, '');
    const owner = this.owners.get(key);
    if (owner && owner !== tenantId) return { ownedBy: owner };
    this.owners.set(key, tenantId);
    return owner ? ('already-yours' as const) : ('claimed' as const);
  }
  async release(host: string, tenantId: string) {
    const key = host.toLowerCase().replace(/\.$/, '');
    const owner = this.owners.get(key);
    if (!owner) return 'absent' as const;
    if (owner !== tenantId) return { ownedBy: owner };
    this.owners.delete(key);
    return 'released' as const;
  }
  async owner(host: string) {
    return this.owners.get(host.toLowerCase().replace(/\.$/, ''));
  }
}
