import { ChildProcess } from 'node:child_process';
import { Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { liveTimers } from './timer-origins.ts';

/**
 * What keeps the event loop alive at one moment: Node's own count by type (the verdict), and the
 * handle and timer objects behind it (only to say which ones leaked).
 */
export type Resources = { counts: Map<string, number>; objects: Map<object, string>; timers: Set<object> };

// Node's names, with what they are for a reader of the report.
const MEANING: Record<string, string> = {
  TCPSocketWrap: 'socket',
  TCPServerWrap: 'server',
  PipeWrap: 'pipe',
  ProcessWrap: 'child process',
  Timeout: 'timer',
  Immediate: 'setImmediate',
  FSReqCallback: 'fs call in flight',
  FSEventWrap: 'fs watcher',
  StatWatcher: 'fs.watchFile',
  SignalWrap: 'signal listener',
  UDPWrap: 'UDP socket',
  GetAddrInfoReqWrap: 'DNS lookup',
  TCPConnectWrap: 'TCP connect in flight',
};

export function activeResources(): Resources {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  const timers = liveTimers();
  const objects = new Map<object, string>(timers);
  const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
  // A child's stdio pipes are named by the child's own line.
  const stdio = new Set<unknown>(handles.flatMap((h) => (h instanceof ChildProcess ? h.stdio : [])));
  for (const handle of handles) if (!stdio.has(handle)) objects.set(handle, describe(handle));
  return { counts, objects, timers: new Set(timers.keys()) };
}

function describe(handle: object): string {
  if (handle instanceof ChildProcess) return `child process ${handle.pid}: ${handle.spawnargs.join(' ').slice(0, 200)}`;
  if (handle instanceof Server) {
    const address = handle.address();
    return `server listening on ${typeof address === 'string' ? address : `${address?.address}:${address?.port}`}`;
  }
  if (handle instanceof Socket) {
    if (handle.remotePort) return `socket ${handle.localAddress}:${handle.localPort} → ${handle.remoteAddress}:${handle.remotePort}`;
    return handle.connecting ? 'socket still connecting' : "pipe (a child process's stdio, or a socket not yet connected)";
  }
  return handle.constructor.name;
}

/** What `after` holds beyond `before`, one readable line each; empty when nothing outlived. */
export function leaked(before: Resources, after: Resources): string[] {
  const lines: string[] = [];
  for (const [type, count] of after.counts) {
    const extra = count - (before.counts.get(type) ?? 0);
    if (extra > 0) lines.push(`${extra} × ${type} (${MEANING[type] ?? 'resource'})`);
  }
  // Counts alone can hide a new timer behind one of vitest's that ended meanwhile; the tracked ones cannot.
  const newTimers = [...after.timers].filter((t) => !before.timers.has(t));
  if (lines.length === 0 && newTimers.length === 0) return lines;
  if (!lines.some((l) => l.includes('× Timeout'))) lines.push(`${newTimers.length} × Timeout (timer)`.replace(/^0 × .*/, ''));
  for (const [object, text] of after.objects) if (!before.objects.has(object)) lines.push(`  - ${text}`);
  return lines.filter(Boolean);
}

/**
 * Waits up to `graceMs` for what is being closed (a socket's FIN, a child's exit, an fs callback)
 * before judging: a resource still there after that is a leak.
 */
export async function leakedAfterGrace(before: Resources, graceMs: number): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const lines = leaked(before, activeResources());
    if (lines.length === 0 || Date.now() >= deadline) return lines;
    await sleep(10);
  }
}
