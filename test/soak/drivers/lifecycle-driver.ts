import type { TierName } from '../../../src/domain/tiers.ts';
import type { Accepted, Intent } from '../ledger.ts';
import { CLOSING_TIER, SOAK_TIMINGS } from '../soak-timings.ts';
import type { Random } from '../seeded-random.ts';
import type { DriverContext } from './driver-context.ts';
import { awaitGone, awaitJob } from './lifecycle-waits.ts';
import { pause, send, transient, withRetries, type Outcome } from './soak-client.ts';

const SLOTS = 30;
// A slot thinks this long between requests: 30 slots then send about 1.5 requests a second in all,
// which 3 workers on 2 cores can turn into Helm operations without an ever-growing queue.
const THINK_MS: [number, number] = [8_000, 30_000];
const PROVISION_TIERS: readonly TierName[] = ['free', 'free', 'demo', 'demo', 'professional', 'enterprise'];
// Downgrades (a smaller volume) and moves into the trial tier are refused with 422: normal refusals.
const UPDATE_TIERS: readonly TierName[] = ['free', 'professional', 'professional', 'enterprise', 'demo'];
// `release`: an update to a new app version, a blue-green switch on a running tenant; `rollback`
// switches back inside the window (409 without one: a normal refusal).
// `backup`: an on-demand backup, beside the tenant's operations (409 for a tier without backups or a hibernated database);
// `restore`: the newest completed backup restored into a new database generation (skipped without one).
// A provision is now and then a clone (cloneFrom) of a tenant that took a backup, whatever became of it since.
// `export`: a pg_dump of the tenant into the store (409 for a tier without a store or a hibernated tenant).
// `deprovision` of an enterprise tenant closes it for SOAK_TIMINGS.closedWindowSeconds: the slot keeps
// it and picks from CLOSED_OPERATIONS until it is purged (by `purge`, deprovision with force, or the sweep).
const OPERATIONS = [
  'update',
  'update',
  'update',
  'release',
  'release',
  'rollback',
  'hibernate',
  'hibernate',
  'resume',
  'resume',
  'backup',
  'backup',
  'restore',
  'export',
  'deprovision',
  'deprovision',
] as const;
const CLOSED_OPERATIONS = ['undelete', 'undelete', 'purge', 'export', 'wait'] as const;

type Operation = Accepted['operation'];
type Desired = { tier: TierName; hibernated: boolean; app?: string | undefined };
/** `window`: the app version a rollback goes back to, while a release's switch window is open as far as this client knows. */
/** `closed`: the slot's tenant is a closed account; `before`, what an undelete brings back. */
type Slot = {
  index: number;
  rng: Random;
  generation: number;
  tenantId: string | null;
  desired: Desired;
  window?: { app: string | undefined } | undefined;
  closed?: { before: Desired } | undefined;
};

/**
 * About 30 tenant slots, each one tenant at a time through provision, tier changes, hibernate,
 * resume and removal (then a new tenant), on random live APIs with client retries. One request per
 * tenant is in flight at a time, so the order of the ledger's accepted intents is the service's.
 */
export async function driveLifecycle(ctx: DriverContext): Promise<void> {
  await Promise.all(Array.from({ length: SLOTS }, (_, index) => runSlot(ctx, index)));
}

async function runSlot(ctx: DriverContext, index: number): Promise<void> {
  const rng = ctx.rng.fork(`slot-${index}`);
  const slot: Slot = { index, rng, generation: 0, tenantId: null, desired: { tier: 'free', hibernated: false } };
  await pause(ctx, rng.int(0, THINK_MS[1]));
  while (!ctx.until.aborted) {
    if (slot.tenantId === null) await provision(ctx, slot);
    else if (slot.closed) await whileClosed(ctx, slot, rng.pick(CLOSED_OPERATIONS));
    else await change(ctx, slot, rng.pick(OPERATIONS));
    await pause(ctx, rng.int(...THINK_MS));
  }
}

/**
 * One request with retries; a 202 is recorded with the intent it promises. When an attempt may have
 * been taken but no answer says so (every retry unanswered, or refused after a lost answer), the
 * intent is recorded as ambiguous and the slot retires the tenant with a removal, the one request
 * that makes its latest intent certain again.
 */
async function request(ctx: DriverContext, slot: Slot, operation: Operation, path: string, intent: Intent, init: { body?: unknown; key?: string }) {
  const tenantId = slot.tenantId!;
  const headers: Record<string, string> = init.body === undefined ? {} : { 'content-type': 'application/json' };
  if (init.key) headers['idempotency-key'] = init.key;
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  const method = operation === 'update' || operation === 'release' ? 'PUT' : 'POST';
  // A provision retried while its first attempt is still being handled is told 409 with Retry-After.
  const retry = (o: Outcome) => transient(o) || (operation === 'provision' && o.status === 409 && o.headers.has('retry-after'));
  const { final, lostAnswer } = await withRetries(ctx, slot.rng, () => send(ctx, slot.rng, path, { method, ...(body ? { body } : {}), headers }), retry);
  if (final.status === 202) {
    const jobId = (final.body as { jobId: string }).jobId;
    ctx.ledger.accept({ at: Date.now(), tenantId, operation, jobId, intent, via: final.via });
    return { accepted: true, jobId, status: final.status } as const;
  }
  if (lostAnswer) ctx.ledger.accept({ at: Date.now(), tenantId, operation, jobId: null, intent, via: -1, ambiguous: true });
  return { accepted: false, ambiguous: lostAnswer, status: final.status } as const;
}

