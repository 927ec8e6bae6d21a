import { describe, expect, it } from 'vitest';
import type { V1Deployment, V1DeploymentStatus } from '@kubernetes/client-node';
import { databaseHibernation, databaseReadiness, deploymentReadiness, type CnpgCluster } from '../../../src/kubernetes/readiness.ts';

const cluster = (over: Partial<CnpgCluster['status']> & { generation?: number; instances?: number; observed?: number } = {}): CnpgCluster => ({
  metadata: { name: 'db', generation: over.generation ?? 2 },
  spec: { instances: over.instances ?? 3 },
  status: {
    phase: over.phase ?? 'Cluster in healthy state',
    readyInstances: over.readyInstances ?? 3,
    conditions: over.conditions ?? [{ type: 'Ready', status: 'True', observedGeneration: over.observed ?? 2 }],
  },
});

describe('databaseReadiness', () => {
  it('is ready when every instance is ready, the phase is healthy and Ready is about this generation', () => {
    expect(databaseReadiness(cluster())).toEqual({ done: true, value: { instances: 3, readyInstances: 3, phase: 'Cluster in healthy state' } });
  });
  it('does not trust a Ready=True left from an earlier generation', () => {
    expect(databaseReadiness(cluster({ observed: 1 })).done).toBe(false);
  });
  it('waits for every instance and says how many are ready', () => {
    expect(databaseReadiness(cluster({ readyInstances: 1 }))).toEqual({ done: false, reason: 'database 1/3 instances ready (Cluster in healthy state)' });
    expect(databaseReadiness(undefined).done).toBe(false);
    expect(databaseReadiness(cluster({ phase: 'Setting up primary' })).done).toBe(false);
  });
  it("recognises hibernation by the operator's condition", () => {
    expect(databaseHibernation(cluster()).done).toBe(false);
    expect(databaseHibernation(cluster({ conditions: [{ type: 'cnpg.io/hibernation', status: 'True' }] })).done).toBe(true);
  });
});

describe('deploymentReadiness', () => {
  const deployment = (status: V1DeploymentStatus, generation = 3, replicas = 2) =>
    ({ metadata: { name: 'api', generation }, spec: { replicas }, status }) as V1Deployment;
  it('is ready once this generation is rolled out and every replica is updated, ready and available', () => {
    const ready = deployment({ observedGeneration: 3, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(deploymentReadiness(ready)).toEqual({ done: true, value: { replicas: 2, readyReplicas: 2 } });
  });
  it('is not ready while the controller has not seen the new generation or old pods remain', () => {
    expect(deploymentReadiness(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 })).done).toBe(
      false,
    );
    expect(deploymentReadiness(deployment({ observedGeneration: 3, replicas: 3, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3 })).done).toBe(
      false,
    );
  });
  it('reports a stalled rollout', () => {
    const stalled = deployment({
      observedGeneration: 3,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'timed out' }],
    });
    expect(deploymentReadiness(stalled)).toEqual({ done: false, reason: 'api stalled: timed out' });
  });
  it('counts zero replicas (hibernated) as rolled out', () => {
    expect(deploymentReadiness(deployment({ observedGeneration: 3 }, 3, 0)).done).toBe(true);
  });
});
