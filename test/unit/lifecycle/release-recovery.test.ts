import { describe, expect, it } from 'vitest';
import type { HelmClient, HelmRelease, HelmReleaseStatus } from '../../../src/helm/helm-client.ts';
import { classifyRelease, recoverRelease, rollBackToLastDeployed } from '../../../src/lifecycle/release-recovery.ts';

const signal = new AbortController().signal;

function fakeHelm(history: Array<[number, HelmReleaseStatus]>) {
  const calls: string[] = [];
  const signals = new Set<AbortSignal | undefined>();
  const release = (revision: number, status: HelmReleaseStatus): HelmRelease => ({ name: 'r', namespace: 'n', revision, status, description: '' });
  const helm: HelmClient = {
    status: async (_r, _n, s) => (signals.add(s), history.length ? release(...history.at(-1)!) : undefined),
    history: async (_r, _n, s) => (signals.add(s), history.map(([revision, status]) => release(revision, status))),
    rollback: async (_r, _n, revision, s) => void (signals.add(s), calls.push(`rollback ${revision}`)),
    uninstall: async (_r, _n, s) => void (signals.add(s), calls.push('uninstall')),
    upgradeInstall: async () => {
      throw new Error('not used');
    },
    template: async () => '',
    manifest: async () => undefined,
    version: async () => 'v4.3.1',
  };
  return { helm, calls, signals };
}

describe('recoverRelease', () => {
  it("spawns no Helm child when Helm's storage labels say the newest revision is deployed, and reads the history otherwise", async () => {
    const history = fakeHelm([
      [1, 'deployed'],
      [2, 'pending-upgrade'],
    ]);
    let helmCalls = 0;
    const counted: HelmClient = { ...history.helm, history: async (...args) => (helmCalls++, history.helm.history(...args)) };
    expect(await recoverRelease(counted, 'r', 'n', signal, async () => ({ status: 'deployed' }))).toBeUndefined();
    expect([helmCalls, history.calls]).toEqual([0, []]);
    // Pending in storage, or nothing stored there (no release yet, another storage driver): Helm decides.
    expect(await recoverRelease(counted, 'r', 'n', signal, async () => ({ status: 'pending-upgrade' }))).toContain('rolled back to revision 1');
    expect(await recoverRelease(counted, 'r', 'n', signal, async () => undefined)).toContain('rolled back to revision 1');
    expect([helmCalls, history.calls]).toEqual([2, ['rollback 1', 'rollback 1']]);
  });
  it('does nothing for no release or a deployed one', async () => {
    for (const history of [[], [[1, 'deployed']]] as Array<Array<[number, HelmReleaseStatus]>>) {
      const { helm, calls } = fakeHelm(history);
      expect(await recoverRelease(helm, 'r', 'n', signal)).toBeUndefined();
      expect(calls).toEqual([]);
    }
  });
  it('uninstalls a pending-install left by a dead worker', async () => {
    const { helm, calls } = fakeHelm([[1, 'pending-install']]);
    expect(await recoverRelease(helm, 'r', 'n', signal)).toContain('pending-install');
    expect(calls).toEqual(['uninstall']);
  });
  it('rolls a pending upgrade or rollback back to the last deployed revision', async () => {
    for (const status of ['pending-upgrade', 'pending-rollback'] as const) {
      const { helm, calls } = fakeHelm([
        [1, 'superseded'],
        [2, 'deployed'],
        [3, status],
      ]);
      await recoverRelease(helm, 'r', 'n', signal);
      expect(calls).toEqual(['rollback 2']);
    }
  });
  it('uninstalls a release that never deployed so the install starts clean, and keeps a failed upgrade of a deployed one', async () => {
    const never = fakeHelm([[1, 'failed']]);
    await recoverRelease(never.helm, 'r', 'n', signal);
    expect(never.calls).toEqual(['uninstall']);
    const upgraded = fakeHelm([
      [1, 'deployed'],
      [2, 'failed'],
    ]);
    expect(await recoverRelease(upgraded.helm, 'r', 'n', signal)).toBeUndefined();
    expect(upgraded.calls).toEqual([]);
  });

  it('classifies without acting: the decision is a pure function of status and history', () => {
    const r = (revision: number, status: HelmReleaseStatus): HelmRelease => ({ name: 'r', namespace: 'n', revision, status, description: '' });
    expect(classifyRelease(undefined, [])).toEqual({ kind: 'none' });
    expect(classifyRelease(r(3, 'pending-upgrade'), [r(1, 'superseded'), r(2, 'deployed'), r(3, 'pending-upgrade')])).toMatchObject({
      kind: 'rollback',
      revision: 2,
    });
    expect(classifyRelease(r(2, 'pending-upgrade'), [r(1, 'failed'), r(2, 'pending-upgrade')])).toMatchObject({ kind: 'uninstall' });
    expect(classifyRelease(r(3, 'failed'), [r(1, 'superseded'), r(2, 'superseded'), r(3, 'failed')])).toEqual({ kind: 'none' });
  });

  it('rolls a failed upgrade back to the last deployed revision and never uninstalls', async () => {
    const failed = fakeHelm([
      [1, 'superseded'],
      [2, 'deployed'],
      [3, 'failed'],
    ]);
    expect(await rollBackToLastDeployed(failed.helm, 'r', 'n', signal)).toContain('rolled back to revision 2');
    expect(failed.calls).toEqual(['rollback 2']);
    // Every Helm call of a rollback carries the caller's signal (and with it its deadline).
    expect(failed.signals).toEqual(new Set([signal]));
    for (const history of [[[1, 'deployed']], [[1, 'failed']], []] as Array<Array<[number, HelmReleaseStatus]>>) {
      const { helm, calls } = fakeHelm(history);
      expect(await rollBackToLastDeployed(helm, 'r', 'n', signal)).toBeUndefined();
      expect(calls).toEqual([]);
    }
  });
});
