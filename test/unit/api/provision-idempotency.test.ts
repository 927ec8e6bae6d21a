import { describe, expect, it } from 'vitest';
import type { JobAccepted } from '../../../src/api/provisioning/provisioning.schemas.ts';
import { problemOf, testApp, validProvision } from './support/harness.ts';

const provision = '/api/provisioning/provision';

describe('provision with an Idempotency-Key after an unknown outcome (finding 5)', () => {
  it('a retry after a 503 that left the namespace behind finds that tenant instead of creating a second one', async () => {
    const t = await testApp();
    const headers = { 'Idempotency-Key': 'signup-4711' };
    // The namespace is created, the queue is unreachable, and the clean-up fails too: the outcome is unknown.
    t.queue.enqueueError = new Error('Connection is closed.');
    const remove = t.registry.delete.bind(t.registry);
    t.registry.delete = async () => {
      throw Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' });
    };
    await problemOf(await t.call(provision, { body: validProvision, headers }), 503);
    expect(t.registry.tenants.size).toBe(1);

    t.queue.enqueueError = undefined;
    t.registry.delete = remove;
    const retry = await t.call(provision, { body: validProvision, headers });
    expect(retry.status).toBe(202);
    const body = (await retry.json()) as JobAccepted;
    expect(t.registry.tenants.size).toBe(1);
    expect([...t.registry.tenants.keys()]).toEqual([body.tenantId]);
    expect(t.registry.tenants.get(body.tenantId)?.operation?.jobId).toBe(body.jobId);
    expect([...t.queue.jobs.keys()]).toEqual([body.jobId]);
  });

  it('two different keys for the same company still make two tenants, and no key makes a random id', async () => {
    const t = await testApp();
    const a = (await (await t.call(provision, { body: validProvision, headers: { 'Idempotency-Key': 'k-1' } })).json()) as JobAccepted;
    const b = (await (await t.call(provision, { body: validProvision, headers: { 'Idempotency-Key': 'k-2' } })).json()) as JobAccepted;
    expect(a.tenantId).not.toBe(b.tenantId);
    const c = (await (await t.call(provision, { body: validProvision })).json()) as JobAccepted;
    expect(c.tenantId).toBe('acme-auto-repair-abc123');
    expect(t.registry.tenants.size).toBe(3);
  });
});
