import { describe, expect, it } from 'vitest';
import { coalesceReads } from '../../../src/jobs/coalesced-reads.ts';
import type { StoredJobEvent } from '../../../src/jobs/job-events.schema.ts';
import type { JobHistory } from '../../../src/jobs/job-history.ts';

const event = (id: string): StoredJobEvent => ({
  type: 'log',
  id,
  jobId: 'j1',
  data: { timestamp: '2026-03-01T12:00:00.000Z', level: 'info', step: 's', message: id },
});

/** A history that counts the reads it is sent and answers, a little later, with what it held when each was sent. */
function countingHistory() {
  const entries: StoredJobEvent[] = [];
  const sent: Array<[string, string | undefined]> = [];
  const history: Pick<JobHistory, 'read'> = {
    read(jobId, afterId) {
      sent.push([jobId, afterId]);
      const snapshot = entries.filter((e) => afterId === undefined || e.id > afterId);
      return new Promise((resolve) => setTimeout(() => resolve(snapshot), 5));
    },
  };
  return { entries, sent, history };
}

describe('coalesceReads', () => {
  it('sends one read for every caller asking for the same job after the same id at once', async () => {
    const backend = countingHistory();
    backend.entries.push(event('1-0'), event('2-0'));
    const reads = coalesceReads(backend.history);
    const answers = await Promise.all([...Array.from({ length: 100 }, () => reads.read('j1', '1-0')), reads.read('j1', undefined), reads.read('j2', '1-0')]);
    expect(backend.sent).toEqual([
      ['j1', '1-0'],
      ['j1', undefined],
      ['j2', '1-0'],
    ]);
    expect(answers.slice(0, 100).every((a) => a.length === 1 && a[0]!.id === '2-0')).toBe(true);
    expect(answers[100]).toHaveLength(2);
  });

  it('gives a caller that comes after the read was sent a read of its own, so it sees what was appended since', async () => {
    const backend = countingHistory();
    const reads = coalesceReads(backend.history);
    const first = reads.read('j1', undefined);
    await new Promise((resolve) => setImmediate(resolve));
    backend.entries.push(event('1-0'));
    const second = reads.read('j1', undefined);
    expect(await first).toEqual([]);
    expect((await second).map((e) => e.id)).toEqual(['1-0']);
    expect(backend.sent).toHaveLength(2);
  });

  it('lets every waiting caller see a failed read, and reads again afterwards', async () => {
    let fail = true;
    const reads = coalesceReads({ read: async () => (fail ? Promise.reject(new Error('Connection is closed.')) : []) });
    const results = await Promise.allSettled([reads.read('j1'), reads.read('j1')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await reads.read('j1')).toEqual([]);
  });
});
