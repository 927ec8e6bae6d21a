import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthorizationV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { MANAGED_BY, TENANT_LABELS } from '../domain/tenant-record.ts';
import { beforeWrite, callOptions } from './kube-call.ts';
import { isConflict } from './kube-errors.ts';

export type TenantAccess = { clusterRole: string; serviceAccount: string; serviceAccountNamespace: string };

/**
 * Least privilege: the service holds no rights inside namespaces in general, only the right to
 * bind one ClusterRole into the namespaces it creates (charts/tenant-provisioner). This binds it,
 * idempotently, and waits until the authorizer agrees, because RBAC caches are eventually
 * consistent and a 403 right after the binding would read as a permanent failure.
 */
export async function ensureTenantAccess(
  clients: { rbac: RbacAuthorizationV1Api; authorization: AuthorizationV1Api },
  namespace: string,
  tenantId: string,
  access: TenantAccess,
  deadlineMs = 10_000,
  signal?: AbortSignal,
): Promise<void> {
  try {
    beforeWrite(signal);
    await clients.rbac.createNamespacedRoleBinding(
      {
        namespace,
        body: {
          metadata: { name: access.clusterRole, labels: { [TENANT_LABELS.managedBy]: MANAGED_BY, [TENANT_LABELS.tenantId]: tenantId } },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: access.clusterRole },
          subjects: [{ kind: 'ServiceAccount', name: access.serviceAccount, namespace: access.serviceAccountNamespace }],
        },
      },
      callOptions(signal),
    );
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const review = await clients.authorization.createSelfSubjectAccessReview(
      {
        body: { spec: { resourceAttributes: { namespace, verb: 'create', resource: 'secrets' } } },
      },
      callOptions(signal),
    );
    if (review.status?.allowed) return;
    // RBAC caches converge in well under the deadline; past it the role itself does not grant it.
    if (Date.now() > deadline) {
      throw new Error(
        `forbidden: ClusterRole ${access.clusterRole} bound in namespace ${namespace} does not let the service create secrets there (not effective after ${deadlineMs} ms)`,
      );
    }
    await sleep(100, undefined, signal ? { signal } : undefined);
  }
}
