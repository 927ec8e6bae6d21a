import { describe, expect, it } from 'vitest';
import { TENANT_PHASES } from '../../../src/lifecycle/phases.ts';
import { INTAKE_TRANSITIONS, intakeVerdict, mayAdvanceMarker } from '../../../src/lifecycle/transitions.ts';
import { tenantRecord } from '../worker/support/fake-intents.ts';

const at = '2026-01-01T00:00:00.000Z';

describe('the lifecycle transitions', () => {
  it('keep a completed marker completed: a re-run never makes a live tenant read as provisioning or failed', () => {
    expect(mayAdvanceMarker('completed', 'active')).toBe(false);
    expect(mayAdvanceMarker('completed', 'failed')).toBe(false);
    expect(mayAdvanceMarker('queued', 'active')).toBe(true);
    expect(mayAdvanceMarker('failed', 'active')).toBe(true);
  });

  it('have a verdict for every phase and operation; a tenant being removed accepts only its own removal again', () => {
    for (const phase of TENANT_PHASES)
      expect(Object.keys(INTAKE_TRANSITIONS[phase]).sort()).toEqual([
        'backup',
        'deprovision',
        'export',
        'hibernate',
        'labels',
        'pin',
        'provision',
        'purge',
        'restore',
        'resume',
        'rollback',
        'template',
        'undelete',
        'update',
      ]);
    const removing = tenantRecord({ operation: { type: 'deprovision', jobId: 'd', state: 'active', at } });
    expect(
      ['update', 'hibernate', 'resume', 'rollback', 'restore', 'provision', 'pin', 'labels', 'template', 'backup', 'export'].map((op) =>
        intakeVerdict(removing, op as never),
      ),
    ).toEqual(['refuse', 'refuse', 'refuse', 'refuse', 'refuse', 'refuse', 'refuse', 'refuse', 'refuse', 'refuse', 'refuse']);
    expect(intakeVerdict(tenantRecord(), 'template')).toBe('accept');
    expect(intakeVerdict(tenantRecord(), 'pin')).toBe('accept');
    expect(intakeVerdict(tenantRecord(), 'labels')).toBe('accept');
    expect(intakeVerdict(tenantRecord(), 'backup')).toBe('accept');
    expect(intakeVerdict(removing, 'deprovision')).toBe('replay');
    expect(intakeVerdict({ ...tenantRecord(), terminating: true }, 'update')).toBe('refuse');
    const failed = tenantRecord({ operation: { type: 'update', jobId: 'u', state: 'failed', at } });
    expect(intakeVerdict(failed, 'update')).toBe('accept');
    expect(intakeVerdict(failed, 'deprovision')).toBe('accept');
    expect(intakeVerdict(failed, 'undelete')).toBe('refuse');
  });

  it('keep a closed account closed: only undelete, purge, an export or another close, also after its close failed; force takes over a close', () => {
    const closed = { at, purgeAfter: '2026-02-01T00:00:00.000Z', hibernated: false };
    const desired = { ...tenantRecord().desired, hibernated: true, closed };
    const done = tenantRecord({ desired, operation: { type: 'deprovision', jobId: 'd', state: 'completed', at } });
    const failedClose = tenantRecord({ desired, operation: { type: 'deprovision', jobId: 'd', state: 'failed', at, step: 'final-backup' } });
    const closing = tenantRecord({ desired, operation: { type: 'deprovision', jobId: 'd', state: 'active', at } });
    const ops = [
      'update',
      'hibernate',
      'resume',
      'rollback',
      'restore',
      'pin',
      'labels',
      'template',
      'backup',
      'undelete',
      'export',
      'purge',
      'deprovision',
    ] as const;
    const verdicts = (t: typeof done) => ops.map((op) => intakeVerdict(t, op));
    const closedVerdicts = [...Array(9).fill('refuse'), 'accept', 'accept', 'accept', 'accept'];
    expect(verdicts(done)).toEqual(closedVerdicts);
    expect(verdicts(failedClose)).toEqual(closedVerdicts);
    // Being closed: nothing but the close itself and a forced purge.
    expect(verdicts(closing)).toEqual([...Array(11).fill('refuse'), 'accept', 'replay']);
  });
});
