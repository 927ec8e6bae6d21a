import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createKubernetes } from '../../../src/kubernetes/kube-client.ts';

const kubeconfig = inject('kubeconfig');
// Published by undici (client-node's HTTP client) each time it opens a connection to a server.
const CONNECTED = 'undici:client:connected';

// Observed like the service's clients (the composition root passes an observer), plain like the tests'.
const observed: string[] = [];
const clients = {
  plain: createKubernetes({ source: 'kubeconfig', kubeconfig }),
  observed: createKubernetes({ source: 'kubeconfig', kubeconfig }, { observe: (r) => observed.push(r.verb) }),
};
afterAll(() => Promise.all(Object.values(clients).map((k) => k.close())));

/** How many connections `work` opened. */
async function connectionsOpenedBy(work: () => Promise<unknown>): Promise<number> {
  let opened = 0;
  const count = () => void (opened += 1);
  subscribe(CONNECTED, count);
  try {
    await work();
  } finally {
    unsubscribe(CONNECTED, count);
  }
  return opened;
}

describe('the Kubernetes API clients keep their connections', () => {
  for (const [name, kube] of Object.entries(clients)) {
    it(`${name}: twenty requests one after another, over three API groups, open one TLS connection, not twenty`, async () => {
      const opened = await connectionsOpenedBy(async () => {
        for (let i = 0; i < 20; i += 1) {
          if (i % 3 === 0) await kube.core.readNamespace({ name: 'default' });
          else if (i % 3 === 1) await kube.apps.listNamespacedDeployment({ namespace: 'default', limit: 1 });
          else await kube.version.getCode();
        }
      });
      expect(opened).toBe(1);
      // Closed, the pool opens nothing more: a released process leaves no socket behind.
      await kube.close();
      await expect(kube.core.readNamespace({ name: 'default' })).rejects.toThrow();
    });
  }

  it('the observed clients still see every request', () => {
    expect(observed.length).toBeGreaterThanOrEqual(20);
  });
});
