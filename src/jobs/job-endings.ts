import type { QueueEvents } from 'bullmq';
import type { JobEndings } from './job-event-hub.ts';

/**
 * BullMQ's own word that a job finished, from its queue's event stream (one blocking read for the
 * whole process). The event hub turns it into a `finished` check for the job's followers: a job
 * that BullMQ failed or completed without its terminal event in the history (a worker that died
 * first, a job failed for stalling) still ends its open streams, with no periodic reads.
 */
export function queueEndings(events: Pick<QueueEvents, 'on' | 'off'>): JobEndings {
  return (ended) => {
    const onEnd = ({ jobId }: { jobId: string }) => ended(jobId);
    events.on('completed', onEnd);
    events.on('failed', onEnd);
    return () => {
      events.off('completed', onEnd);
      events.off('failed', onEnd);
    };
  };
}
