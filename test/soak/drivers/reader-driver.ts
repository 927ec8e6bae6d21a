import type { Random } from '../seeded-random.ts';
import type { DriverContext } from './driver-context.ts';
import { pause, send, transient, type Outcome, type SendOptions } from './soak-client.ts';

const READERS = 2;
const THINK_MS: [number, number] = [700, 2_500];
// A status read runs `helm status` in the API: it is the rarest read.
const READS = ['admin', 'admin', 'tenants', 'tenants', 'job', 'job', 'status'] as const;
const SESSION_COOKIE = 'tp_session';

type Reader = { rng: Random; cookie: string | undefined };

/**
 * Readers of the admin page (signed in through the session cookie, as a browser is) and of the API
 * (tenant list and its pages, a tenant's status, a job). Every read is counted; a 500 is a
 * violation (in send), and so is any answer a read of that kind never gets ('reader-answer').
 */
export async function driveReaders(ctx: DriverContext): Promise<void> {
  await Promise.all(
    Array.from({ length: READERS }, async (_, index) => {
      const reader: Reader = { rng: ctx.rng.fork(`reader-${index}`), cookie: undefined };
      await pause(ctx, reader.rng.int(0, THINK_MS[1]));
      while (!ctx.until.aborted) {
        await read(ctx, reader, reader.rng.pick(READS));
        await pause(ctx, reader.rng.int(...THINK_MS));
      }
    }),
  );
}

async function get(ctx: DriverContext, reader: Reader, kind: 'admin' | 'api', path: string, expected: number[], options: SendOptions = {}) {
  ctx.ledger.readers.requests += 1;
  ctx.ledger.readers[kind] += 1;
  const answer = await send(ctx, reader.rng, path, options);
  if (!transient(answer) && !expected.includes(answer.status)) {
    ctx.ledger.violate('reader-answer', `${options.method ?? 'GET'} ${path} on API ${answer.via}: ${answer.status}, expected ${expected.join(' or ')}`);
  }
  return answer;
}

async function read(ctx: DriverContext, reader: Reader, what: (typeof READS)[number]): Promise<void> {
  const { rng } = reader;
  const recent = ctx.ledger.accepted.slice(-50);
  switch (what) {
    case 'admin': {
      if (!reader.cookie || rng.chance(0.1)) reader.cookie = await signIn(ctx, reader);
      if (!reader.cookie) return;
      const cookie = { auth: false, headers: { cookie: `${SESSION_COOKIE}=${reader.cookie}`, accept: 'text/html' } };
      await get(ctx, reader, 'admin', '/admin', [200], cookie);
      // The page's own first read, with the same cookie.
      await get(ctx, reader, 'admin', '/api/tenants?limit=50', [200], { auth: false, headers: { cookie: cookie.headers.cookie } });
      return;
    }
    case 'tenants': {
      const first = await get(ctx, reader, 'api', `/api/tenants?limit=${rng.int(1, 20)}`, [200]);
      const cursor = first.status === 200 ? (first.body as { nextCursor?: string | null }).nextCursor : null;
      if (cursor && rng.chance(0.5)) await get(ctx, reader, 'api', `/api/tenants?limit=20&cursor=${encodeURIComponent(cursor)}`, [200]);
      return;
    }
    case 'job': {
      const jobs = recent.flatMap((a) => (a.jobId ? [a.jobId] : []));
      if (jobs.length > 0) await get(ctx, reader, 'api', `/api/jobs/${encodeURIComponent(rng.pick(jobs))}`, [200, 404]);
      return;
    }
    case 'status':
      if (recent.length > 0) await get(ctx, reader, 'api', `/api/provisioning/${rng.pick(recent).tenantId}/status`, [200, 404]);
      return;
  }
}

/** POST /admin/session with the bearer token: 204 and the session cookie, as the login page does it. */
async function signIn(ctx: DriverContext, reader: Reader): Promise<string | undefined> {
  const answer: Outcome = await get(ctx, reader, 'admin', '/admin/session', [204], { method: 'POST' });
  if (answer.status !== 204) return undefined;
  const line = answer.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  const value = line?.slice(SESSION_COOKIE.length + 1).split(';')[0];
  if (!value) ctx.ledger.violate('reader-answer', `POST /admin/session on API ${answer.via}: 204 without a ${SESSION_COOKIE} cookie`);
  return value || undefined;
}
