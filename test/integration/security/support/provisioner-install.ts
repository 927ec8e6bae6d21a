import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AuthorizationV1Api, KubeConfig, type V1PolicyRule } from '@kubernetes/client-node';
import { helm, withValuesFile } from '../../../chart/helm.ts';
import { eventually, kubeClients, statusOf, uniqueName } from '../../../support/kube.ts';

const CHART = resolve(import.meta.dirname, '../../../../charts/tenant-provisioner');

/**
 * charts/tenant-provisioner installed on the sandbox under a release and namespace of its own (as
 * test/integration/deploy/provisioner-chart.test.ts installs it), and a kubeconfig file that
 * authenticates as its ServiceAccount with a TokenRequest token: what the pods would run as.
 */
export async function installProvisionerChart(adminKubeconfig: string) {
  const admin = kubeClients(adminKubeconfig);
  const id = uniqueName('lp');
  const names = { release: id, namespace: id, serviceAccount: id, tenantRole: `${id}-tenant`, prefix: `${id}-t-`, backupSecret: 'backup-s3-credentials' };
  const env = { KUBECONFIG: adminKubeconfig };
  await admin.core.createNamespace({ body: { metadata: { name: id, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } } });
  const secret = (name: string, stringData: Record<string, string>) =>
    admin.core.createNamespacedSecret({ namespace: id, body: { metadata: { name }, stringData } });
  await secret('provisioner-auth', { AUTH_JWT_SECRET: randomBytes(32).toString('base64url') });
  await secret(names.backupSecret, { ACCESS_KEY_ID: 'test', ACCESS_SECRET_KEY: 'test' });
  const values = {
    fullnameOverride: id,
    image: { repository: 'registry.invalid/tenant-provisioner', tag: '0.1.0' },
    tenants: { namespacePrefix: names.prefix },
    auth: { existingSecret: { name: 'provisioner-auth', key: 'AUTH_JWT_SECRET' } },
    redis: { external: { existingSecret: { name: 'provisioner-redis', key: 'REDIS_URL' } } },
  };
  const install = await withValuesFile(values, (file) => helm(['upgrade', '--install', id, CHART, '--namespace', id, '-f', file], env));
  if (install.exitCode !== 0) throw new Error(`installing the provisioner chart failed: ${install.stderr}`);

  const token = await admin.core.createNamespacedServiceAccountToken({ name: id, namespace: id, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...admin.kc.getCurrentCluster()!, name: 'sandbox' }],
    users: [{ name: id, token: token.status!.token }],
    contexts: [{ name: 'sa', cluster: 'sandbox', user: id }],
    currentContext: 'sa',
  });
  const dir = await mkdtemp(join(tmpdir(), 'lp-kubeconfig-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kc.exportConfig(), { mode: 0o600 });
  const sa = kubeClients(kubeconfig);

  // The admission policies answer within moments of their creation; the tests need them in force.
  await eventually('the namespace admission policy to be active', async () => {
    const status = await sa.core.createNamespace({ body: { metadata: { name: `${names.prefix}unlabelled` } }, dryRun: 'All' }).then(() => 200, statusOf);
    return status === 403 ? true : undefined;
  });

  // A namespace where the tenant role is bound to the ServiceAccount by the admin, only to ask the
  // authorizer whether a change to the role has taken effect.
  const probe = `${id}-probe`;
  await admin.core.createNamespace({ body: { metadata: { name: probe } } });
  await admin.rbac.createNamespacedRoleBinding({
    namespace: probe,
    body: {
      metadata: { name: 'probe' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: names.tenantRole },
      subjects: [{ kind: 'ServiceAccount', name: id, namespace: id }],
    },
  });
  const authorization = admin.kc.makeApiClient(AuthorizationV1Api);

  /** Whether the ServiceAccount may do what `rule` grants (its first verb on its first resource), in a bound namespace. */
  async function allowed(rule: V1PolicyRule, namespace = probe): Promise<boolean> {
    const review = await authorization.createSubjectAccessReview({
      body: {
        spec: {
          user: `system:serviceaccount:${id}:${id}`,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${id}`, 'system:authenticated'],
          resourceAttributes: { namespace, verb: rule.verbs[0], group: rule.apiGroups?.[0] ?? '', resource: rule.resources?.[0] },
        },
      },
    });
    return review.status?.allowed === true;
  }

  return {
    names,
    kubeconfig,
    admin,
    sa,
    allowed,
    /** Replaces the tenant role's rules and waits until the authorizer agrees about `watched`. */
    async setTenantRules(rules: V1PolicyRule[], watched: V1PolicyRule, expectAllowed: boolean) {
      const role = await admin.rbac.readClusterRole({ name: names.tenantRole });
      await admin.rbac.replaceClusterRole({ name: names.tenantRole, body: { ...role, rules } });
      await eventually(`the tenant role change to take effect (${JSON.stringify(watched.resources)} ${expectAllowed ? 'allowed' : 'denied'})`, async () =>
        (await allowed(watched)) === expectAllowed ? true : undefined,
      );
    },
    /** Replaces the rules of the chart's domain-claims Role (release namespace) and waits until the authorizer agrees about `watched`. */
    async setClaimRules(rules: V1PolicyRule[], watched: V1PolicyRule, expectAllowed: boolean) {
      const name = `${id}-domain-claims`;
      const role = await admin.rbac.readNamespacedRole({ name, namespace: id });
      await admin.rbac.replaceNamespacedRole({ name, namespace: id, body: { ...role, rules } });
      await eventually(`the domain-claims role change to take effect (${watched.verbs.join(',')} ${expectAllowed ? 'allowed' : 'denied'})`, async () =>
        (await allowed(watched, id)) === expectAllowed ? true : undefined,
      );
    },
    async uninstall() {
      await helm(['uninstall', id, '--namespace', id], env).catch(() => undefined);
      const all = await admin.core.listNamespace();
      for (const ns of all.items.map((n) => n.metadata!.name!).filter((n) => n === id || n === probe || n.startsWith(names.prefix))) {
        await admin.core.deleteNamespace({ name: ns }).catch(() => undefined);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
export type ProvisionerInstall = Awaited<ReturnType<typeof installProvisionerChart>>;
