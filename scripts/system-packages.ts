// The Debian packages the README's two commands need (`npm run dev`, `npm test`), checked before
// anything starts and installed with apt-get when this machine allows it. When it does not, the
// caller gets one line naming what is missing and the command that installs it.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/** A Debian package and the executable whose presence shows it is installed. */
export type SystemPackage = { name: string; provides: string };

export const SYSTEM_PACKAGES = {
  redisServer: { name: 'redis-server', provides: 'redis-server' },
  // The high-availability tests (test/integration/ha) run three sentinels beside a primary and a replica.
  redisSentinel: { name: 'redis-sentinel', provides: 'redis-sentinel' },
  openssl: { name: 'openssl', provides: 'openssl' },
  // `flock` serialises sandbox builds (test/sandbox/build.ts).
  flock: { name: 'util-linux', provides: 'flock' },
  // The browser suite launches this exact path.
  chromium: { name: 'chromium', provides: '/usr/bin/chromium' },
} as const satisfies Record<string, SystemPackage>;

/** The machine as this module sees it; unit tests pass a fake so that no real apt-get runs. */
export type Host = {
  /** True when `command` is executable: an absolute path, or a name found on PATH. */
  has(command: string): Promise<boolean>;
  /** Runs a command with all its output on stderr; resolves to its exit code. */
  run(command: string, args: readonly string[]): Promise<number>;
  isRoot: boolean;
  env: NodeJS.ProcessEnv;
};

/** Thrown when a package is missing and could not be installed; `message` is the one line to print. */
export class MissingSystemPackages extends Error {
  readonly #packages: readonly string[];
  constructor(packages: readonly string[], message: string) {
    super(message);
    this.name = 'MissingSystemPackages';
    this.#packages = packages;
    // A user-facing line, not a bug: a runner that prints `stack` (vitest's global setup) prints only it.
    this.stack = message;
  }

  get packages(): readonly string[] {
    return this.#packages;
  }
}

/** The real machine: PATH lookups from `env`, commands spawned with stdout sent to stderr. */
export function nodeHost(env: NodeJS.ProcessEnv): Host {
  const executable = (file: string) =>
    access(file, constants.X_OK).then(
      () => true,
      () => false,
    );
  return {
    env,
    isRoot: process.getuid?.() === 0,
    async has(command) {
      if (isAbsolute(command)) return executable(command);
      for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
        if (await executable(join(dir, command))) return true;
      }
      return false;
    },
    run: (command, args) =>
      new Promise((resolve) => {
        // stdout goes to stderr so that a caller's stdout stays its own (`npm run dev` prints its URLs there).
        const child = spawn(command, args, { stdio: ['ignore', 2, 2], env });
        child.once('error', () => resolve(127));
        child.once('exit', (code) => resolve(code ?? 1));
      }),
  };
}

/** The packages among `wanted` whose executable is not there, each package once. */
export async function missingPackages(wanted: readonly SystemPackage[], host: Host): Promise<string[]> {
  const missing = new Set<string>();
  for (const pkg of wanted) if (!(await host.has(pkg.provides))) missing.add(pkg.name);
  return [...missing];
}

type Installer = { prefix: string[] } | { refused: string };

/** How apt-get can be run here (as root, or through passwordless sudo), or why it cannot. */
async function installer(host: Host): Promise<Installer> {
  if (host.env.TP_NO_INSTALL === '1') return { refused: 'automatic install is off: TP_NO_INSTALL=1' };
  if (!(await host.has('apt-get'))) return { refused: 'no apt-get on this machine' };
  if (host.isRoot) return { prefix: [] };
  if ((await host.has('sudo')) && (await host.run('sudo', ['-n', 'true'])) === 0) return { prefix: ['sudo', '-n'] };
  return { refused: 'not root and no passwordless sudo' };
}

/** The one line a user sees when `packages` are missing and were not installed. */
export function missingMessage(packages: readonly string[], neededBy: string, why: string, isRoot: boolean): string {
  const what = packages.length === 1 ? `package ${packages[0]}` : `packages ${packages.join(', ')}`;
  const sudo = isRoot ? '' : 'sudo ';
  return `${neededBy}: missing Debian ${what} (${why}); install with: ${sudo}apt-get install -y ${packages.join(' ')}`;
}

/**
 * Makes sure every package in `wanted` is installed, installing the missing ones with apt-get when
 * it can. Returns what it installed; throws `MissingSystemPackages` when something is still missing.
 */
export async function ensureSystemPackages(wanted: readonly SystemPackage[], neededBy: string, host: Host): Promise<string[]> {
  const missing = await missingPackages(wanted, host);
  if (missing.length === 0) return [];
  const how = await installer(host);
  if ('refused' in how) throw new MissingSystemPackages(missing, missingMessage(missing, neededBy, how.refused, host.isRoot));

  console.error(`${neededBy}: installing Debian ${missing.join(', ')} with apt-get…`);
  // A concurrent apt-get (another command of this project) holds the dpkg lock for a while; wait for it.
  const apt = (args: string[]) => {
    const [command, ...rest] = [...how.prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-q', '-o', 'DPkg::Lock::Timeout=300', ...args];
    return host.run(command!, rest);
  };
  const updated = await apt(['update']);
  if (updated !== 0) throw new MissingSystemPackages(missing, missingMessage(missing, neededBy, `apt-get update exited with ${updated}`, host.isRoot));
  const installed = await apt(['install', '-y', '--no-install-recommends', ...missing]);
  if (installed !== 0) throw new MissingSystemPackages(missing, missingMessage(missing, neededBy, `apt-get install exited with ${installed}`, host.isRoot));

  const still = await missingPackages(wanted, host);
  if (still.length > 0) throw new MissingSystemPackages(still, missingMessage(still, neededBy, 'still missing after apt-get install', host.isRoot));
  return missing;
}
