import { byteCount, cpuMillis, formatBytes, formatCpu } from './quantity.ts';
import type { ComputeResources } from './tiers.ts';

/**
 * How large a tenant's namespace may grow (its ResourceQuota and LimitRange), derived from what its
 * stack runs at its busiest, and the container resources in the form the chart renders them.
 */

export type ContainerResources = {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
};

export type ChartQuota = {
  requests: { cpu: string; memory: string; storage: string };
  limits: { cpu: string; memory: string };
  pods: number;
  persistentVolumeClaims: number;
};

export type ChartLimitRange = {
  max: { cpu: string; memory: string };
  default: { cpu: string; memory: string };
  defaultRequest: { cpu: string; memory: string };
  maxStorage: string;
};

export function containerResources(r: ComputeResources): ContainerResources {
  return {
    requests: { cpu: r.cpuRequest, memory: r.memoryRequest },
    limits: { cpu: r.cpuLimit, memory: r.memoryLimit },
  };
}

/** `count` pods of one kind, each running `containers`. */
export type Workload = { count: number; containers: ComputeResources[] };

/**
 * Quota = what the stack needs at its busiest moment, not a guess: every Deployment mid-rollout
 * (one surge pod each, maxUnavailable 0) and CloudNativePG running one bootstrap/join Job pod
 * beside its instances. Init containers are no larger than their pod's app container, so they
 * add nothing. A replacement instance may need one extra volume.
 */
export function deriveQuota(workloads: Workload[], volumes: number, storageSize: string): ChartQuota {
  const sum = (pick: (r: ComputeResources) => number) => workloads.reduce((t, w) => t + (w.count + 1) * w.containers.reduce((c, r) => c + pick(r), 0), 0);
  return {
    requests: {
      cpu: formatCpu(sum((r) => cpuMillis(r.cpuRequest))),
      memory: formatBytes(sum((r) => byteCount(r.memoryRequest))),
      storage: formatBytes((volumes + 1) * byteCount(storageSize)),
    },
    limits: {
      cpu: formatCpu(sum((r) => cpuMillis(r.cpuLimit))),
      memory: formatBytes(sum((r) => byteCount(r.memoryLimit))),
    },
    pods: workloads.reduce((t, w) => t + w.count + 1, 0),
    persistentVolumeClaims: volumes + 1,
  };
}

/**
 * Per-container bounds: the largest component is the ceiling, the smallest the default. Sidecars
 * the chart sizes itself (the backup plugin's) raise the ceiling if they must, never the default.
 */
export function deriveLimitRange(resources: ComputeResources[], sidecars: ComputeResources[], storageSize: string): ChartLimitRange {
  const extreme = (pick: (r: ComputeResources) => string, parse: (q: string) => number, max: boolean, list = resources) =>
    list.map(pick).reduce((a, b) => (parse(b) > parse(a) === max ? b : a));
  const all = [...resources, ...sidecars];
  return {
    max: { cpu: extreme((r) => r.cpuLimit, cpuMillis, true, all), memory: extreme((r) => r.memoryLimit, byteCount, true, all) },
    default: { cpu: extreme((r) => r.cpuLimit, cpuMillis, false), memory: extreme((r) => r.memoryLimit, byteCount, false) },
    defaultRequest: {
      cpu: extreme((r) => r.cpuRequest, cpuMillis, false),
      memory: extreme((r) => r.memoryRequest, byteCount, false),
    },
    maxStorage: storageSize,
  };
}
