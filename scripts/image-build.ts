// `node scripts/image-build.ts`: builds the unchanged Dockerfile with podman into IMAGE_TAG, on
// local stand-ins for its base images (scripts/image-bases.ts). Built only when the build context
// or a base changed since the last build (a label on the image holds their hash); podman's layer
// cache, under the same cache directory, keeps the Helm and npm layers across source changes.
// Runs under flock, so the test suite and .ci/run never build at the same time.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { BUILD_CA_BUNDLE, ensureBaseImages, STAND_IN_LABEL, type Log } from './image-bases.ts';
import { createPodman, IMAGE_PACKAGES, imageCacheRoot, imageLabel, type Podman } from './image-podman.ts';
import { ensureSystemPackages, MissingSystemPackages, nodeHost, SYSTEM_PACKAGES } from './system-packages.ts';

const root = resolve(import.meta.dirname, '..');
/** The image the check builds and runs (never pushed anywhere). */
export const IMAGE_TAG = 'localhost/tenant-provisioner:image-check';
const CONTEXT_LABEL = 'org.tenant-provisioner.context';
// What the Dockerfile copies, and the files that decide how. The hash covers only these, so an edit
// to a test or a README does not rebuild the image.
const CONTEXT_PATHS = ['Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', 'config', 'src', 'charts'];
// Debian's bundle of the roots this machine trusts (its own additions included), for the build's TLS.
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const IGNORED = /(^|\/)(node_modules|\.DS_Store)(\/|$)|\.swp$|\.log$/;

async function filesUnder(path: string): Promise<string[]> {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  const entries = await readdir(full, { recursive: true, withFileTypes: true }).catch(() => undefined);
  if (!entries) return [path]; // a file
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .filter((f) => !IGNORED.test(f));
}

/** Hash of every file the build reads (path and content) and of the stand-ins it builds on. */
export async function contextHash(podman: Podman, bases: readonly string[]): Promise<string> {
  const digest = createHash('sha256');
  const files = (await Promise.all(CONTEXT_PATHS.map(filesUnder))).flat().sort();
  for (const file of files)
    digest
      .update(`${file}\0`)
      .update(await readFile(join(root, file)))
      .update('\0');
  for (const base of bases) digest.update(`${base}\0${(await imageLabel(podman, `docker.io/library/${base}`, STAND_IN_LABEL)) ?? ''}\0`);
  return digest.digest('hex').slice(0, 24);
}

/** Builds IMAGE_TAG when its context changed; returns whether it built. Build output goes to `buildLog`. */
export async function ensureServiceImage(podman: Podman, log: Log, buildLog: string): Promise<boolean> {
  const bases = await ensureBaseImages(podman, log);
  const hash = await contextHash(podman, bases);
  if ((await imageLabel(podman, IMAGE_TAG, CONTEXT_LABEL)) === hash) return false;
  log(`podman build ${IMAGE_TAG} (context ${hash}; output in ${buildLog})`);
  await writeFile(buildLog, '');
  const out = { file: buildLog, append: true };
  try {
    // --pull=never: FROM resolves to the local stand-ins, never to a registry this machine cannot reach.
    // --network=host: RUN steps reach the Go module proxy, the npm registry and Debian's mirror.
    await podman(
      [
        'build',
        '--isolation=chroot',
        '--network=host',
        '--pull=never',
        '--label',
        `${CONTEXT_LABEL}=${hash}`,
        '--volume',
        `${HOST_CA_BUNDLE}:${BUILD_CA_BUNDLE}:ro`,
        '-t',
        IMAGE_TAG,
        '-f',
        'Dockerfile',
        '.',
      ],
      { cwd: root, stdin: 'ignore', stdout: out, stderr: out },
    );
  } catch (error) {
    const tail = (await readFile(buildLog, 'utf8')).split('\n').slice(-25).join('\n');
    throw new Error(`podman build failed (${(error as Error).message.split('\n')[0]}); the end of ${buildLog}:\n${tail}`);
  }
  // Earlier builds are not removed: removing one also drops the other stages' cached layers (Helm's
  // Go build, npm ci), which are untagged images too. What an older build adds is a few MB of sources.
  return true;
}

async function main(): Promise<void> {
  const started = Date.now();
  const log: Log = (line) => console.error(`image: ${line} (${Math.round((Date.now() - started) / 1000)} s)`);
  await ensureSystemPackages([...IMAGE_PACKAGES, SYSTEM_PACKAGES.flock], 'image check', nodeHost(process.env));
  const cache = imageCacheRoot();
  await mkdir(cache, { recursive: true });
  if (process.env.TP_IMAGE_LOCKED !== '1') {
    // Re-run under the cache's lock; a second caller waits for the first build and then finds it done.
    const locked = await execa('flock', [join(cache, '.lock'), process.execPath, ...process.argv.slice(1)], {
      stdio: 'inherit',
      reject: false,
      env: { ...process.env, TP_IMAGE_LOCKED: '1' },
    });
    process.exitCode = locked.exitCode ?? 1;
    return;
  }
  const built = await ensureServiceImage(createPodman(), log, join(cache, 'build.log'));
  log(`${IMAGE_TAG} ${built ? 'built' : 'up to date'}`);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(error instanceof MissingSystemPackages ? error.message : error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
