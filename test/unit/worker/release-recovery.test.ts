import { describe, expect, it } from 'vitest';
import type { HelmClient, HelmRelease, HelmReleaseStatus } from '../../../src/helm/helm-client.ts';
import { recoverRelease } from '../../../src/worker/release-recovery.ts';

function fakeHelm(history: Array<[number, HelmReleaseStatus]>) {
  const calls: string[] = [];
  const release = (revision: number, status: HelmReleaseStatus): HelmRelease => ({ name: 'r', namespace: 'n', revision, status, description: '' });
  const helm: HelmClient = {
    status: async () => (history.length ? release(...history.at(-1)!) : undefined),
    history: async () => history.map(([revision, status]) => release(revision, status)),
    rollback: async (_r, _n, revision) => void calls.push(`rollback ${revision}`),
    uninstall: async () => void calls.push('uninstall'),
    upgradeInstall: async () => { throw new Error('not used'); },
    template: async () => '',
    version: async () => 'v4.3.1',
  };
  return { helm, calls };
}

describe('recoverRelease', () => {
  it('does nothing for no release or a deployed one', async () => {
    for (const history of [[], [[1, 'deployed']]] as Array<Array<[number, HelmReleaseStatus]>>) {
      const { helm, calls } = fakeHelm(history);
      expect(await recoverRelease(helm, 'r', 'n')).toBeUndefined();
      expect(calls).toEqual([]);
    }
  });
  it('uninstalls a pending-install left by a dead worker', async () => {
    const { helm, calls } = fakeHelm([[1, 'pending-install']]);
    expect(await recoverRelease(helm, 'r', 'n')).toContain('pending-install');
    expect(calls).toEqual(['uninstall']);
  });
  it('rolls a pending upgrade or rollback back to the last deployed revision', async () => {
    for (const status of ['pending-upgrade', 'pending-rollback'] as const) {
      const { helm, calls } = fakeHelm([[1, 'superseded'], [2, 'deployed'], [3, status]]);
      await recoverRelease(helm, 'r', 'n');
      expect(calls).toEqual(['rollback 2']);
    }
  });
  it('uninstalls a release that never deployed so the install starts clean, and keeps a failed upgrade of a deployed one', async () => {
    const never = fakeHelm([[1, 'failed']]);
    await recoverRelease(never.helm, 'r', 'n');
    expect(never.calls).toEqual(['uninstall']);
    const upgraded = fakeHelm([[1, 'deployed'], [2, 'failed']]);
    expect(await recoverRelease(upgraded.helm, 'r', 'n')).toBeUndefined();
    expect(upgraded.calls).toEqual([]);
  });
});
