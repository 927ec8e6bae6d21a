import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { freePort } from '../sandbox/ports.ts';
import { SANDBOX_VERSIONS, sandboxBinaries } from '../sandbox/versions.ts';

/**
 * Changes to stripe-mock's own bundled fixtures, by resource, deep-merged into that resource's fixture
 * (its generator needs every other field). Nested objects come from their own resource's fixture: a
 * subscription's price is `{ subscription_item: { price: { id } } }`. stripe-mock has no state: every
 * GET answers the fixture (with the id from the URL), so "what Stripe holds now" is set here, and
 * changed with `restart`.
 */
export type FixtureChanges = Partial<Record<string, Record<string, unknown>>>;

export type StripeMock = {
  /** Base URL for STRIPE_API_BASE. */
  url: string;
  /** Restarts on the same port with other fixtures: Stripe's state changed. */
  restart(fixtures?: FixtureChanges): Promise<void>;
  stop(): Promise<void>;
};

/** A real stripe-mock (Stripe's own mock server, the pinned build) on a free loopback port. */
export async function startStripeMock(fixtures: FixtureChanges = {}): Promise<StripeMock> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'tp-stripe-mock-'));
  const url = `http://127.0.0.1:${port}`;
  let child: ResultPromise | undefined;

  const start = async (changes: FixtureChanges) => {
    // -http-port, not -http-addr: with -http-addr stripe-mock still opens its default HTTPS port 12112,
    // and two test files running at once collide there.
    const args = ['-http-port', String(port)];
    if (Object.keys(changes).length > 0) args.push('-fixtures', await writeFixtures(dir, changes));
    child = execa(sandboxBinaries().stripeMock, args, { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: { stderr: true } });
    const deadline = Date.now() + 30_000;
    while (!(await answers(url))) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        const { stderr } = await child;
        throw new Error(`stripe-mock did not start on ${port}: ${String(stderr).slice(-2000)}`);
      }
      await sleep(50);
    }
  };
  const end = async () => {
    if (!child) return;
    child.kill('SIGTERM');
    await child;
    child = undefined;
  };

  await start(fixtures);
  return {
    url,
    restart: async (changes = {}) => {
      await end();
      await start(changes);
    },
    stop: async () => {
      await end();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v1/customers/cus_ping`, { headers: { Authorization: 'Bearer sk_test_ping' } });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** The pinned module's bundled fixtures (`go mod download` prints where the module cache holds them). */
async function bundledFixtures(): Promise<{ resources: Record<string, Record<string, unknown>> }> {
  const module = `github.com/stripe/stripe-mock@${SANDBOX_VERSIONS.stripeMock}`;
  const { stdout } = await execa('go', ['mod', 'download', '-json', module], {
    cwd: tmpdir(),
    env: { GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
  });
  const { Dir } = JSON.parse(stdout) as { Dir: string };
  return JSON.parse(await readFile(join(Dir, 'embedded', 'openapi', 'fixtures3.json'), 'utf8'));
}

async function writeFixtures(dir: string, changes: FixtureChanges): Promise<string> {
  const fixtures = await bundledFixtures();
  for (const [resource, change] of Object.entries(changes)) {
    if (!fixtures.resources[resource]) throw new Error(`stripe-mock has no ${resource} fixture`);
    fixtures.resources[resource] = deepMerge(fixtures.resources[resource], change) as Record<string, unknown>;
  }
  const path = join(dir, `fixtures-${Date.now()}.json`);
  await writeFile(path, JSON.stringify(fixtures));
  return path;
}

function deepMerge(base: unknown, change: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(change)) {
    return Array.from({ length: Math.max(base.length, change.length) }, (_, i) => (i < change.length ? deepMerge(base[i], change[i]) : base[i]));
  }
  if (isObject(base) && isObject(change)) {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(change)) out[key] = deepMerge(base[key], value);
    return out;
  }
  return change;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
