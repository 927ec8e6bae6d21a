import { expect } from 'vitest';
import type { KubeClients } from '../support/kube.ts';
import { statusOf } from '../support/kube.ts';
import type { K8sObject } from './helm.ts';

const PLURALS: Record<string, string> = { Cluster: 'clusters', ScheduledBackup: 'scheduledbackups', ObjectStore: 'objectstores' };

/** Fails the test unless the API server accepts the custom object (a CloudNativePG or Barman Cloud kind) in a strict server-side dry run. */
export async function expectObjectAccepted(kube: KubeClients, namespace: string, object: K8sObject): Promise<void> {
  const [group = '', version = ''] = object.apiVersion.split('/');
  try {
    await kube.custom.createNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: PLURALS[object.kind]!,
      body: object,
      dryRun: 'All',
      fieldValidation: 'Strict',
    });
  } catch (error) {
    expect.fail(`${object.kind} ${object.metadata.name} refused (${statusOf(error)}): ${String((error as { body?: unknown }).body ?? error)}`);
  }
}

/** Fails the test unless the API server accepts the CloudNativePG Cluster in a strict server-side dry run. */
export const expectClusterAccepted = expectObjectAccepted;
