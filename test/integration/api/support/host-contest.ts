import type { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { MANAGED_BY, TENANT_ANNOTATIONS as A, TENANT_LABELS as L } from '../../../../src/domain/tenant-record.ts';
import { claimName, normaliseHost } from '../../../../src/kubernetes/domain-claims.ts';
import { statusOf } from '../../../support/kube.ts';

/** One HTTP request that wants `host`: a new tenant asking for it at intake, or an existing one moving onto it. */
export type HostContender = { kind: 'provision'; body: Record<string, unknown> } | { kind: 'update'; tenantId: string };

export type HostAnswer = { contender: string; status: number; tenantId: string | undefined; body: string };

/** What happened when several requests wanted one host at once, and who the cluster says holds it afterwards. */
export type HostContest = {
  host: string;
  answers: HostAnswer[];
  /** Tenants whose desired or applied custom domain is `host` (any spelling), from their namespaces. */
  holders: string[];
  /** The tenant the claim ConfigMap names, undefined without one. */
  claimOwner: string | undefined;
};

type Call = (path: string, init: { method?: string; body?: unknown }) => Promise<Response>;

/**
 * Sends every contender's request at the same moment (no awaits between them) through the real
 * API, then reads the verdict from the cluster: the tenants' namespaces and the claim ConfigMap.
 */
export async function contendForHost(
  deps: { call: Call; core: CoreV1Api; claimsNamespace: string },
  host: string,
  contenders: HostContender[],
): Promise<HostContest> {
  const answers = await Promise.all(
    contenders.map(async (c): Promise<HostAnswer> => {
      const res =
        c.kind === 'provision'
          ? await deps.call('/api/provisioning/provision', { body: { ...c.body, customDomain: host } })
          : await deps.call(`/api/provisioning/${c.tenantId}`, { method: 'PUT', body: { customDomain: host } });
      const body = await res.text();
      const tenantId = c.kind === 'update' ? c.tenantId : res.status === 202 ? (JSON.parse(body) as { tenantId: string }).tenantId : undefined;
      return {
        contender: c.kind === 'update' ? `update ${c.tenantId}` : `provision ${String(c.body['tenantId'] ?? c.body['companyName'])}`,
        status: res.status,
        tenantId,
        body,
      };
    }),
  );
  return { host, answers, holders: await holdersOf(deps.core, host), claimOwner: await claimOwnerOf(deps.core, deps.claimsNamespace, host) };
}

/**
 * Two tenants never share a host: at most one tenant holds it, every accepted (202) contender is
 * that tenant, every other contender was refused as a conflict about `customDomain`, and the claim,
 * where there is one, names the holder.
 */
export function expectHostUnshared(contest: HostContest, options: { claimRequired: boolean }): void {
  const report = JSON.stringify(contest, null, 1);
  expect(contest.holders.length, report).toBeLessThanOrEqual(1);
  for (const a of contest.answers.filter((x) => x.status === 202)) expect(contest.holders, report).toEqual([a.tenantId]);
  for (const a of contest.answers.filter((x) => x.status !== 202)) {
    expect([409, 422], report).toContain(a.status);
    expect(a.body, report).toMatch(/customDomain/);
  }
  if (options.claimRequired || contest.claimOwner !== undefined) expect(contest.claimOwner, report).toBe(contest.holders[0]);
}

/** Removes the host's claim, if any: for a test's cleanup, beside deleting its tenants' namespaces. */
export async function removeClaim(core: CoreV1Api, claimsNamespace: string, host: string): Promise<void> {
  await core.deleteNamespacedConfigMap({ namespace: claimsNamespace, name: claimName(host) }).catch(() => undefined);
}

async function holdersOf(core: CoreV1Api, host: string): Promise<string[]> {
  const wanted = normaliseHost(host);
  const holders: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await core.listNamespace({ labelSelector: `${L.managedBy}=${MANAGED_BY}`, limit: 500, ...(cursor ? { _continue: cursor } : {}) });
    for (const ns of page.items) {
      const annotations = ns.metadata?.annotations ?? {};
      const desired = JSON.parse(annotations[A.desiredState] ?? '{}') as { customDomain?: string | null };
      const domains = [annotations[A.customDomain], desired.customDomain].filter((d): d is string => typeof d === 'string');
      if (domains.some((d) => normaliseHost(d) === wanted)) holders.push(ns.metadata?.labels?.[L.tenantId] ?? ns.metadata!.name!);
    }
    cursor = page.metadata?._continue || undefined;
  } while (cursor);
  return holders;
}

async function claimOwnerOf(core: CoreV1Api, claimsNamespace: string, host: string): Promise<string | undefined> {
  const cm = await core.readNamespacedConfigMap({ namespace: claimsNamespace, name: claimName(host) }).catch((error: unknown) => {
    if (statusOf(error) === 404) return undefined;
    throw error;
  });
  return cm?.data?.['tenantId'];
}
