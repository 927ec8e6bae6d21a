import { describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/domain/tenant-record.ts';
import type { TenantView } from '../../soak/invariants/cluster-view.ts';
import { checkConvergence } from '../../soak/invariants/convergence.ts';
import { Ledger, type Accepted } from '../../soak/ledger.ts';

const view = (tenantId: string, o: { tier?: TenantRecord['tier']; hibernated?: boolean; release?: string; expiresAt?: string | null } = {}): TenantView => ({
  tenantId,
  namespace: `sk-${tenantId}`,
  namespaceUid: `uid-${tenantId}`,
  record: {
    tenantId,
    namespace: `sk-${tenantId}`,
    tier: o.tier ?? 'free',
    companyName: 'Soak',
    ownerEmail: 'o@soak.example',
    ownerName: 'O',
    customDomain: null,
    stripeCustomerId: null,
    stripeSubscriptionId: null,
    expiresAt: o.expiresAt ?? null,
    createdAt: new Date().toISOString(),
    desired: { tier: o.tier ?? 'free', customDomain: null, resourceOverrides: {}, hibernated: o.hibernated ?? false },
    operation: null,
    terminating: false,
  },
  revisions: [{ revision: 1, status: o.release ?? 'deployed' }],
  database: { name: 'a-postgres', uid: 'db', hibernated: o.hibernated ?? false },
  secrets: new Map(),
});

const accepted = (tenantId: string, operation: Accepted['operation'], intent: Accepted['intent'], extra: Partial<Accepted> = {}): Accepted => ({
  at: Date.now(),
  tenantId,
  operation,
  jobId: `job-${tenantId}-${operation}`,
  intent,
  via: 0,
  ...extra,
});
const noFailure = async () => undefined;

describe('the soak convergence check', () => {
  it('passes a tenant at its latest intent and one removed as asked', async () => {
    const ledger = new Ledger();
    ledger.accept(accepted('a', 'provision', { kind: 'present', tier: 'free', hibernated: false }));
    ledger.accept(accepted('a', 'hibernate', { kind: 'present', tier: 'free', hibernated: true }));
    ledger.accept(accepted('b', 'provision', { kind: 'present', tier: 'free', hibernated: false }));
    ledger.accept(accepted('b', 'deprovision', { kind: 'removed' }));
    const finding = await checkConvergence(ledger, new Map([['a', view('a', { hibernated: true })]]), noFailure);
    expect(ledger.violations).toEqual([]);
    expect(finding).toMatchObject({ tenants: 2, converged: 2 });
  });

  it('reports a tenant short of its latest intent, a lost one, and a release left pending', async () => {
    const ledger = new Ledger();
    ledger.accept(accepted('a', 'update', { kind: 'present', tier: 'professional', hibernated: false }));
    ledger.accept(accepted('b', 'provision', { kind: 'present', tier: 'free', hibernated: false }));
    ledger.accept(accepted('c', 'provision', { kind: 'present', tier: 'free', hibernated: false }));
    await checkConvergence(
      ledger,
      new Map([
        ['a', view('a')],
        ['c', view('c', { release: 'pending-upgrade' })],
      ]),
      noFailure,
    );
    expect(ledger.violations.map((v) => v.detail.split(':')[0])).toEqual(['a', 'b', 'c']);
  });

  it('holds a tenant to the app version a release or rollback promised, and checks none before one', async () => {
    const ledger = new Ledger();
    const running = (app: string) => ({
      chart: { name: 'c', version: '0.2.0' },
      app,
      images: {},
      valuesHash: 'sha256:0',
      revision: 2,
      at: new Date().toISOString(),
    });
    ledger.accept(accepted('rel', 'release', { kind: 'present', tier: 'free', hibernated: false, app: 'v2' }));
    ledger.accept(accepted('back', 'rollback', { kind: 'present', tier: 'free', hibernated: false, app: 'v1' }));
    ledger.accept(accepted('plain', 'provision', { kind: 'present', tier: 'free', hibernated: false }));
    const at = (id: string, app: string) => {
      const v = view(id);
      return [id, { ...v, record: { ...v.record!, running: running(app) } }] as const;
    };
    await checkConvergence(ledger, new Map([at('rel', 'v1'), at('back', 'v1'), at('plain', 'v9')]), noFailure);
    expect(ledger.violations.map((v) => v.detail)).toEqual([expect.stringMatching(/^rel: running app v1, promised v2/)]);
  });

  it('takes a failed provision that says why, an ambiguous intent as it or the one before, and an expired trial as removed', async () => {
    const ledger = new Ledger();
    ledger.accept(accepted('failed', 'provision', { kind: 'present', tier: 'free', hibernated: false }));
    ledger.accept(accepted('amb', 'provision', { kind: 'present', tier: 'free', hibernated: false }));
    ledger.accept(accepted('amb', 'hibernate', { kind: 'present', tier: 'free', hibernated: true }, { ambiguous: true, jobId: null }));
    ledger.accept(accepted('trial', 'provision', { kind: 'present', tier: 'demo', hibernated: false }));
    ledger.expired.set('trial', Date.now());
    const failure = async (jobId: string) => (jobId === 'job-failed-provision' ? 'deploy-database: timed out' : undefined);
    const finding = await checkConvergence(ledger, new Map([['amb', view('amb')]]), failure);
    expect(ledger.violations).toEqual([]);
    expect(finding).toMatchObject({ tenants: 3, converged: 2, failedWithReason: 1, expired: 1 });
  });

  it('accepts the hibernation the expiry sweep made under a later tier change, but not under a later resume', async () => {
    const ledger = new Ledger();
    const at = Date.now();
    ledger.accept(accepted('up', 'provision', { kind: 'present', tier: 'demo', hibernated: false }, { at: at - 3 }));
    ledger.expired.set('up', at - 2);
    ledger.accept(accepted('up', 'update', { kind: 'present', tier: 'enterprise', hibernated: false }, { at: at - 1 }));
    ledger.accept(accepted('woke', 'provision', { kind: 'present', tier: 'demo', hibernated: false }, { at: at - 4 }));
    ledger.expired.set('woke', at - 3);
    ledger.accept(accepted('woke', 'update', { kind: 'present', tier: 'enterprise', hibernated: false }, { at: at - 2 }));
    ledger.accept(accepted('woke', 'resume', { kind: 'present', tier: 'enterprise', hibernated: false }, { at: at - 1 }));
    const views = new Map([
      ['up', view('up', { tier: 'enterprise', hibernated: true })],
      ['woke', view('woke', { tier: 'enterprise', hibernated: true })],
    ]);
    await checkConvergence(ledger, views, noFailure);
    expect(ledger.violations.map((v) => v.detail.split(':')[0])).toEqual(['woke']);
  });
});