async function provision(ctx: DriverContext, slot: Slot): Promise<void> {
  const { rng, index } = slot;
  slot.generation += 1;
  const tier = rng.pick(PROVISION_TIERS);
  const tenantId = `lc${String(index).padStart(2, '0')}-${slot.generation}-${rng.int(0, 0xffffff).toString(16).padStart(6, '0')}`;
  slot.tenantId = tenantId;
  slot.closed = undefined;
  slot.desired = { tier, hibernated: false };
  slot.window = undefined;
  const backedUp = ctx.ledger.backups.accepted;
  const source = backedUp.length > 0 && rng.chance(0.3) ? rng.pick(backedUp).tenantId : undefined;
  const body = {
    companyName: `Soak Lifecycle ${index}`,
    ownerEmail: `owner${index}@soak.example`,
    ownerFirstName: 'Soak',
    ownerLastName: `Owner ${index}`,
    subscriptionTier: tier,
    tenantId,
    ...(source ? { cloneFrom: { tenantId: source } } : {}),
  };
  const intent: Intent = { kind: 'present', tier, hibernated: false };
  const done = await request(ctx, slot, 'provision', '/api/provisioning/provision', intent, { body, key: `soak-${tenantId}` });
  if (source && done.accepted) ctx.ledger.clones.accepted += 1;
  if (source && done.status === 422) ctx.ledger.clones.refused += 1;
  if (done.accepted) return followUp(ctx, slot, done.jobId);
  if (done.ambiguous) return retire(ctx, slot);
  slot.tenantId = null;
}

async function change(ctx: DriverContext, slot: Slot, operation: (typeof OPERATIONS)[number]): Promise<void> {
  const base = `/api/provisioning/${slot.tenantId}`;
  if (operation === 'deprovision') return retire(ctx, slot);
  if (operation === 'backup') return backup(ctx, slot);
  if (operation === 'restore') return restore(ctx, slot);
  if (operation === 'export') return exportData(ctx, slot);
  const next = { ...slot.desired };
  let window = slot.window;
  let body: unknown;
  if (operation === 'update') body = { subscriptionTier: (next.tier = slot.rng.pick(UPDATE_TIERS)) };
  else if (operation === 'release') {
    body = { appVersion: (next.app = `soak-${slot.rng.int(1, 6)}`) };
    // Hibernated, the release changes images in place: no window to roll back in.
    window = next.hibernated || next.app === slot.desired.app ? window : { app: slot.desired.app };
  } else if (operation === 'rollback') {
    // A demo tenant's trial may expire and be hibernated by the sweep unseen: then what the window holds is not this client's to know.
    next.app = slot.desired.tier === 'demo' ? undefined : window?.app;
    window = { app: slot.desired.app };
  } else next.hibernated = operation === 'hibernate';
  const path =
    operation === 'update' || operation === 'release' ? base : operation === 'rollback' ? `/api/tenants/${slot.tenantId}/rollback` : `${base}/${operation}`;
  const done = await request(ctx, slot, operation, path, { kind: 'present', ...next }, body === undefined ? {} : { body });
  if (done.accepted) {
    slot.desired = next;
    slot.window = window;
    if (operation !== 'release' && operation !== 'rollback') return followUp(ctx, slot, done.jobId);
    // A switch is followed to its end, so the next request never overlaps it; one that failed was
    // given up by the service (the serving slot kept), which leaves this client unsure of the version.
    if ((await awaitJob(ctx, slot.rng, done.jobId, 180_000)) !== 'completed') {
      slot.desired = { ...next, app: undefined };
      slot.window = undefined;
    }
    return;
  }
  // No window (never released, hibernated, a switch still under way): the rollback is refused, nothing changes.
  if (operation === 'rollback' && done.status === 409) return;
  if (done.ambiguous) return retire(ctx, slot);
  // 404: the tenant is gone (a failed provision was compensated); 409: someone else is removing it.
  if (done.status === 404) slot.tenantId = null;
  else if (done.status === 409) {
    await awaitGone(ctx, slot.rng, slot.tenantId!);
    slot.tenantId = null;
  }
}

/**
 * An on-demand backup, followed to its end: it records no intent (the ledger keeps backups apart),
 * so only a 202 is recorded, and an answer lost on every attempt leaves nothing to check.
 */
async function backup(ctx: DriverContext, slot: Slot): Promise<void> {
  const tenantId = slot.tenantId!;
  const { final } = await withRetries(ctx, slot.rng, () => send(ctx, slot.rng, `/api/tenants/${tenantId}/backups`, { method: 'POST' }), transient);
  if (final.status === 202) {
    const jobId = (final.body as { jobId: string }).jobId;
    ctx.ledger.backups.accepted.push({ tenantId, jobId });
    await awaitJob(ctx, slot.rng, jobId, 180_000);
  } else if (final.status === 409) ctx.ledger.backups.refused += 1;
  else if (final.status === 404) slot.tenantId = null;
}

