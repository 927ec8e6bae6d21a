import { beforeAll, describe, expect, it } from 'vitest';
import type { ChartValues } from '../../src/domain/chart-values.ts';
import { requiredCredentialKeys } from '../../src/domain/backup-store.ts';
import { TENANT_SECRET_KEYS, tenantSecretNames } from '../../src/domain/tenant-secrets.ts';
import type { TiersConfig } from '../../src/domain/tiers.ts';
import { findObject, renderChart, type K8sObject } from './helm.ts';
import { loadTiers, valuesForTier } from './tier-values.ts';

// What every tenant stack must satisfy whatever the tier: naming, labels, pod security, secret
// references, determinism. Rendered once with the richest configuration (professional + domain).
type Container = {
  name: string;
  image: string;
  securityContext: Record<string, unknown>;
  env?: { valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
};

let tiers: TiersConfig;
let values: ChartValues;
let objects: K8sObject[];
const id = 'acme-professional';

beforeAll(async () => {
  tiers = await loadTiers();
  values = valuesForTier(tiers, 'professional', { customDomain: 'shop.acme-auto.example' });
  objects = await renderChart(values);
});

function podSpecs(list: K8sObject[]) {
  return list.filter((o) => o.kind === 'Deployment').map((d) => ({ name: d.metadata.name, pod: d.spec.template.spec }));
}

function containers(list: K8sObject[]): Container[] {
  return podSpecs(list).flatMap(({ pod }) => [...(pod.initContainers ?? []), ...pod.containers] as Container[]);
}

describe('helm template, contract for every tenant', () => {
  it('serves the tenant host and the custom domain, each with its own TLS entry', async () => {
    const ingress = findObject(objects, 'Ingress', `${id}-ingress`);
    expect(ingress.spec.rules.map((r: { host: string }) => r.host)).toEqual(['acme-professional.mechanicbuddy.app', 'shop.acme-auto.example']);
    expect(ingress.spec.tls).toEqual([
      { hosts: ['acme-professional.mechanicbuddy.app'], secretName: `${id}-tls` },
      { hosts: ['shop.acme-auto.example'], secretName: `${id}-custom-domain-tls` },
    ]);
    // The chart renders the Certificates itself (below); ingress-shim would create rival ones.
    expect(ingress.metadata.annotations?.['cert-manager.io/cluster-issuer']).toBeUndefined();
    const paths = ingress.spec.rules[0].http.paths.map((p: { path: string; backend: { service: { name: string } } }) => [p.path, p.backend.service.name]);
    expect(paths).toEqual([
      ['/api', `${id}-api`],
      ['/', `${id}-web`],
    ]);

    const withoutDomain = await renderChart(valuesForTier(tiers, 'professional'));
    const plain = findObject(withoutDomain, 'Ingress', `${id}-ingress`);
    expect(plain.spec.rules).toHaveLength(1);
    expect(plain.spec.tls).toEqual([{ hosts: ['acme-professional.mechanicbuddy.app'], secretName: `${id}-tls` }]);
  });

  it('renders one Certificate per TLS entry, named after its Secret and issued by the platform ClusterIssuer', async () => {
    const issuerRef = { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt-prod' };
    const certificates = objects.filter((o) => o.kind === 'Certificate');
    expect(certificates.map((c) => [c.apiVersion, c.metadata.name, c.spec])).toEqual([
      ['cert-manager.io/v1', `${id}-tls`, { secretName: `${id}-tls`, dnsNames: ['acme-professional.mechanicbuddy.app'], issuerRef }],
      ['cert-manager.io/v1', `${id}-custom-domain-tls`, { secretName: `${id}-custom-domain-tls`, dnsNames: ['shop.acme-auto.example'], issuerRef }],
    ]);
    // Every Secret the Ingress serves has exactly one Certificate writing it.
    const ingress = findObject(objects, 'Ingress', `${id}-ingress`);
    expect(certificates.map((c) => c.spec.secretName)).toEqual(ingress.spec.tls.map((t: { secretName: string }) => t.secretName));

    const withoutDomain = await renderChart(valuesForTier(tiers, 'professional'));
    expect(withoutDomain.filter((o) => o.kind === 'Certificate').map((c) => c.metadata.name)).toEqual([`${id}-tls`]);
  });

  it('labels every object with app.kubernetes.io/* and the tenant id', () => {
    for (const object of objects) {
      expect(object.metadata.labels, `${object.kind}/${object.metadata.name}`).toMatchObject({
        'app.kubernetes.io/name': 'mechanicbuddy-tenant',
        'app.kubernetes.io/instance': 'tenant-test',
        'app.kubernetes.io/managed-by': 'Helm',
        'app.kubernetes.io/part-of': 'mechanicbuddy',
        'app.kubernetes.io/component': expect.any(String),
        'tenant-provisioner.io/tenant-id': id,
      });
    }
    for (const { name, pod } of podSpecs(objects)) {
      expect(name).toMatch(/-(api|web)-(blue|green)$/);
      expect(pod).toBeDefined();
    }
    const cluster = findObject(objects, 'Cluster', `${id}-postgres`);
    expect(cluster.spec.inheritedMetadata.labels['tenant-provisioner.io/tenant-id']).toBe(id);
  });

  it('pins every image by values', () => {
    for (const container of containers(objects)) {
      expect(container.image, container.name).toMatch(/^[^:]+:(?!latest$)[\w.-]+$/);
    }
  });

  it('runs every pod under the restricted Pod Security Standard', () => {
    for (const { name, pod } of podSpecs(objects)) {
      expect(pod.securityContext, name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken, name).toBe(false);
      expect(pod.volumes, name).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } });
    }
    for (const container of containers(objects)) {
      expect(container.securityContext, container.name).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
    }
  });

  it('probes liveness and readiness of the API and Web', () => {
    for (const { name, pod } of podSpecs(objects)) {
      const [app] = pod.containers;
      expect(app.livenessProbe.httpGet, name).toMatchObject({ port: 'http' });
      expect(app.readinessProbe.httpGet, name).toMatchObject({ port: 'http' });
    }
  });

  it('migrates in an init container after the database accepts connections, with no Helm hooks', () => {
    const api = findObject(objects, 'Deployment', `${id}-api-blue`);
    expect(api.spec.template.spec.initContainers.map((c: Container) => c.name)).toEqual(['wait-for-database', 'migrate']);
    expect(api.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(objects.filter((o) => o.metadata.annotations?.['helm.sh/hook'])).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Job')).toEqual([]);
  });

  it('reads credentials only from the Secrets and keys of the shared contract', () => {
    const allowed = new Set<string>([
      ...Object.values(TENANT_SECRET_KEYS.database).map((key) => `${values.secrets.database}/${key}`),
      ...Object.values(TENANT_SECRET_KEYS.app).map((key) => `${values.secrets.app}/${key}`),
      ...Object.values(TENANT_SECRET_KEYS.admin).map((key) => `${values.secrets.admin}/${key}`),
    ]);
    const used = containers(objects).flatMap((c) =>
      (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`] : [])),
    );
    expect(used.length).toBeGreaterThan(0);
    for (const ref of used) expect(allowed, ref).toContain(ref);
    // The ObjectStore reads the tenant's copy of the backup credentials, exactly the keys the service checks the source for.
    const store = findObject(objects, 'ObjectStore', `${id}-object-store`).spec.configuration;
    const refs = Object.values(store.s3Credentials as Record<string, { name: string; key: string }>);
    expect(refs.map((ref) => ref.name)).toEqual(refs.map(() => tenantSecretNames(id).backupCredentials));
    expect(refs.map((ref) => ref.key)).toEqual(requiredCredentialKeys({ provider: 's3', destinationPrefix: null, endpointCA: false }));
    expect(refs.map((ref) => ref.key)).toEqual([TENANT_SECRET_KEYS.backupCredentials.accessKeyId, TENANT_SECRET_KEYS.backupCredentials.secretAccessKey]);
  });

  it('renders identically twice, and a config change rolls only the pods that read it', async () => {
    expect(await renderChart(values)).toEqual(objects);
    const checksum = (list: K8sObject[], name: string) => findObject(list, 'Deployment', name).spec.template.metadata.annotations['checksum/config'];
    const renamed = await renderChart({ ...values, tenant: { ...values.tenant, companyName: 'Acme Auto & Sons' } });
    expect(checksum(renamed, `${id}-api-blue`)).not.toBe(checksum(objects, `${id}-api-blue`));
    expect(checksum(renamed, `${id}-web-blue`)).not.toBe(checksum(objects, `${id}-web-blue`));
    const mechanics = await renderChart({ ...values, tenant: { ...values.tenant, mechanicLimit: 30 } });
    expect(checksum(mechanics, `${id}-api-blue`)).not.toBe(checksum(objects, `${id}-api-blue`));
    expect(checksum(mechanics, `${id}-web-blue`)).toBe(checksum(objects, `${id}-web-blue`));
  });

  it('keeps YAML look-alike strings as strings end to end', async () => {
    const tricky = valuesForTier(tiers, 'demo', { companyName: 'yes', expiresAt: '2026-12-01T10:00:00Z' });
    const config = findObject(await renderChart(tricky), 'ConfigMap', 'acme-demo-api-config');
    expect(config.data).toMatchObject({ TENANT_NAME: 'yes', TENANT_EXPIRES_AT: '2026-12-01T10:00:00Z', MECHANIC_LIMIT: '2' });
  });

  it('hibernates: no pods, PostgreSQL hibernated with its volumes, no disruption budgets', async () => {
    const hibernated = await renderChart(valuesForTier(tiers, 'enterprise', { hibernated: true }));
    for (const name of ['acme-enterprise-api-blue', 'acme-enterprise-web-blue']) {
      expect(findObject(hibernated, 'Deployment', name).spec.replicas).toBe(0);
    }
    const cluster = findObject(hibernated, 'Cluster', 'acme-enterprise-postgres');
    expect(cluster.metadata.annotations).toEqual({ 'cnpg.io/hibernation': 'on' });
    expect(cluster.spec.instances).toBe(3);
    expect(hibernated.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
  });
});
