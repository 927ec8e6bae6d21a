import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, restartApiserver, up, type SandboxState } from '../sandbox/cluster.ts';
import { kubeClients } from '../support/kube.ts';

// A sandbox of its own: restarting the shared API server would break the other test files.
describe('sandbox restart apiserver', () => {
  let dir: string;
  let state: SandboxState;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tp-sandbox-restart-'));
    state = await up({ dir, nodes: 1 });
  });

  afterAll(async () => {
    if (dir) await down(dir);
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps objects created before the restart and serves again on the same address', async () => {
    const kube = kubeClients(state.kubeconfig);
    await kube.core.createNamespace({ body: { metadata: { name: 'before-restart' } } });
    await kube.core.createNamespacedConfigMap({ namespace: 'before-restart', body: { metadata: { name: 'kept' }, data: { answer: '42' } } });

    const restarted = await restartApiserver(dir);
    expect(restarted.server).toBe(state.server);
    const oldPid = state.daemons.find((d) => d.name === 'kube-apiserver')!.pid;
    expect(restarted.daemons.find((d) => d.name === 'kube-apiserver')!.pid).not.toBe(oldPid);

    const after = kubeClients(state.kubeconfig);
    const configMap = await after.core.readNamespacedConfigMap({ name: 'kept', namespace: 'before-restart' });
    expect(configMap.data).toEqual({ answer: '42' });
  });
});
