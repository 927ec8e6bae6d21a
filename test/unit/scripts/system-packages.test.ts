import { afterEach, describe, expect, it, vi } from 'vitest';
import { MissingSystemPackages, SYSTEM_PACKAGES, ensureSystemPackages, missingMessage, missingPackages, type Host } from '../../../scripts/system-packages.ts';

const { redisServer, openssl, flock, chromium } = SYSTEM_PACKAGES;
// Which executable each Debian package puts in place, so the fake apt-get can "install" it.
const PROVIDES: Record<string, string> = Object.fromEntries(Object.values(SYSTEM_PACKAGES).map((p) => [p.name, p.provides]));

type FakeOptions = { present: string[]; isRoot?: boolean; env?: NodeJS.ProcessEnv; sudoWorks?: boolean; aptExit?: { update?: number; install?: number } };

/** A machine with `present` executables; its apt-get installs what it is asked for unless told to fail. */
function fakeHost(options: FakeOptions): Host & { runs: string[][] } {
  const present = new Set(options.present);
  const runs: string[][] = [];
  return {
    runs,
    env: options.env ?? {},
    isRoot: options.isRoot ?? true,
    has: async (command) => present.has(command),
    run: async (command, args) => {
      const argv = [command, ...args];
      runs.push(argv);
      if (command === 'sudo' && args.join(' ') === '-n true') return options.sudoWorks ? 0 : 1;
      const apt = argv.indexOf('apt-get');
      if (apt < 0) return 127;
      const rest = argv.slice(apt + 1).filter((a) => !a.startsWith('-') && a !== 'DPkg::Lock::Timeout=300');
      if (rest[0] === 'update') return options.aptExit?.update ?? 0;
      const exit = options.aptExit?.install ?? 0;
      if (exit === 0) for (const name of rest.slice(1)) present.add(PROVIDES[name]!);
      return exit;
    },
  };
}

const failure = async (promise: Promise<unknown>): Promise<MissingSystemPackages> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MissingSystemPackages);
  return error as MissingSystemPackages;
};

describe('system packages', () => {
  afterEach(() => vi.restoreAllMocks());

  it('names each missing package once, by its Debian name', async () => {
    const host = fakeHost({ present: ['openssl'] });
    expect(await missingPackages([redisServer, openssl, flock, chromium, redisServer], host)).toEqual(['redis-server', 'util-linux', 'chromium']);
  });

  it('runs nothing when every package is there', async () => {
    const host = fakeHost({ present: ['redis-server', 'openssl', 'flock', '/usr/bin/chromium', 'apt-get'] });
    expect(await ensureSystemPackages([redisServer, openssl, flock, chromium], 'npm test', host)).toEqual([]);
    expect(host.runs).toEqual([]);
  });

  it('as root, updates the lists and then installs only what is missing, non-interactively and without recommends', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const host = fakeHost({ present: ['openssl', 'flock', 'apt-get'] });
    expect(await ensureSystemPackages([redisServer, openssl, flock, chromium], 'npm test', host)).toEqual(['redis-server', 'chromium']);
    expect(host.runs).toEqual([
      ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-q', '-o', 'DPkg::Lock::Timeout=300', 'update'],
      [
        'env',
        'DEBIAN_FRONTEND=noninteractive',
        'apt-get',
        '-q',
        '-o',
        'DPkg::Lock::Timeout=300',
        'install',
        '-y',
        '--no-install-recommends',
        'redis-server',
        'chromium',
      ],
    ]);
    expect(await missingPackages([redisServer, chromium], host)).toEqual([]);
  });

  it('not as root, installs through passwordless sudo', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const host = fakeHost({ present: ['apt-get', 'sudo'], isRoot: false, sudoWorks: true });
    expect(await ensureSystemPackages([openssl], 'npm run dev', host)).toEqual(['openssl']);
    expect(host.runs.map((argv) => argv.slice(0, 3))).toEqual([
      ['sudo', '-n', 'true'],
      ['sudo', '-n', 'env'],
      ['sudo', '-n', 'env'],
    ]);
  });

  it('says in one line what is missing and how to get it when sudo asks for a password', async () => {
    const host = fakeHost({ present: ['apt-get', 'sudo'], isRoot: false, sudoWorks: false });
    const error = await failure(ensureSystemPackages([redisServer, openssl], 'npm run dev', host));
    expect(error.packages).toEqual(['redis-server', 'openssl']);
    expect(error.message).toBe(
      'npm run dev: missing Debian packages redis-server, openssl (not root and no passwordless sudo); install with: sudo apt-get install -y redis-server openssl',
    );
    expect(host.runs).toEqual([['sudo', '-n', 'true']]);
  });

  it('installs nothing when TP_NO_INSTALL=1, and says so', async () => {
    const host = fakeHost({ present: ['apt-get', 'openssl'], env: { TP_NO_INSTALL: '1' } });
    const error = await failure(ensureSystemPackages([redisServer, openssl], 'npm run dev', host));
    expect(error.message).toBe(
      'npm run dev: missing Debian package redis-server (automatic install is off: TP_NO_INSTALL=1); install with: apt-get install -y redis-server',
    );
    expect(host.runs).toEqual([]);
  });

  it('installs nothing without apt-get', async () => {
    const host = fakeHost({ present: [] });
    const error = await failure(ensureSystemPackages([chromium], 'browser suite', host));
    expect(error.message).toContain('missing Debian package chromium (no apt-get on this machine)');
    expect(host.runs).toEqual([]);
  });

  it('reports a failed apt-get update or install in one line naming the packages', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const update = await failure(ensureSystemPackages([redisServer], 'npm test', fakeHost({ present: ['apt-get'], aptExit: { update: 100 } })));
    expect(update.message).toBe(
      'npm test: missing Debian package redis-server (apt-get update exited with 100); install with: apt-get install -y redis-server',
    );
    const install = await failure(ensureSystemPackages([redisServer], 'npm test', fakeHost({ present: ['apt-get'], aptExit: { install: 100 } })));
    expect(install.message).toContain('(apt-get install exited with 100)');
  });

  it('keeps every message on one line', () => {
    for (const packages of [['redis-server'], ['redis-server', 'openssl', 'util-linux', 'chromium']]) {
      for (const isRoot of [true, false]) expect(missingMessage(packages, 'npm test', 'why', isRoot)).not.toMatch(/\n/);
    }
  });
});
