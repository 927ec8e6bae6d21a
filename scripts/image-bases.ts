// Local stand-ins for the Dockerfile's base images, which cannot be pulled here: a debootstrapped
// Debian bookworm, plus the pinned Go toolchain (golang:…) or the `node` package's Node 24 binary
// and npm (node:…-slim). Each is tagged with the exact name the Dockerfile's FROM uses, so the
// Dockerfile builds unchanged, and carries a label with the hash of its recipe: a changed recipe
// or version makes a new stand-in, an unchanged one is reused from the cache.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { imageCacheRoot, imageLabel, type Podman } from './image-podman.ts';

const root = resolve(import.meta.dirname, '..');
export const STAND_IN_LABEL = 'org.tenant-provisioner.stand-in';
const DEBIAN_IMAGE = 'localhost/tenant-provisioner/debian:bookworm';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
// The official node images ship the npm that came with that Node release; the `node` package
// ships only the binary, so npm comes from the npm registry at this pinned version.
export const NPM_VERSION = '11.19.1';
/**
 * Where builds mount this machine's CA bundle (scripts/image-build.ts). Outbound TLS here goes
 * through a proxy that re-signs it, so Go and npm inside a build must trust what the host trusts.
 * The stand-ins point at this path without holding the bundle: nothing of the host is baked in.
 */
export const BUILD_CA_BUNDLE = '/run/host-ca/roots.pem';

export type Log = (line: string) => void;

/** The Dockerfile's base images, read from its FROM lines (stage names dropped), each once. */
export async function dockerfileBases(): Promise<{ golang: string; node: string }> {
  const text = await readFile(join(root, 'Dockerfile'), 'utf8');
  const images = [...text.matchAll(/^FROM\s+(\S+)/gim)].map((m) => m[1]!);
  const golang = images.find((i) => i.startsWith('golang:'));
  const node = images.find((i) => i.startsWith('node:'));
  if (!golang || !node) throw new Error(`Dockerfile: expected golang:… and node:… base images, found ${images.join(', ')}`);
  return { golang, node };
}

/** `golang:1.26.8-bookworm` → `1.26.8`; the suffix must be bookworm, the one Debian made here. */
function versionOf(image: string, suffix: RegExp): string {
  const tag = image.split(':')[1] ?? '';
  const version = tag.replace(suffix, '');
  if (version === tag || !/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`cannot make a stand-in for ${image}: expected a tag like ${suffix.source}`);
  return version;
}

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
const qualified = (image: string) => `docker.io/library/${image}`;