/**
 * A restore of the tenant's newest completed backup, followed to its end. Like a backup it is kept
 * apart from the intents: the tier and state the ledger follows stay what they were.
 */
async function restore(ctx: DriverContext, slot: Slot): Promise<void> {
  const tenantId = slot.tenantId!;
  const listed = await send(ctx, slot.rng, `/api/tenants/${tenantId}/backups`);
  if (listed.status === 404) slot.tenantId = null;
  const backups = listed.status === 200 ? (listed.body as { backups: Array<{ phase: string; backupId: string | null }> }).backups : [];
  const backupId = backups.find((b) => b.phase === 'completed' && b.backupId)?.backupId;
  if (!backupId) return;
  const body = JSON.stringify({ backupId });
  const post = () => send(ctx, slot.rng, `/api/tenants/${tenantId}/restore`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const { final } = await withRetries(ctx, slot.rng, post, transient);
  if (final.status === 202) {
    const jobId = (final.body as { jobId: string }).jobId;
    ctx.ledger.restores.accepted.push({ tenantId, jobId });
    await awaitJob(ctx, slot.rng, jobId, 180_000);
  } else if (final.status === 409 || final.status === 422) ctx.ledger.restores.refused += 1;
  else if (final.status === 404) slot.tenantId = null;
}

/**
 * Removes the slot's tenant and waits for the removal, then the slot starts a new tenant; an
 * enterprise tenant is closed instead (its window starts once the close is done, so the earliest it
 * can end is a window from now), and the slot keeps it.
 */
async function retire(ctx: DriverContext, slot: Slot): Promise<void> {
  const closes = slot.desired.tier === CLOSING_TIER;
  const intent: Intent = closes ? { kind: 'closed', purgeAfter: Date.now() + SOAK_TIMINGS.closedWindowSeconds * 1000 } : { kind: 'removed' };
  const done = await request(ctx, slot, 'deprovision', `/api/provisioning/${slot.tenantId}/deprovision`, intent, {});
  // The deprovision job ends after the namespace is gone (or the account is closed): then the removal is complete.
  if (done.accepted) await awaitJob(ctx, slot.rng, done.jobId, 180_000);
  if (closes && done.accepted) slot.closed = { before: slot.desired };
  else slot.tenantId = null;
}

/** A closed account: undeleted (as it was before), purged with force, exported, or left for the sweep to purge. */
async function whileClosed(ctx: DriverContext, slot: Slot, operation: (typeof CLOSED_OPERATIONS)[number]): Promise<void> {
  const tenantId = slot.tenantId!;
  if (operation === 'wait') return;
  if (operation === 'export') return exportData(ctx, slot);
  const before = slot.closed!.before;
  const done =
    operation === 'undelete'
      ? await request(ctx, slot, 'undelete', `/api/tenants/${tenantId}/undelete`, { kind: 'present', ...before }, {})
      : await request(ctx, slot, 'purge', `/api/provisioning/${tenantId}/deprovision?force=true`, { kind: 'removed' }, {});
  if (done.accepted && operation === 'undelete') {
    slot.desired = before;
    slot.window = undefined;
    slot.closed = undefined;
    return followUp(ctx, slot, done.jobId);
  }
  if (done.accepted) await awaitJob(ctx, slot.rng, done.jobId, 180_000);
  // Purged (by this request or the sweep), or unsure whether it was taken: the slot moves on to a new tenant.
  if (done.accepted || done.ambiguous || done.status === 404) {
    slot.tenantId = null;
    slot.closed = undefined;
  }
}

/**
 * An export, followed to its end: the dump is put where its Job's upload would (fleet.ts), and the
 * job completes or fails with a reason. Kept apart from the intents, like a backup.
 */
async function exportData(ctx: DriverContext, slot: Slot): Promise<void> {
  const tenantId = slot.tenantId!;
  const { final } = await withRetries(ctx, slot.rng, () => send(ctx, slot.rng, `/api/tenants/${tenantId}/exports`, { method: 'POST' }), transient);
  if (final.status === 202) {
    const { jobId, exportId, namespace } = final.body as { jobId: string; exportId: string; namespace: string };
    ctx.ledger.exports.accepted.push({ tenantId, jobId });
    if (await ctx.fleet.uploadExport(namespace, exportId, ctx.until)) ctx.ledger.exports.uploaded += 1;
    await awaitJob(ctx, slot.rng, jobId, 180_000);
  } else if (final.status === 409) ctx.ledger.exports.refused += 1;
  else if (final.status === 404) {
    slot.tenantId = null;
    slot.closed = undefined;
  }
}

/** Waits for the job at random: some clients poll, most fire and forget. */
async function followUp(ctx: DriverContext, slot: Slot, jobId: string): Promise<void> {
  if (slot.rng.chance(0.4)) await awaitJob(ctx, slot.rng, jobId);
}
