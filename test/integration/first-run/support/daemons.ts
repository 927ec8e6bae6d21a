import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root, where `npm run dev` runs. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

const DAEMONS = new Set(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'redis-server']);

/** `group` is the process group, which a terminal's Ctrl-C reaches as a whole. */
export type Proc = { pid: number; name: string; args: string; group: number };

/** Every live sandbox or Redis process on the machine, read from /proc. */
export function daemons(): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      // redis-server retitles itself into one argument, "redis-server 127.0.0.1:<port>".
      const name = basename((argv[0] ?? '').split(' ')[0] ?? '');
      // Field 5 of stat, counted after the parenthesised command name, which may itself hold spaces.
      const group = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[2]);
      if (DAEMONS.has(name)) found.push({ pid: Number(entry), name, args: argv.join(' '), group });
    } catch {
      /* exited while we looked */
    }
  }
  return found;
}

/** Whether `p` is a redis-server listening on `port` (it retitles itself "redis-server 127.0.0.1:<port>"). */
export function isRedisOn(p: Proc, port: number): boolean {
  return p.name === 'redis-server' && p.args.endsWith(`:${port}`);
}
