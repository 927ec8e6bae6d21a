import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root, where `npm run dev` runs. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

const DAEMONS = new Set(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'redis-server']);

export type Proc = { pid: number; name: string; args: string };

/** Every live sandbox or Redis process on the machine, read from /proc. */
export function daemons(): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const name = basename(argv[0] ?? '');
      if (DAEMONS.has(name)) found.push({ pid: Number(entry), name, args: argv.join(' ') });
    } catch {
      /* exited while we looked */
    }
  }
  return found;
}
