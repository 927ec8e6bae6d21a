import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serializeChartValues } from '../../../src/domain/chart-values.ts';
import { CHART_DIR as TENANT_CHART_DIR, helm, parseManifests, withValuesFile, type K8sObject } from '../../chart/helm.ts';
import { TIER_NAMES, loadTiers, valuesForTier } from '../../chart/tier-values.ts';

// The provisioner chart rendered (pinned helm, no cluster): its tenant ClusterRole is derived from
// what the tenant chart actually renders, so the two cannot drift, and no rule is a wildcard.
const CHART = resolve(import.meta.dirname, '../../../charts/tenant-provisioner');
const BASE = {
  fullnameOverride: 'tp',
  auth: { existingSecret: { name: 'auth', key: 'AUTH_JWT_SECRET' } },
  redis: { external: { existingSecret: { name: 'redis', key: 'REDIS_URL' } } },
};

type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] };

async function render(values: unknown): Promise<K8sObject[]> {
  const result = await withValuesFile(values, (file) => helm(['template', 'tp', CHART, '--namespace', 'tp-system', '-f', file]));
  if (result.exitCode !== 0) throw new Error(result.stderr);
  return parseManifests(result.stdout);
}

const rulesOf = (objects: K8sObject[], kind: string, name: string) =>
  (objects.find((o) => o.kind === kind && o.metadata.name === name) as unknown as { rules: Rule[] } | undefined)?.rules ?? [];

const plural = (kind: string) => {
  const lower = kind.toLowerCase();
  return lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : lower.endsWith('s') ? `${lower}es` : `${lower}s`;
};
const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');
const grants = (rules: Rule[], group: string, resource: string) =>
  new Set(rules.filter((r) => r.apiGroups?.includes(group) && r.resources?.includes(resource)).flatMap((r) => r.verbs));

let objects: K8sObject[];
/** `group/resource` of every object the tenant chart renders in any tier. */
const tenantKinds = new Set<string>();

beforeAll(async () => {
  objects = await render(BASE);
  const tiers = await loadTiers();
  for (const tier of TIER_NAMES) {
    const values = serializeChartValues(valuesForTier(tiers, tier, { tenantId: `acme-${tier}`, customDomain: 'shop.example.com' }));
    const result = await withValuesFile(values, (file) => helm(['template', 't', TENANT_CHART_DIR, '--namespace', 'tenant-x', '-f', file]));
    expect(result.exitCode, result.stderr).toBe(0);
    for (const o of parseManifests(result.stdout)) tenantKinds.add(`${groupOf(o.apiVersion)}/${plural(o.kind)}`);
  }
});

