import { expect } from 'vitest';
import type { KubeClients } from '../support/kube.ts';
import { statusOf } from '../support/kube.ts';
import type { K8sObject } from './helm.ts';

/** Fails the test unless the API server accepts the CloudNativePG Cluster in a strict server-side dry run. */
export async function expectClusterAccepted(kube: KubeClients, namespace: string, cluster: K8sObject): Promise<void> {
  try {
    await kube.custom.createNamespacedCustomObject({
      group: 'postgresql.cnpg.io',
      version: 'v1',
      namespace,
      plural: 'clusters',
      body: cluster,
      dryRun: 'All',
      fieldValidation: 'Strict',
    });
  } catch (error) {
    expect.fail(`${cluster.metadata.name} refused (${statusOf(error)}): ${String((error as { body?: unknown }).body ?? error)}`);
  }
}
