import { beforeAll, describe, expect, it } from 'vitest';
import { findObject, renderChart, type K8sObject } from './helm.ts';
import { loadTiers, valuesForTier } from './tier-values.ts';

// The original chart's NetworkPolicy broke CloudNativePG; these are the flows it needs, and only those.
const id = 'acme-enterprise';
const instances = { 'cnpg.io/cluster': `${id}-postgres` };
// The database policy covers every Cluster of the tenant (two while a restore runs).
const everyInstance = { matchExpressions: [{ key: 'cnpg.io/cluster', operator: 'In', values: [`${id}-postgres`] }] };
const apiPods = { 'app.kubernetes.io/name': 'mechanicbuddy-tenant', 'app.kubernetes.io/instance': 'tenant-test', 'app.kubernetes.io/component': 'api' };
const webPods = { ...apiPods, 'app.kubernetes.io/component': 'web' };
// What the provisioner's export Job labels its pods (src/kubernetes/export-job.ts).
const exportPods = { 'app.kubernetes.io/instance': 'tenant-test', 'app.kubernetes.io/component': 'export' };
const namespace = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });

let objects: K8sObject[];
beforeAll(async () => {
  objects = await renderChart(valuesForTier(await loadTiers(), 'enterprise'));
});

describe('helm template, network policies', () => {
  it('denies everything by default and lets every pod resolve names', () => {
    expect(findObject(objects, 'NetworkPolicy', `${id}-default-deny`).spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const dns = findObject(objects, 'NetworkPolicy', `${id}-allow-dns`).spec;
    expect(dns.egress[0].to).toEqual([{ ...namespace('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }]);
  });

  it('lets the operator reach the instance manager, the API and the other instances reach PostgreSQL', () => {
    const database = findObject(objects, 'NetworkPolicy', `${id}-database`).spec;
    expect(database.podSelector).toEqual(everyInstance);
    expect(database.ingress).toEqual([
      {
        from: [{ ...namespace('cnpg-system'), podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' } } }],
        ports: [
          { port: 8000, protocol: 'TCP' },
          { port: 5432, protocol: 'TCP' },
        ],
      },
      { from: [{ podSelector: { matchLabels: apiPods } }], ports: [{ port: 5432, protocol: 'TCP' }] },
      // The provisioner's export Job (a tier with backups): pg_dump of this release's database.
      { from: [{ podSelector: { matchLabels: exportPods } }], ports: [{ port: 5432, protocol: 'TCP' }] },
      {
        from: [{ podSelector: everyInstance }],
        ports: [
          { port: 5432, protocol: 'TCP' },
          { port: 8000, protocol: 'TCP' },
        ],
      },
    ]);
  });

  it("lets the export Job's pods reach the database's PostgreSQL port and the object store, and nothing reach them", () => {
    expect(findObject(objects, 'NetworkPolicy', `${id}-export`).spec).toEqual({
      podSelector: { matchLabels: exportPods },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [
        { to: [{ podSelector: everyInstance }], ports: [{ port: 5432, protocol: 'TCP' }] },
        { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }] },
      ],
    });
  });

  it('lets instances reach the Kubernetes API, each other and (with backups) the object store', () => {
    const egress = findObject(objects, 'NetworkPolicy', `${id}-database`).spec.egress;
    expect(egress[0]).toEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0' } }],
      ports: [
        { port: 443, protocol: 'TCP' },
        { port: 6443, protocol: 'TCP' },
      ],
    });
    expect(egress[1].to).toEqual([{ podSelector: everyInstance }]);
    expect(egress[2]).toEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }] });
  });

  it('admits the ingress controller to the API and Web, and Web to the API', () => {
    const api = findObject(objects, 'NetworkPolicy', `${id}-api`).spec;
    expect(api.ingress).toEqual([{ from: [namespace('ingress-nginx'), { podSelector: { matchLabels: webPods } }], ports: [{ port: 15567, protocol: 'TCP' }] }]);
    expect(api.egress).toEqual([{ to: [{ podSelector: { matchLabels: instances } }], ports: [{ port: 5432, protocol: 'TCP' }] }]);
    const web = findObject(objects, 'NetworkPolicy', `${id}-web`).spec;
    expect(web.ingress).toEqual([{ from: [namespace('ingress-nginx')], ports: [{ port: 3000, protocol: 'TCP' }] }]);
    expect(web.egress).toEqual([{ to: [{ podSelector: { matchLabels: apiPods } }], ports: [{ port: 15567, protocol: 'TCP' }] }]);
  });

  it('follows the configured operator and ingress namespaces', async () => {
    const values = valuesForTier(await loadTiers(), 'demo');
    const moved = await renderChart({
      ...values,
      networkPolicy: { ...values.networkPolicy, cnpgOperatorNamespace: 'postgres-operator', ingressControllerNamespace: 'traefik' },
    });
    expect(findObject(moved, 'NetworkPolicy', 'acme-demo-database').spec.ingress[0].from[0]).toMatchObject(namespace('postgres-operator'));
    expect(findObject(moved, 'NetworkPolicy', 'acme-demo-web').spec.ingress[0].from).toEqual([namespace('traefik')]);
    // No backups on demo: no object-store egress, no export policy, and no export pods admitted to the database.
    expect(findObject(moved, 'NetworkPolicy', 'acme-demo-database').spec.egress).toHaveLength(2);
    expect(moved.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).not.toContain('acme-demo-export');
    expect(JSON.stringify(findObject(moved, 'NetworkPolicy', 'acme-demo-database').spec.ingress)).not.toContain('"export"');
  });
});
