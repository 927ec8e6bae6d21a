import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeClients } from '../../support/kube.ts';
import { contendForHost, expectHostUnshared, removeClaim } from './support/host-contest.ts';
import { startApi, type ApiServer } from './support/api-server.ts';

// "Two tenants never share a host", through HTTP against real Redis and the sandbox. The contest
// helper sends every request at once and reads the verdict from the cluster.
const kubeconfig = inject('kubeconfig');
const redisUrl = inject('redisUrl');
const admin = kubeClients(kubeconfig);
const run = randomBytes(3).toString('hex');
const tenants = new Set<string>();
const hosts = new Set<string>();
let api: ApiServer;

const provisionBody = (label: string) => ({
  companyName: `Host Contest ${label}`,
  ownerEmail: 'owner@example.com',
  ownerFirstName: 'Ada',
  ownerLastName: 'Lovelace',
  subscriptionTier: 'demo',
  tenantId: `hc-${label}-${run}`,
});

async function provision(label: string, extra: Record<string, unknown> = {}) {
  const body = provisionBody(label);
  tenants.add(body.tenantId);
  const res = await api.call('/api/provisioning/provision', { body: { ...body, ...extra } });
  expect(res.status, await res.clone().text()).toBe(202);
  return body.tenantId;
}

beforeAll(async () => {
  api = await startApi({ kubeconfig, redisUrl });
});

afterAll(async () => {
  for (const host of hosts) await removeClaim(admin.core, api.config.platform.claimsNamespace, host);
  await Promise.all([...tenants].map((t) => admin.core.deleteNamespace({ name: `${api.config.platform.namespacePrefix}${t}` }).catch(() => undefined)));
  await api?.close();
});

describe('two tenants never share a host (HTTP)', () => {
  it('refuses every tenant that moves onto a host another tenant holds, all at once', async () => {
    const host = `shop-${run}.contest.example`;
    hosts.add(host);
    const holder = await provision('holder', { customDomain: host });
    const movers = await Promise.all(['m1', 'm2', 'm3', 'm4', 'm5'].map((label) => provision(label)));
    const contest = await contendForHost(
      { call: api.call, core: admin.core, claimsNamespace: api.config.platform.claimsNamespace },
      host,
      movers.map((tenantId) => ({ kind: 'update' as const, tenantId })),
    );
    expect(contest.answers.map((a) => a.status)).toEqual(Array(movers.length).fill(422));
    expect(contest.holders).toEqual([holder]);
    expectHostUnshared(contest, { claimRequired: false });
  });

  it('gives a free host to exactly one of five provisions and three updates asking for it at once, and claims it for that one', async () => {
    const host = `free-${run}.contest.example`;
    hosts.add(host);
    const movers = await Promise.all(['u1', 'u2', 'u3'].map((label) => provision(label)));
    const bodies = ['p1', 'p2', 'p3', 'p4', 'p5'].map((label) => {
      const body = provisionBody(label);
      tenants.add(body.tenantId);
      return { ...body, customDomain: host };
    });
    const contest = await contendForHost({ call: api.call, core: admin.core, claimsNamespace: api.config.platform.claimsNamespace }, host, [
      ...bodies.map((body) => ({ kind: 'provision' as const, body })),
      ...movers.map((tenantId) => ({ kind: 'update' as const, tenantId })),
    ]);
    expect(contest.answers.filter((a) => a.status === 202)).toHaveLength(1);
    expectHostUnshared(contest, { claimRequired: true });
  });
});
