import type { CoreV1Api } from '@kubernetes/client-node';
import { startObjectStore, type ObjectStore } from './object-store.ts';
import { createPrefixUser, type PrefixUser } from './object-store-users.ts';

/** A real S3 server as the platform's backup store, and the `platform.backup` section that names it. */
export type PlatformStore = {
  store: ObjectStore;
  /** The platform's keys: a versitygw user limited to the `tenants` prefix. */
  user: PrefixUser;
  backup: { destinationPrefix: string; endpointUrl: string; credentialsSecret: { namespace: string; name: string }; tenantAccounts?: 'versitygw' };
  /** Deletes the namespace holding the keys and stops the server. */
  stop(): Promise<void>;
};

/**
 * A versitygw of the caller's own, a user of it limited to the `tenants` prefix, and that user's
 * keys (with `accounts`, the gateway's admin keys, and per-tenant accounts on) in the Secret `store`
 * of a new namespace `namespace`, as an operator would install the
 * platform's store: what the contract run, the export tests, the secret canary and the soak point
 * `platform.backup` at, so everything the service does against the store is real S3 traffic.
 */
export async function startPlatformStore(core: CoreV1Api, namespace: string, options: { accounts?: boolean } = {}): Promise<PlatformStore> {
  const store = await startObjectStore();
  const stop = async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    await store.stop();
  };
  try {
    const user = await createPrefixUser(store, 'tenants');
    // With accounts, the Secret holds the gateway's admin keys, from which each tenant's account is made.
    const keys = options.accounts ? store.rootCredentials : user;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'store' }, stringData: { ACCESS_KEY_ID: keys.accessKeyId, ACCESS_SECRET_KEY: keys.secretAccessKey } },
    });
    const backup = {
      destinationPrefix: `s3://${store.bucket}/tenants`,
      endpointUrl: store.endpoint,
      credentialsSecret: { namespace, name: 'store' },
      ...(options.accounts ? { tenantAccounts: 'versitygw' as const } : {}),
    };
    return { store, user, backup, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
