import { expectedEvents, sseMismatch } from '../../services/support/sse-client.ts';
import { FIRST_SLOT } from '../../../../src/domain/slots.ts';
import { scenarioConfig, type Run } from './run-scenario.ts';
import type { Violation } from './world.ts';

const ENDED = new Set(['completed', 'failed']);

/**
 * Invariant 3: every accepted request's job ended, and each tenant ended at its latest accepted
 * intent (alive: namespace, Secrets and a deployed release with the desired tier, domain and
 * hibernation, serving the desired slot (6); removed: no namespace), unless that intent's job
 * failed with a reason.
 */
function endedAtIntent(run: Run): Violation[] {
  const out: Violation[] = [];
  const { queue, cluster, world, system } = run;
  for (const job of queue.jobs.values()) {
    if (job.addedBy !== 'setup' && !ENDED.has(job.state))
      out.push({ invariant: '3 every 202 ended', detail: `job ${job.id} (${job.name}) accepted by ${job.addedBy} is still ${job.state}` });
  }
  for (const [tenantId, intent] of world.intents) {
    const job = intent.jobId === undefined ? undefined : queue.jobs.get(intent.jobId);
    if (job?.state === 'failed') {
      const reason = system.history.events(job.id).some((e) => e.type === 'failed') || Boolean(job.failedReason);
      if (!reason) out.push({ invariant: '3 every 202 ended', detail: `job ${job.id} of ${tenantId} failed without a reason` });
      continue;
    }
    if (job?.state !== 'completed') continue;
    const ns = cluster.namespaces.get(tenantId);
    const at = `${tenantId}, whose latest accepted intent is ${intent.operation} (job ${intent.jobId}, by ${intent.by})`;
    if (!intent.alive) {
      if (ns) out.push({ invariant: '3 every 202 ended', detail: `${at}, still has its namespace` });
      continue;
    }
    if (!ns) {
      out.push({ invariant: '1 no live tenant removed', detail: `${at}, has no namespace, release, database or Secrets at the end` });
      continue;
    }
    const current = ns.release.at(-1);
    // The recorded desired state: it holds every accepted request's change, and may also hold one
    // whose answer was a 5xx (its outcome is unknown to the client; the reconciler finishes it).
    const d = ns.record.desired;
    if (ns.secrets.size < 3) out.push({ invariant: '1 no live tenant removed', detail: `${at}, has ${ns.secrets.size} of its 3 Secrets` });
    if (current?.status !== 'deployed')
      out.push({
        invariant: '3 every 202 ended',
        detail: `${at}, ends with release ${current ? `${current.status} at revision ${current.revision}` : 'missing'}`,
      });
    else if (current.shape?.tier !== d.tier || current.shape.hibernated !== d.hibernated || current.shape.customDomain !== d.customDomain) {
      out.push({
        invariant: '3 every 202 ended',
        detail: `${at}, runs ${JSON.stringify(current.shape)} but wants ${JSON.stringify({ tier: d.tier, hibernated: d.hibernated, customDomain: d.customDomain })}`,
      });
    } else out.push(...servesDesiredSlot(run, tenantId, at));
  }
  return out;
}

/**
 * Invariant 6, at the end: the Services select the slot the desired state names, and the release
 * renders that slot's Deployments running the desired app version (a release or rollback that
 * completed switched traffic; one that failed was given up back to what served).
 */
function servesDesiredSlot(run: Run, tenantId: string, at: string): Violation[] {
  const ns = run.cluster.namespaces.get(tenantId)!;
  const d = ns.record.desired;
  const slot = d.slot ?? FIRST_SLOT;
  const app = d.images?.api.tag ?? scenarioConfig.platform.images.api.tag;
  const out: Violation[] = [];
  for (const [service, selected] of ns.services) {
    if (selected !== slot) out.push({ invariant: '6 traffic to the desired slot', detail: `${at}, has ${service} selecting ${selected}, not ${slot}` });
  }
  const rendered = ns.release.at(-1)?.shape?.slots[slot];
  if (rendered !== app)
    out.push({
      invariant: '6 traffic to the desired slot',
      detail: `${at}, wants ${app} on ${slot} but the release renders ${rendered ?? 'no Deployments'} there`,
    });
  return out;
}

/** Invariant 5: what each SSE client saw over all its connections is the job's history exactly, once. */
async function sseExact(run: Run): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const { jobId, client } of run.watches) {
    await run.world.as('sse', async () => {
      if (client.connected()) await client.beat();
      if (!client.connected() && !client.over() && !client.seen.some((e) => ENDED.has(e.event))) await client.connect();
      if (client.connected()) await client.beat();
      // A browser EventSource reconnects once more after the end: it must be told the stream is over.
      const before = client.seen.length;
      await client.disconnect();
      await client.connect();
      await client.disconnect();
      if (client.seen.length !== before)
        out.push({
          invariant: '5 SSE exact',
          detail: `a resume of job ${jobId} after its end was sent ${client.seen
            .slice(before)
            .map((e) => e.event)
            .join(', ')} again`,
        });
    }).done;
    const mismatch = sseMismatch(
      client.seen.slice(0, client.seen.findIndex((e) => ENDED.has(e.event)) + 1 || undefined),
      expectedEvents(run.system.history.events(jobId), run.queue.terminal(jobId)),
    );
    if (mismatch) out.push({ invariant: '5 SSE exact', detail: `job ${jobId}: ${mismatch}` });
  }
  return out;
}

/** Every broken invariant of a finished run: those the fakes saw as calls happened, then the end state. */
export async function violations(run: Run): Promise<Violation[]> {
  return [...run.world.violations, ...endedAtIntent(run), ...(await sseExact(run))];
}
