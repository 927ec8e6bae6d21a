import type { V1Deployment } from '@kubernetes/client-node';
import type { Observation } from './watch-until.ts';

/** The part of a CloudNativePG `Cluster` that readiness depends on. */
export type CnpgCluster = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generation?: number; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: { instances?: number };
  status?: {
    phase?: string;
    instances?: number;
    readyInstances?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string; observedGeneration?: number }>;
  };
};

const CNPG_HEALTHY_PHASE = 'Cluster in healthy state';
export const CNPG_HIBERNATION = 'cnpg.io/hibernation';

export type DatabaseSummary = { instances: number; readyInstances: number; phase: string };

const summary = (c: CnpgCluster): DatabaseSummary => ({
  instances: c.spec?.instances ?? 0,
  readyInstances: c.status?.readyInstances ?? 0,
  phase: c.status?.phase ?? 'Pending',
});

/**
 * Ready the way the operator reports it: every instance ready, the healthy phase, and a Ready
 * condition about the current generation (a stale True from before an update does not count).
 */
export function databaseReadiness(cluster: CnpgCluster | undefined): Observation<DatabaseSummary> {
  if (!cluster) return { done: false, reason: 'database cluster not created yet' };
  const s = summary(cluster);
  const ready = cluster.status?.conditions?.find((c) => c.type === 'Ready');
  const current = ready?.observedGeneration === cluster.metadata?.generation;
  if (s.readyInstances === s.instances && s.phase === CNPG_HEALTHY_PHASE && ready?.status === 'True' && current) return { done: true, value: s };
  return { done: false, reason: `database ${s.readyInstances}/${s.instances} instances ready (${s.phase})` };
}

export function databaseHibernation(cluster: CnpgCluster | undefined): Observation<DatabaseSummary> {
  if (!cluster) return { done: false, reason: 'database cluster not found' };
  const hibernated = cluster.status?.conditions?.some((c) => c.type === CNPG_HIBERNATION && c.status === 'True');
  return hibernated ? { done: true, value: summary(cluster) } : { done: false, reason: 'database hibernating' };
}

export type DeploymentSummary = { replicas: number; readyReplicas: number };

/** Rolled out: the controller saw this generation and every desired replica is updated, ready and available. */
export function deploymentReadiness(deployment: V1Deployment | undefined): Observation<DeploymentSummary> {
  if (!deployment) return { done: false, reason: 'deployment not created yet' };
  const name = deployment.metadata?.name ?? 'deployment';
  const replicas = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const readyReplicas = status.readyReplicas ?? 0;
  const observed = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1);
  const stalled = status.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  if (stalled) return { done: false, reason: `${name} stalled: ${stalled.message ?? 'progress deadline exceeded'}` };
  const rolledOut =
    observed &&
    (status.updatedReplicas ?? 0) === replicas &&
    readyReplicas === replicas &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas;
  if (rolledOut) return { done: true, value: { replicas, readyReplicas } };
  return { done: false, reason: `${name} ${readyReplicas}/${replicas} replicas ready` };
}

/** The part of a cert-manager `Certificate` that readiness depends on. */
export type Certificate = {
  metadata?: { name?: string; namespace?: string; generation?: number };
  spec?: { secretName?: string; dnsNames?: string[] };
  status?: {
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string; observedGeneration?: number }>;
    notAfter?: string;
    renewalTime?: string;
  };
};

/**
 * Issued the way cert-manager reports it: Ready=True, and, when the condition names the generation
 * it is about, the current one (after a spec change the old True says nothing about the new
 * dnsNames). cert-manager sets observedGeneration; a condition without it is taken at its word.
 */
export function certificateReadiness(certificate: Certificate | undefined): Observation<true> {
  if (!certificate) return { done: false, reason: 'certificate not created yet' };
  const name = certificate.metadata?.name ?? 'certificate';
  const ready = certificate.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready) return { done: false, reason: `${name} not issued yet` };
  if (ready.status !== 'True')
    return { done: false, reason: `${name} not ready: ${ready.reason ?? ready.status}${ready.message ? ` (${ready.message})` : ''}` };
  const generation = certificate.metadata?.generation;
  if (ready.observedGeneration !== undefined && generation !== undefined && ready.observedGeneration < generation)
    return { done: false, reason: `${name} not re-issued for generation ${generation} yet` };
  return { done: true, value: true };
}
