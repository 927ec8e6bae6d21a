import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Every path under `dir` (files, links and directories), relative and starting with '/'. */
export async function pathsUnder(dir: string, skip: readonly string[] = []): Promise<Set<string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const paths = entries.map((e) => `/${relative(dir, join(e.parentPath, e.name))}`);
  return new Set(paths.filter((p) => !skip.some((s) => p === s || p.startsWith(`${s}/`))));
}

/** Files dpkg says each newly installed package owns (its /var/lib/dpkg/info/*.list), in `rootfs`. */
export async function packageFiles(rootfs: string, packages: readonly string[]): Promise<Set<string>> {
  const owned = new Set<string>();
  for (const name of packages) {
    const list = [`${name}.list`, `${name}:amd64.list`].map((f) => join(rootfs, 'var/lib/dpkg/info', f)).find(existsSync);
    if (!list) continue;
    for (const line of (await readFile(list, 'utf8')).split('\n')) if (line && line !== '/.') owned.add(line);
  }
  return owned;
}

/** Packages dpkg lists as installed in `rootfs`. */
export async function installedPackages(rootfs: string): Promise<Set<string>> {
  const status = await readFile(join(rootfs, 'var/lib/dpkg/status'), 'utf8');
  const installed = new Set<string>();
  for (const block of status.split('\n\n')) {
    const name = /^Package: (\S+)$/m.exec(block)?.[1];
    if (name && /^Status: install ok installed$/m.test(block)) installed.add(name);
  }
  return installed;
}

type LockEntry = { dev?: boolean; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
type Lock = { packages: Record<string, LockEntry> };

/**
 * The packages the service needs at run time: package.json's dependencies and, transitively, their
 * dependencies and optional dependencies, resolved as Node resolves them (nearest node_modules
 * first). Peer dependencies do not count: a package that is only an optional peer of a production
 * package (typescript, for valibot) is a dev dependency, even though `npm ci --omit=dev` keeps it.
 */
export function productionClosure(lock: Lock): Set<string> {
  const needed = new Set<string>();
  const resolve = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
      const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
      if (!dir) return undefined;
    }
  };
  const visit = (path: string) => {
    const entry = lock.packages[path]!;
    const root = path === '';
    for (const name of Object.keys({ ...entry.dependencies, ...(root ? {} : entry.optionalDependencies) })) {
      const found = resolve(path, name);
      if (found && !needed.has(found)) {
        needed.add(found);
        visit(found);
      }
    }
  };
  visit('');
  return needed;
}

/** Every package the lockfile lists (paths as in node_modules). */
export const lockedPackages = (lock: Lock) => new Set(Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/')));

/** Package directories in a node_modules tree: `node_modules/a`, `node_modules/@s/b`, nested ones too. */
export async function installedNodeModules(app: string): Promise<Set<string>> {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(join(app, dir), { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory() || entry.name === '.bin' || entry.name.startsWith('.')) continue;
      if (entry.name.startsWith('@')) {
        for (const scoped of await readdir(join(app, dir, entry.name), { withFileTypes: true })) {
          if (scoped.isDirectory()) await visit(`${dir}/${entry.name}/${scoped.name}`);
        }
      } else {
        await visit(`${dir}/${entry.name}`);
      }
    }
  };
  const visit = async (pkg: string) => {
    found.add(pkg);
    await walk(`${pkg}/node_modules`);
  };
  await walk('node_modules');
  return found;
}
