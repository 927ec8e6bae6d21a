import { spawn } from 'node:child_process';
import { openSync, readFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** One long-running sandbox process, as recorded in the state file. */
export type Daemon = { name: string; pid: number; binary: string; args: string[]; log: string };

/**
 * Starts `binary` detached in its own process group with output appended to `<logDir>/<name>.log`,
 * so it outlives the command that started it (the sandbox must work from scripts, not only shells).
 */
export function startDaemon(name: string, binary: string, args: string[], logDir: string, env?: NodeJS.ProcessEnv): Daemon {
  const log = join(logDir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env: env ?? process.env });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`sandbox: could not start ${name} (${binary})`);
  child.unref();
  return { name, pid: child.pid, binary, args, log };
}

/** True when `pid` is alive and is still the binary we started (pids are reused). */
export function isRunning(daemon: Pick<Daemon, 'pid' | 'binary'>): boolean {
  try {
    const cmdline = readFileSync(`/proc/${daemon.pid}/cmdline`, 'utf8');
    const state = readFileSync(`/proc/${daemon.pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return cmdline.split('\0')[0] === daemon.binary && state !== 'Z';
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopDaemon(daemon: Daemon, graceMs = 5_000): Promise<void> {
  if (!isRunning(daemon)) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-daemon.pid, sig);
    } catch {
      try {
        process.kill(daemon.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isRunning(daemon) && Date.now() < deadline) await sleep(50);
  if (isRunning(daemon)) signal('SIGKILL');
  while (isRunning(daemon)) await sleep(20);
}

/** The last lines of a daemon's log, for error messages that say why something did not start. */
export function logTail(daemon: Daemon, lines = 15): string {
  try {
    return readFileSync(daemon.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
