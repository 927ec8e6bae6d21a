import type { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createBackupPreflight, type StoreChecker } from '../../../src/backup/backup-preflight.ts';
import type { StoreCheck } from '../../../src/backup/tenant-store-check.ts';
import { backupPreflightStep, type PreflightNeed } from '../../../src/lifecycle/plans/backup-preflight.step.ts';
import { PermanentError } from '../../../src/worker/failure.ts';
import { testConfig } from '../api/support/config.ts';

const backup = testConfig().platform.backup;
const alpha = { tenantId: 'alpha', namespace: 'tp-alpha' };
const passed: StoreCheck = { ok: true, where: 's3://b/tenants/alpha' };
const refused: StoreCheck = {
  ok: false,
  failure: { kind: 'credentials', message: 'backup store s3://b/tenants/alpha: the object store refused the access key' },
};
const down: StoreCheck = { ok: false, failure: { kind: 'unreachable', message: 'backup store s3://b/tenants/alpha: the object store did not answer' } };

/** A checker answering from a script, counting its probes. */
function scripted(...answers: StoreCheck[]) {
  const calls: string[] = [];
  const check: StoreChecker = async (tenant) => {
    calls.push(tenant.tenantId);
    return answers.shift() ?? passed;
  };
  return { calls, check };
}
const noCore = {} as CoreV1Api;

describe('the backup preflight', () => {
  it('probes once per tenant and store configuration in a process, unless asked always', async () => {
    const store = scripted();
    const preflight = createBackupPreflight(noCore, backup, store.check);
    expect(await preflight.check(alpha, { always: false })).toEqual(passed);
    expect(await preflight.check(alpha, { always: false })).toEqual({ ok: 'remembered' });
    expect(await preflight.check(alpha, { always: true })).toEqual(passed);
    expect(await preflight.check({ tenantId: 'bravo', namespace: 'tp-bravo' }, { always: false })).toEqual(passed);
    expect(store.calls).toEqual(['alpha', 'alpha', 'bravo']);
    // Another process (a restart with a changed store) starts with nothing remembered.
    const changed = createBackupPreflight(noCore, { ...backup, endpointUrl: 'https://s3.example' }, store.check);
    await changed.check(alpha, { always: false });
    expect(store.calls).toHaveLength(4);
  });

  it('forgets a tenant whose check failed, so the next operation probes again', async () => {
    const store = scripted(passed, refused, passed);
    const preflight = createBackupPreflight(noCore, backup, store.check);
    await preflight.check(alpha, { always: false });
    expect(await preflight.check(alpha, { always: true })).toEqual(refused);
    expect(await preflight.check(alpha, { always: false })).toEqual(passed);
    expect(store.calls).toHaveLength(3);
  });
});

describe('the check-backup-store step', () => {
  const run = async (answer: StoreCheck, need: PreflightNeed) => {
    const notes: Array<[string, string | undefined]> = [];
    const preflight = createBackupPreflight(noCore, backup, scripted(answer).check);
    const step = backupPreflightStep(preflight, alpha, () => need, 60);
    const context = { signal: new AbortController().signal, note: async (m: string, l?: string) => void notes.push([m, l]) };
    return { outcome: step.run(context as Parameters<typeof step.run>[0]), notes };
  };

  it('passes a working store and skips a tier without backups without probing', async () => {
    await expect((await run(passed, { kind: 'gate', always: true })).outcome).resolves.toContain('marker written, read back and deleted');
    const store = scripted();
    const step = backupPreflightStep(createBackupPreflight(noCore, backup, store.check), alpha, () => ({ kind: 'none', why: 'tier free has no backups' }), 60);
    await expect(step.run({ signal: new AbortController().signal, note: async () => undefined })).resolves.toBe('skipped: tier free has no backups');
    expect(store.calls).toEqual([]);
  });

  it('fails a gated operation for good on a refused key, and retryably on a store that does not answer', async () => {
    const permanent = await (await run(refused, { kind: 'gate', always: true })).outcome.catch((e: unknown) => e);
    expect(permanent).toBeInstanceOf(PermanentError);
    expect((permanent as Error).message).toContain('refused the access key');
    const transient = await (await run(down, { kind: 'gate', always: true })).outcome.catch((e: unknown) => e);
    expect(transient).toBeInstanceOf(Error);
    expect(transient).not.toBeInstanceOf(PermanentError);
    expect((transient as Error).message).toContain('did not answer');
  });

  it('only warns when the operation must not wait on the store (a resume)', async () => {
    const { outcome, notes } = await run(refused, { kind: 'warn', always: false });
    await expect(outcome).resolves.toBe('backup store check failed (credentials); going on');
    expect(notes).toEqual([[expect.stringContaining('backups of alpha will fail until it is fixed'), 'warn']]);
  });
});
