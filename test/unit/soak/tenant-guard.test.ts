import { describe, expect, it } from 'vitest';
import type { TenantView } from '../../soak/invariants/cluster-view.ts';
import { TenantGuard } from '../../soak/invariants/tenant-guard.ts';
import { Ledger } from '../../soak/ledger.ts';

const view = (database: TenantView['database']): Map<string, TenantView> =>
  new Map([
    [
      'a',
      {
        tenantId: 'a',
        namespace: 'tp-a',
        namespaceUid: 'ns-1',
        record: undefined,
        revisions: [{ revision: 1, status: 'deployed' }],
        database,
        secrets: new Map([['a-db', 's-1']]),
      },
    ],
  ]);

describe('the no-loss guard', () => {
  it('follows a restore to the next database generation, and still calls a database made again under the same name a loss', () => {
    const ledger = new Ledger();
    ledger.accept({ at: 1, tenantId: 'a', operation: 'provision', jobId: 'j', intent: { kind: 'present', tier: 'professional', hibernated: false }, via: 0 });
    const guard = new TenantGuard(ledger);
    guard.observe(view({ name: 'a-postgres', uid: 'db-1', hibernated: false }));
    guard.observe(view({ name: 'a-postgres-g2', uid: 'db-2', hibernated: false }));
    guard.observe(view({ name: 'a-postgres-g2', uid: 'db-2', hibernated: false }));
    expect(ledger.violations).toEqual([]);
    guard.observe(view({ name: 'a-postgres-g2', uid: 'db-3', hibernated: false }));
    expect(ledger.violations.map((v) => v.detail)).toEqual(['a: database made again (uid changed) while it should have stayed']);
    guard.observe(view(undefined));
    expect(ledger.violations.at(-1)?.detail).toBe('a: database a-postgres-g2 gone');
  });
});
