// Schemathesis (the OpenAPI contract tester, a Python program) in a virtual environment of its own,
// pinned by test/integration/contract/requirements.txt and cached per pin under
// ~/.cache/tenant-provisioner. `.ci/run` creates it up front; the contract test creates it when it is
// missing (like the Debian packages in system-packages.ts): installed when it can, one line when not.
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages, MissingSystemPackages, type Host } from './system-packages.ts';

export const SCHEMATHESIS_VERSION = '4.32.5';
export const REQUIREMENTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'integration', 'contract', 'requirements.txt');

/** Thrown when the environment could not be created; `message` is the one line to print. */
export class MissingSchemathesis extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingSchemathesis';
    // A user-facing line, not a bug (vitest prints `stack` for a failed hook).
    this.stack = message;
  }
}

// A marker written last: a venv whose pip install was interrupted has none and is made again.
const COMPLETE = '.tenant-provisioner-complete';
// What `python3 -m venv` needs besides python3 itself: Debian ships ensurepip in python3-venv.
const VENV_MODULE = 'python3-venv (ensurepip)';

/** Where the environment for this exact requirements file lives (SCHEMATHESIS_VENV overrides it). */
export async function schemathesisVenvDir(env: NodeJS.ProcessEnv): Promise<string> {
  if (env.SCHEMATHESIS_VENV) return env.SCHEMATHESIS_VENV;
  const pin = createHash('sha256')
    .update(await readFile(REQUIREMENTS))
    .digest('hex')
    .slice(0, 12);
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cache, 'tenant-provisioner', `schemathesis-${SCHEMATHESIS_VERSION}-${pin}`);
}

/**
 * The path of the pinned `schemathesis` executable, creating its virtual environment first when it
 * is missing or incomplete. Throws `MissingSchemathesis` (one line: what failed, how to do it by
 * hand) when Python, its venv module or PyPI is not available.
 */
export async function ensureSchemathesis(neededBy: string, host: Host): Promise<string> {
  const dir = await schemathesisVenvDir(host.env);
  const bin = join(dir, 'bin', 'schemathesis');
  if (await exists(join(dir, COMPLETE))) return bin;

  const byHand = `python3 -m venv ${dir} && ${dir}/bin/pip install -r ${REQUIREMENTS}`;
  // python3 -m venv on Debian needs python3-venv; it has no executable of its own, so ask Python.
  const venvHost: Host = {
    ...host,
    has: (command) => (command === VENV_MODULE ? host.run('python3', ['-c', 'import ensurepip, venv']).then((code) => code === 0) : host.has(command)),
  };
  try {
    await ensureSystemPackages(
      [
        { name: 'python3', provides: 'python3' },
        { name: 'python3-venv', provides: VENV_MODULE },
      ],
      neededBy,
      venvHost,
    );
  } catch (error) {
    if (error instanceof MissingSystemPackages) throw new MissingSchemathesis(`${error.message}; then: ${byHand}`);
    throw error;
  }

  console.error(`${neededBy}: creating the Schemathesis ${SCHEMATHESIS_VERSION} environment in ${dir}…`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  const venv = await host.run('python3', ['-m', 'venv', dir]);
  if (venv !== 0) throw new MissingSchemathesis(`${neededBy}: python3 -m venv exited with ${venv}; create it by hand: ${byHand}`);
  const pip = await host.run(join(dir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', REQUIREMENTS]);
  if (pip !== 0) {
    throw new MissingSchemathesis(
      `${neededBy}: pip could not install Schemathesis ${SCHEMATHESIS_VERSION} (exit ${pip}; is PyPI reachable?); by hand: ${byHand}`,
    );
  }
  await writeFile(join(dir, COMPLETE), `${SCHEMATHESIS_VERSION}\n`);
  return bin;
}

function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