describe('tenant-provisioner chart RBAC, rendered', () => {
  it('lets the tenant role create, patch, read and delete every kind the tenant chart renders', () => {
    const rules = rulesOf(objects, 'ClusterRole', 'tp-tenant');
    expect(tenantKinds.size).toBeGreaterThanOrEqual(8);
    for (const kind of tenantKinds) {
      const [group = '', resource = ''] = kind.split('/');
      expect([...grants(rules, group, resource)], kind).toEqual(expect.arrayContaining(['get', 'create', 'patch', 'delete']));
    }
  });

  it('writes nothing in tenant namespaces beyond those kinds, Secrets (Helm storage, tenant Secrets), the smoke-check Jobs and on-demand Backups', () => {
    const writes = ['create', 'update', 'patch', 'delete', 'deletecollection'];
    // The worker itself creates the blue-green smoke-check Job (never updates or deletes it: its TTL does).
    expect([...grants(rulesOf(objects, 'ClusterRole', 'tp-tenant'), 'batch', 'jobs')].filter((v) => writes.includes(v))).toEqual(['create']);
    // ...and on-demand Backups (never updates or deletes them: the ObjectStore's retention and the operator do).
    expect([...grants(rulesOf(objects, 'ClusterRole', 'tp-tenant'), 'postgresql.cnpg.io', 'backups')].filter((v) => writes.includes(v))).toEqual(['create']);
    for (const rule of rulesOf(objects, 'ClusterRole', 'tp-tenant')) {
      if (!rule.verbs.some((v) => writes.includes(v))) continue;
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          const own = ['/secrets', 'batch/jobs', 'postgresql.cnpg.io/backups'];
          expect(tenantKinds.has(`${group}/${resource}`) || own.includes(`${group}/${resource}`), `${group}/${resource}`).toBe(true);
        }
      }
    }
    expect([...grants(rulesOf(objects, 'ClusterRole', 'tp-tenant'), '', 'secrets')].sort()).toEqual(['create', 'delete', 'get', 'list', 'update']);
  });

  it('grants cluster-wide only namespaces, creating RoleBindings, binding the tenant role, and /version', () => {
    expect(rulesOf(objects, 'ClusterRole', 'tp-cluster')).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['tp-tenant'] },
      { nonResourceURLs: ['/version'], verbs: ['get'] },
    ]);
    const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') as unknown as { roleRef: { name: string } }[];
    // The tenant role is bound by the service per tenant namespace, never by the chart.
    expect(bindings.map((b) => b.roleRef.name).sort()).toEqual(['tp-backup-credentials', 'tp-cluster', 'tp-domain-claims', 'tp-workload-reads']);
    expect(rulesOf(objects, 'Role', 'tp-backup-credentials')).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['backup-s3-credentials'] },
    ]);
    // Custom-domain claims: ConfigMaps in its own namespace only (a Role, never a ClusterRole), no list, watch or patch.
    expect(rulesOf(objects, 'Role', 'tp-domain-claims')).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'update', 'delete'] },
    ]);
  });

  it('reads Deployments and database Clusters cluster-wide only by list and watch, and not at all when told not to', async () => {
    expect(rulesOf(objects, 'ClusterRole', 'tp-workload-reads')).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] },
      { apiGroups: ['postgresql.cnpg.io'], resources: ['clusters'], verbs: ['list', 'watch'] },
    ]);
    const without = await render({ ...BASE, rbac: { admissionPolicy: { enabled: true }, workloadReads: { enabled: false } } });
    expect(without.filter((o) => o.metadata.name === 'tp-workload-reads')).toEqual([]);
  });

  it('has no wildcard anywhere', () => {
    for (const o of objects.filter((x) => x.kind === 'ClusterRole' || x.kind === 'Role')) {
      for (const rule of (o as unknown as { rules: Rule[] }).rules) {
        for (const list of [rule.apiGroups, rule.resources, rule.verbs, rule.nonResourceURLs]) expect(list ?? []).not.toContain('*');
      }
    }
  });

  it('confines the ServiceAccount with admission policies unless told otherwise', async () => {
    const policies = objects
      .filter((o) => o.kind === 'ValidatingAdmissionPolicy')
      .map((o) => o.metadata.name)
      .sort();
    expect(policies).toEqual(['tp-domain-claims', 'tp-namespaces', 'tp-rolebindings']);
    const bindings = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
    expect(bindings.map((b) => b.spec)).toEqual([
      { policyName: 'tp-namespaces', validationActions: ['Deny'] },
      { policyName: 'tp-rolebindings', validationActions: ['Deny'] },
      { policyName: 'tp-domain-claims', validationActions: ['Deny'] },
    ]);
    const without = await render({ ...BASE, rbac: { admissionPolicy: { enabled: false }, workloadReads: { enabled: true } } });
    expect(without.some((o) => o.kind === 'ValidatingAdmissionPolicy')).toBe(false);
  });

  it('takes REDIS_URL and AUTH_JWT_SECRET from Secrets, and refuses to render without them', async () => {
    const api = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'tp-api')!;
    const env = api.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[];
    expect(env.find((e) => e.name === 'REDIS_URL')).toEqual({ name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: 'redis', key: 'REDIS_URL' } } });
    expect(env.find((e) => e.name === 'AUTH_JWT_SECRET')).toEqual({
      name: 'AUTH_JWT_SECRET',
      valueFrom: { secretKeyRef: { name: 'auth', key: 'AUTH_JWT_SECRET' } },
    });
    await expect(render({ ...BASE, auth: { existingSecret: { name: '', key: 'AUTH_JWT_SECRET' } } })).rejects.toThrow(/config\.auth\.jwksUrl is required/);
    await expect(render({ ...BASE, redis: { external: { existingSecret: { name: '', key: 'REDIS_URL' } } } })).rejects.toThrow(
      /redis\.external\.existingSecret\.name is required/,
    );
    await expect(render({ ...BASE, image: { repository: 'x', tag: 'latest', pullPolicy: 'Always' } })).rejects.toThrow(/image\/tag/);
  });

  it("serves the closed page on the API's own port and Service, and points a closed account's hosts there unless config says otherwise", async () => {
    const configOf = (rendered: K8sObject[]) =>
      parse(
        (rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'tp-config') as unknown as { data: Record<string, string> }).data['config.yaml']!,
      ) as {
        server: Record<string, unknown>;
        platform: Record<string, unknown>;
      };
    const api = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'tp-api')!.spec.template.spec.containers[0];
    expect(api.ports).toEqual([
      { name: 'http', containerPort: 3000, protocol: 'TCP' },
      { name: 'closed-page', containerPort: 3002, protocol: 'TCP' },
    ]);
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'tp-api')!;
    expect(service.spec.ports).toContainEqual({ name: 'closed-page', port: 3002, targetPort: 'closed-page', protocol: 'TCP' });
    expect(configOf(objects).server).toMatchObject({ closedPagePort: 3002 });
    expect(configOf(objects).platform.closedPage).toEqual({ externalName: 'tp-api.tp-system.svc.cluster.local', port: 3002 });
    // An operator's own page wins; turned off, there is neither the port nor the pointer.
    const own = { externalName: 'closed.example.svc.cluster.local', port: 8080 };
    expect(configOf(await render({ ...BASE, config: { platform: { closedPage: own } } })).platform.closedPage).toEqual(own);
    const off = await render({ ...BASE, api: { closedPage: { enabled: false, port: 3002 } } });
    expect(configOf(off).server.closedPagePort).toBeUndefined();
    expect(configOf(off).platform.closedPage).toBeUndefined();
    expect(off.find((o) => o.kind === 'Service' && o.metadata.name === 'tp-api')!.spec.ports).toHaveLength(1);
  });

  it('runs the worker with its health port and the API and worker from the same image', () => {
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    const [api, worker] = ['tp-api', 'tp-worker'].map((n) => deployments.find((d) => d.metadata.name === n)!.spec.template.spec.containers[0]);
    expect(api.image).toBe(worker.image);
    expect([api.args, worker.args]).toEqual([['api'], ['worker']]);
    expect(worker.ports).toEqual([{ name: 'health', containerPort: 3001, protocol: 'TCP' }]);
    // Smaller V8 semi-spaces for the worker only (values.yaml worker.nodeOptions).
    const nodeOptions = (c: { env: Array<{ name: string; value?: string }> }) => c.env.find((e) => e.name === 'NODE_OPTIONS')?.value;
    expect([nodeOptions(api), nodeOptions(worker)]).toEqual([undefined, '--max-semi-space-size=4']);
    expect(worker.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(api.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(api.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  });
});
