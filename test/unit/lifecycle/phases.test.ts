import { describe, expect, it } from 'vitest';
import type { OperationMarker, TenantRecord } from '../../../src/domain/tenant-record.ts';
import { deriveTenantPhase, nominalTenantPhase, type TenantPhase } from '../../../src/lifecycle/phases.ts';

type Input = Pick<TenantRecord, 'terminating' | 'operation' | 'desired'>;
const op = (type: OperationMarker['type'], state: OperationMarker['state']): OperationMarker => ({ type, state, jobId: 'j', at: '2026-01-01T00:00:00Z' });
const tenant = (operation: OperationMarker | null, change: { terminating?: boolean; hibernated?: boolean } = {}): Input => ({
  terminating: change.terminating ?? false,
  operation,
  desired: { tier: 'free', customDomain: null, resourceOverrides: {}, hibernated: change.hibernated ?? false },
});

describe('deriveTenantPhase', () => {
  const cases: Array<[string, Input, boolean, TenantPhase]> = [
    ['a terminating namespace, whatever else', tenant(op('provision', 'completed'), { terminating: true }), true, 'deprovisioning'],
    ['a terminating namespace whose deprovision failed', tenant(op('deprovision', 'failed'), { terminating: true }), false, 'deprovisioning'],
    ['a queued deprovision', tenant(op('deprovision', 'queued')), true, 'deprovisioning'],
    ['an active deprovision', tenant(op('deprovision', 'active')), true, 'deprovisioning'],
    ['a failed deprovision', tenant(op('deprovision', 'failed')), true, 'failed'],
    ['a failed provision', tenant(op('provision', 'failed')), false, 'failed'],
    ['a failed update', tenant(op('update', 'failed')), true, 'failed'],
    ['a queued provision', tenant(op('provision', 'queued')), false, 'provisioning'],
    ['an active provision with everything ready', tenant(op('provision', 'active')), true, 'provisioning'],
    ['hibernated', tenant(op('hibernate', 'completed'), { hibernated: true }), false, 'hibernated'],
    ['hibernated with a provision still running', tenant(op('provision', 'active'), { hibernated: true }), false, 'provisioning'],
    ['completed and ready', tenant(op('provision', 'completed')), true, 'ready'],
    ['completed, a component down', tenant(op('provision', 'completed')), false, 'degraded'],
    ['an update running on a ready tenant', tenant(op('update', 'active')), true, 'ready'],
    ['no operation recorded, ready', tenant(null), true, 'ready'],
    ['no operation recorded, not ready', tenant(null), false, 'degraded'],
  ];
  it.each(cases)('%s', (_, input, ready, expected) => {
    expect(deriveTenantPhase(input, ready)).toBe(expected);
  });

  it('lists a completed tenant as ready without reading its workloads', () => {
    expect(nominalTenantPhase(tenant(op('provision', 'completed')))).toBe('ready');
    expect(nominalTenantPhase(tenant(op('provision', 'queued')))).toBe('provisioning');
  });
});