/** debootstrap's minbase bookworm as a tarball in the cache (the one step that needs Debian's mirror). */
async function debianRootfs(log: Log): Promise<string> {
  const tarball = join(imageCacheRoot(), 'debian-bookworm-minbase.tar');
  if (existsSync(tarball)) return tarball;
  await mkdir(dirname(tarball), { recursive: true });
  const work = await mkdtemp(join(dirname(tarball), 'debootstrap-'));
  try {
    log(`debootstrap bookworm (minbase) from ${DEBIAN_MIRROR}`);
    await execa('nice', ['-n', '10', 'debootstrap', '--variant=minbase', 'bookworm', join(work, 'rootfs'), DEBIAN_MIRROR]);
    // What the official images leave out too: package lists and the host's resolver.
    await execa('sh', ['-c', 'rm -rf var/lib/apt/lists/* var/cache/apt/*.bin etc/resolv.conf etc/hostname', 'sh'], { cwd: join(work, 'rootfs') });
    await execa('tar', ['-C', join(work, 'rootfs'), '--numeric-owner', '-cf', join(work, 'rootfs.tar'), '.']);
    await rename(join(work, 'rootfs.tar'), tarball);
    return tarball;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function debianImage(podman: Podman, log: Log): Promise<string> {
  const tarball = await debianRootfs(log);
  const { size, mtimeMs } = await stat(tarball);
  const id = hash('debian', String(size), String(mtimeMs));
  if ((await imageLabel(podman, DEBIAN_IMAGE, STAND_IN_LABEL)) === id) return DEBIAN_IMAGE;
  log(`podman import ${DEBIAN_IMAGE}`);
  await podman(['import', '--change', `LABEL ${STAND_IN_LABEL}=${id}`, '--change', 'CMD ["bash"]', tarball, DEBIAN_IMAGE]);
  return DEBIAN_IMAGE;
}

// What the official Debian images configure: apt removes its package caches after each install
// (without this a Dockerfile's `rm -rf /var/lib/apt/lists/*` still leaves ~80 MB of *.bin behind),
// and the mount point for the build's CA bundle, so that a build leaves no new file behind.
const OFFICIAL_DEBIAN = String.raw`RUN printf '%s\n' \
  'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
  'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
  'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' > /etc/apt/apt.conf.d/docker-clean \
 && printf '%s\n' 'Acquire::Languages "none";' > /etc/apt/apt.conf.d/docker-no-languages \
 && mkdir -p ${dirname(BUILD_CA_BUNDLE)} && touch ${BUILD_CA_BUNDLE}`;
// The -slim variants also keep documentation out of every package dpkg installs.
const OFFICIAL_SLIM = String.raw`RUN printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
  'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' \
  'path-exclude /usr/share/lintian/*' 'path-exclude /usr/share/linda/*' 'path-exclude /usr/share/locale/*' \
  > /etc/dpkg/dpkg.cfg.d/docker \
 && find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete && rm -rf /usr/share/man/* /usr/share/info/*`;

type StandIn = { image: string; containerfile: string; contexts: Record<string, string> };

async function build(podman: Podman, standIn: StandIn, log: Log): Promise<void> {
  const id = hash(standIn.containerfile, ...Object.values(standIn.contexts));
  if ((await imageLabel(podman, qualified(standIn.image), STAND_IN_LABEL)) === id) return;
  log(`building the stand-in ${standIn.image}`);
  const dir = await mkdtemp(join(imageCacheRoot(), 'stand-in-'));
  try {
    await writeFile(join(dir, 'Containerfile'), standIn.containerfile);
    await podman(
      [
        'build',
        '--isolation=chroot',
        '--network=host',
        '--pull=never',
        '--label',
        `${STAND_IN_LABEL}=${id}`,
        ...Object.entries(standIn.contexts).flatMap(([name, path]) => ['--build-context', `${name}=${path}`]),
        '-t',
        qualified(standIn.image),
        '-f',
        join(dir, 'Containerfile'),
        dir,
      ],
      { stdout: 'ignore' },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The GOROOT of the wanted Go: this machine's when it matches, else the toolchain module from the Go proxy. */
async function goroot(version: string): Promise<string> {
  const { stdout } = await execa('go', ['env', 'GOROOT', 'GOVERSION'], { env: { ...process.env, GOTOOLCHAIN: `go${version}` } });
  const [dir = '', found = ''] = stdout.split('\n');
  if (found !== `go${version}`) throw new Error(`expected Go ${version}, the toolchain switch gave ${found}`);
  return dir;
}

/** npm at NPM_VERSION, unpacked from its registry tarball (it bundles its own dependencies). */
async function npmPackage(): Promise<string> {
  const dir = join(imageCacheRoot(), `npm-${NPM_VERSION}`);
  if (existsSync(join(dir, 'package', 'bin', 'npm-cli.js'))) return join(dir, 'package');
  const work = `${dir}.tmp`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const { stdout } = await execa('npm', ['pack', '--silent', `npm@${NPM_VERSION}`], { cwd: work });
  await execa('tar', ['-xzf', stdout.trim().split('\n').at(-1)!], { cwd: work });
  await rm(dir, { recursive: true, force: true });
  await rename(work, dir);
  return join(dir, 'package');
}

/** The `node` package's binary, which must be the Node the Dockerfile names. */
async function nodeBinary(version: string): Promise<string> {
  const { version: installed } = JSON.parse(await readFile(join(root, 'node_modules', 'node', 'package.json'), 'utf8')) as { version: string };
  if (installed !== version) throw new Error(`the Dockerfile wants Node ${version}, node_modules has the node package at ${installed} (run npm ci)`);
  return join(root, 'node_modules', 'node', 'bin');
}

/** Makes (or finds in the cache) both stand-ins; returns the names the Dockerfile uses. */
export async function ensureBaseImages(podman: Podman, log: Log): Promise<string[]> {
  const bases = await dockerfileBases();
  const goVersion = versionOf(bases.golang, /-bookworm$/);
  const nodeVersion = versionOf(bases.node, /-bookworm-slim$/);
  const debian = await debianImage(podman, log);
  const debianId = (await imageLabel(podman, debian, STAND_IN_LABEL)) ?? '';
  // As the official golang image: git and CA roots for modules, Go in /usr/local/go, GOPATH /go.
  await build(
    podman,
    {
      image: bases.golang,
      contexts: { go: await goroot(goVersion) },
      containerfile: `FROM ${debian}
LABEL ${STAND_IN_LABEL}.debian=${debianId}
${OFFICIAL_DEBIAN}
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates git && rm -rf /var/lib/apt/lists/*
COPY --from=go . /usr/local/go
ENV GOLANG_VERSION=${goVersion} GOTOOLCHAIN=local SSL_CERT_FILE=${BUILD_CA_BUNDLE} GOPATH=/go PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
`,
    },
    log,
  );
  // As the official node slim image: node and npm in /usr/local, the unprivileged user node (1000).
  await build(
    podman,
    {
      image: bases.node,
      contexts: { node: await nodeBinary(nodeVersion), npm: await npmPackage() },
      containerfile: `FROM ${debian}
LABEL ${STAND_IN_LABEL}.debian=${debianId}
${OFFICIAL_DEBIAN}
${OFFICIAL_SLIM}
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY --from=node node /usr/local/bin/node
COPY --from=npm . /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version | grep -qx v${nodeVersion} && npm --version | grep -qx ${NPM_VERSION} \\
 && mkdir -p /usr/local/etc && echo cafile=${BUILD_CA_BUNDLE} > /usr/local/etc/npmrc \\
 && rm -rf /tmp/* /root/.npm
ENV NODE_VERSION=${nodeVersion}
CMD ["node"]
`,
    },
    log,
  );
  return [bases.golang, bases.node];
}
