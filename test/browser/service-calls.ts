import { setTimeout as sleep } from 'node:timers/promises';

/**
 * JSON calls to the service a browser test started, with its token, and a wait for a job's end: what
 * the tests do beside the page (set up, check, clean up). `target` is read per call, since the
 * service and token exist only once the file's beforeAll has run.
 */
export function serviceCalls(target: () => { baseUrl: string; token: string }) {
  const call = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const { baseUrl, token } = target();
    const res = await fetch(`${baseUrl}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { Authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
  };

  async function jobEnds(jobId: string, timeoutMs: number): Promise<string> {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(500)) {
      const state = (await call(`/api/jobs/${jobId}`)).body['state'] as string;
      if (state === 'completed' || state === 'failed') return state;
    }
    throw new Error(`job ${jobId} did not end within ${timeoutMs} ms`);
  }

  return { call, jobEnds };
}
