// One provision through the service, timed from the request to the `completed` event at the client.
import { api, followEvents, now, type Accepted, type ReceivedEvent, type Service, provisionBody } from './env.ts';

export type ServiceRun = {
  tenantId: string;
  jobId: string;
  namespace: string;
  /** Request sent → `completed` event received. */
  totalMs: number;
  /** Request sent → 202 received. */
  intakeMs: number;
  /** 202 → the first step started (queue pickup and the SSE subscription). */
  pickupMs: number;
  /** Per step: `started` → done, as the client saw the events. */
  steps: Record<string, number>;
  events: ReceivedEvent[];
  sentAt: number;
};

type Progress = { step: string; message: string };

export function stepTimes(events: readonly ReceivedEvent[]): Record<string, { startedAt: number; doneAt?: number }> {
  const steps: Record<string, { startedAt: number; doneAt?: number }> = {};
  for (const e of events) {
    if (e.event !== 'progress') continue;
    const p = e.data as Progress;
    if (p.message === `${p.step} started`) steps[p.step] = { startedAt: e.at };
    else if (steps[p.step]) steps[p.step]!.doneAt = e.at;
  }
  return steps;
}

export async function provisionViaService(service: Service, tenantId: string, tier = 'free', onEvent?: (e: ReceivedEvent) => void): Promise<ServiceRun> {
  const sentAt = now();
  const accepted = await api<Accepted>(service, '/api/provisioning/provision', { body: provisionBody(tenantId, tier) });
  const acceptedAt = now();
  if (accepted.status !== 202) throw new Error(`provision ${tenantId}: HTTP ${accepted.status} ${JSON.stringify(accepted.body)}`);
  const { jobId, namespace, links } = accepted.body;
  const events = await followEvents(service.baseUrl, links.events, service.token, onEvent);
  const last = events.at(-1);
  if (last?.event !== 'completed') throw new Error(`provision ${tenantId} ended with ${last?.event}: ${JSON.stringify(last?.data)}`);
  const times = stepTimes(events);
  const steps: Record<string, number> = {};
  for (const [name, t] of Object.entries(times)) if (t.doneAt !== undefined) steps[name] = t.doneAt - t.startedAt;
  const firstStart = Math.min(...Object.values(times).map((t) => t.startedAt));
  return {
    tenantId,
    jobId,
    namespace,
    events,
    sentAt,
    totalMs: last.at - sentAt,
    intakeMs: acceptedAt - sentAt,
    pickupMs: firstStart - acceptedAt,
    steps,
  };
}
