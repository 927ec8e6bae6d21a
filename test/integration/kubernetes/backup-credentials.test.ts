import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { requiredCredentialKeys } from '../../../src/domain/backup-store.ts';
import { ensureBackupCredentials } from '../../../src/kubernetes/tenant-secrets.ts';
import { kubeClients, uniqueName } from '../../support/kube.ts';

// The copy of the platform's object-store Secret into a backup tenant's namespace, on the sandbox's
// real API server: once, with every key the tenant's ObjectStore reads, or a refusal naming the key.
const kubeconfig = inject('kubeconfig');
const admin = kubeClients(kubeconfig);
const platformNamespace = uniqueName('backup-src');
const tenantNamespaces: string[] = [];

const azureKeys = requiredCredentialKeys({ provider: 'azure', destinationPrefix: null, endpointCA: true, azure: { credentials: 'storageSasToken' } });

async function tenantNamespace(): Promise<{ namespace: string; tenantId: string }> {
  const tenantId = uniqueName('bc');
  const namespace = `${platformNamespace}-${tenantId}`;
  await admin.core.createNamespace({ body: { metadata: { name: namespace } } });
  tenantNamespaces.push(namespace);
  return { namespace, tenantId };
}

beforeAll(async () => {
  await admin.core.createNamespace({ body: { metadata: { name: platformNamespace } } });
  const secret = (name: string, stringData: Record<string, string>) =>
    admin.core.createNamespacedSecret({ namespace: platformNamespace, body: { metadata: { name }, type: 'Opaque', stringData } });
  await secret('azure-full', { AZURE_STORAGE_ACCOUNT: 'acme', AZURE_STORAGE_SAS_TOKEN: 'sv=2026&sig=canary', ENDPOINT_CA: 'pem' });
  await secret('azure-no-token', { AZURE_STORAGE_ACCOUNT: 'acme', ENDPOINT_CA: 'pem' });
});

afterAll(async () => {
  for (const name of [platformNamespace, ...tenantNamespaces]) await admin.core.deleteNamespace({ name }).catch(() => undefined);
});

describe('ensureBackupCredentials on the real API server', () => {
  it("copies the platform Secret once, with every key its store reads, under the tenant's name", async () => {
    expect(azureKeys).toEqual(['AZURE_STORAGE_ACCOUNT', 'AZURE_STORAGE_SAS_TOKEN', 'ENDPOINT_CA']);
    const { namespace, tenantId } = await tenantNamespace();
    const input = { source: { namespace: platformNamespace, name: 'azure-full' }, requiredKeys: azureKeys, namespace, tenantId };
    expect(await ensureBackupCredentials(admin.core, input)).toBe(true);
    const copy = await admin.core.readNamespacedSecret({ namespace, name: `${tenantId}-backup-credentials` });
    const source = await admin.core.readNamespacedSecret({ namespace: platformNamespace, name: 'azure-full' });
    expect(copy.data).toEqual(source.data);
    expect(copy.metadata?.labels).toMatchObject({ 'tenant-provisioner.io/tenant-id': tenantId });
    // Again: nothing is written, the copy keeps its resourceVersion.
    expect(await ensureBackupCredentials(admin.core, input)).toBe(false);
    const again = await admin.core.readNamespacedSecret({ namespace, name: `${tenantId}-backup-credentials` });
    expect(again.metadata?.resourceVersion).toBe(copy.metadata?.resourceVersion);
  });

  it('refuses a source without a key the store reads, naming the key and no value, and copies nothing', async () => {
    const { namespace, tenantId } = await tenantNamespace();
    const input = { source: { namespace: platformNamespace, name: 'azure-no-token' }, requiredKeys: azureKeys, namespace, tenantId };
    const error = await ensureBackupCredentials(admin.core, input).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe(
      `backup credentials Secret ${platformNamespace}/azure-no-token is missing AZURE_STORAGE_SAS_TOKEN, which the tenant's ObjectStore reads`,
    );
    expect(error?.message).not.toContain('acme');
    const copies = await admin.core.listNamespacedSecret({ namespace });
    expect(copies.items.map((s) => s.metadata?.name)).not.toContain(`${tenantId}-backup-credentials`);
  });

  it('says which source Secret is missing', async () => {
    const { namespace, tenantId } = await tenantNamespace();
    const input = { source: { namespace: platformNamespace, name: 'nowhere' }, requiredKeys: azureKeys, namespace, tenantId };
    await expect(ensureBackupCredentials(admin.core, input)).rejects.toThrow(`backup credentials Secret ${platformNamespace}/nowhere does not exist`);
  });
});
