import { randomBytes } from 'node:crypto';
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { MANAGED_BY, TENANT_LABELS } from '../domain/tenant-record.ts';
import { TENANT_SECRET_KEYS as KEYS, tenantSecretNames } from '../domain/tenant-secrets.ts';
import { beforeWrite, callOptions } from './kube-call.ts';
import { isConflict, isNotFound } from './kube-errors.ts';

const secret = () => randomBytes(32).toString('base64url');

/**
 * Creates the tenant's Secrets once and never again: a Secret that exists is left exactly as it
 * is, so a retried step, an upgrade or a re-run never rotates a password or logs users out.
 * Returns the names of the Secrets it created this time (never their values). `signal` aborts a
 * request in flight, and no Secret is created once it has aborted.
 */
export async function ensureTenantSecrets(
  core: CoreV1Api,
  input: { namespace: string; tenantId: string; databaseOwner: string; adminUsername: string },
  signal?: AbortSignal,
): Promise<string[]> {
  const names = tenantSecretNames(input.tenantId);
  const labels = { [TENANT_LABELS.managedBy]: MANAGED_BY, [TENANT_LABELS.tenantId]: input.tenantId };
  const wanted: V1Secret[] = [
    {
      metadata: { name: names.database, labels },
      type: 'kubernetes.io/basic-auth',
      stringData: { [KEYS.database.username]: input.databaseOwner, [KEYS.database.password]: secret() },
    },
    {
      metadata: { name: names.app, labels },
      type: 'Opaque',
      stringData: {
        [KEYS.app.jwtSigningKey]: secret(),
        [KEYS.app.consumerSecret]: secret(),
        [KEYS.app.sessionSecret]: secret(),
      },
    },
    {
      metadata: { name: names.admin, labels },
      type: 'kubernetes.io/basic-auth',
      stringData: { [KEYS.admin.username]: input.adminUsername, [KEYS.admin.password]: secret() },
    },
  ];
  const created: string[] = [];
  for (const body of wanted) {
    try {
      beforeWrite(signal);
      await core.createNamespacedSecret({ namespace: input.namespace, body }, callOptions(signal));
      created.push(body.metadata!.name!);
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
  return created;
}

/** One key of a Secret as text ('' when absent). */
export const secretText = (secret: Pick<V1Secret, 'data'>, key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');

/** The tenant admin's credentials, read from its Secret: the only place a password leaves the cluster. */
export async function readAdminCredentials(core: CoreV1Api, namespace: string, tenantId: string, signal?: AbortSignal) {
  try {
    const s = await core.readNamespacedSecret({ namespace, name: tenantSecretNames(tenantId).admin }, callOptions(signal));
    return { username: secretText(s, KEYS.admin.username), password: secretText(s, KEYS.admin.password) };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Copies the platform's object-store credentials into a backup tenant's namespace, once. A missing
 * source, or one without a key the tenant's ObjectStore reads (`requiredKeys`), is a configuration
 * error reported as such, naming keys only (the original referenced a Secret nobody made).
 */
export async function ensureBackupCredentials(
  core: CoreV1Api,
  input: { source: { namespace: string; name: string }; requiredKeys: readonly string[]; namespace: string; tenantId: string },
  signal?: AbortSignal,
): Promise<boolean> {
  const name = tenantSecretNames(input.tenantId).backupCredentials;
  try {
    await core.readNamespacedSecret({ namespace: input.namespace, name }, callOptions(signal));
    return false;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  let source: V1Secret;
  try {
    source = await core.readNamespacedSecret(input.source, callOptions(signal));
  } catch (error) {
    if (isNotFound(error)) throw new Error(`backup credentials Secret ${input.source.namespace}/${input.source.name} does not exist`);
    throw error;
  }
  const missing = input.requiredKeys.filter((key) => !source.data?.[key]);
  if (missing.length > 0) {
    throw new Error(
      `backup credentials Secret ${input.source.namespace}/${input.source.name} is missing ${missing.join(' and ')}, which the tenant's ObjectStore reads`,
    );
  }
  const labels = { [TENANT_LABELS.managedBy]: MANAGED_BY, [TENANT_LABELS.tenantId]: input.tenantId };
  try {
    beforeWrite(signal);
    await core.createNamespacedSecret(
      { namespace: input.namespace, body: { metadata: { name, labels }, type: 'Opaque', data: source.data ?? {} } },
      callOptions(signal),
    );
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}

/**
 * The tenant's own store keys (per-tenant store accounts): made once here, its secret key random,
 * with `extra` (the platform Secret's region and CA) beside them; a Secret that exists is read, never
 * rotated, so a retry or an update finds the keys its account was made with. Returns them, and
 * whether the Secret was made now.
 */
export async function ensureOwnBackupKeys(
  core: CoreV1Api,
  input: { namespace: string; tenantId: string; accessKeyId: string; extra: Record<string, string> },
  signal?: AbortSignal,
): Promise<{ created: boolean; accessKeyId: string; secretAccessKey: string }> {
  const name = tenantSecretNames(input.tenantId).backupCredentials;
  const labels = { [TENANT_LABELS.managedBy]: MANAGED_BY, [TENANT_LABELS.tenantId]: input.tenantId };
  const K = KEYS.backupCredentials;
  const read = async () => {
    const found = await core.readNamespacedSecret({ namespace: input.namespace, name }, callOptions(signal));
    return { created: false, accessKeyId: secretText(found, K.accessKeyId), secretAccessKey: secretText(found, K.secretAccessKey) };
  };
  try {
    return await read();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const keys = { accessKeyId: input.accessKeyId, secretAccessKey: secret() };
  try {
    beforeWrite(signal);
    await core.createNamespacedSecret(
      {
        namespace: input.namespace,
        body: {
          metadata: { name, labels },
          type: 'Opaque',
          data: input.extra,
          stringData: { [K.accessKeyId]: keys.accessKeyId, [K.secretAccessKey]: keys.secretAccessKey },
        },
      },
      callOptions(signal),
    );
    return { created: true, ...keys };
  } catch (error) {
    if (isConflict(error)) return read();
    throw error;
  }
}
