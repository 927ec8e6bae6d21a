import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SANDBOX_VERSIONS } from '../../sandbox/versions.ts';

// No Docker engine runs here, so the Dockerfile is checked by reading it: its stages, pins, user,
// entrypoint and what goes into the final image.
const root = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');

type Instruction = { keyword: string; args: string; stage: string };

/** Instructions with continuation lines joined and comments dropped, each tagged with its stage. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue; // comments inside a continued RUN
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  let stage = '';
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') stage = /\sAS\s+(\S+)$/i.exec(line)?.[1] ?? '';
    return { keyword: keyword.toUpperCase(), args, stage };
  });
}

const instructions = parseDockerfile(read('Dockerfile'));
const froms = instructions.filter((i) => i.keyword === 'FROM');
const inStage = (stage: string, keyword?: string) => instructions.filter((i) => i.stage === stage && (!keyword || i.keyword === keyword));
const imageOf = (from: Instruction) => from.args.split(/\s+/)[0] as string;
const finalStage = froms.at(-1)!.stage;
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string }> };
const nodeVersion = lock.packages['node_modules/node']?.version;

describe('Dockerfile', () => {
  it('is multi-stage, every stage named, and the runtime stage last', () => {
    expect(froms.length).toBeGreaterThanOrEqual(3);
    for (const from of froms) expect(from.stage, from.args).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(finalStage).toBe('runtime');
  });

  it('pins every base image to an exact version tag, never latest or a floating major', () => {
    for (const from of froms) {
      const image = imageOf(from);
      expect(image, image).toMatch(/^[a-z0-9./-]+:v?\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });

  it('runs the Node 24 the project develops with (the `node` package version), slim', () => {
    expect(nodeVersion).toMatch(/^24\.\d+\.\d+$/);
    expect(imageOf(froms.find((f) => f.stage === 'runtime')!)).toBe(`node:${nodeVersion}-bookworm-slim`);
    expect(imageOf(froms.find((f) => f.stage === 'deps')!)).toBe(`node:${nodeVersion}-bookworm-slim`);
  });

  it('installs production dependencies only, from the lockfile, and the runtime takes node_modules from that stage', () => {
    const runs = inStage('deps', 'RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev\b/.test(r))).toBe(true);
    expect(instructions.some((i) => i.keyword === 'RUN' && /\bnpm (install|i)\b/.test(i.args))).toBe(false);
    expect(inStage('deps', 'COPY').map((i) => i.args)).toContain('package.json package-lock.json ./');
    expect(inStage('runtime', 'COPY').map((i) => i.args)).toContain('--from=deps /app/node_modules ./node_modules');
  });

  it("builds the pinned Helm (the sandbox's version) from its Go module and copies only the binary", () => {
    const arg = instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith('HELM_VERSION='));
    expect(arg?.args).toBe(`HELM_VERSION=${SANDBOX_VERSIONS.helm}`);
    expect(arg?.stage).toBe(''); // global, so every stage sees one value
    const helmStage = froms.find((f) => imageOf(f).startsWith('golang:'))!;
    const build = inStage(helmStage.stage, 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(build).toMatch(/go install .*"helm\.sh\/helm\/v4\/cmd\/helm@\$\{HELM_VERSION\}"/);
    expect(build).toContain('helm.sh/helm/v4/internal/version.version=${HELM_VERSION}');
    expect(inStage('runtime', 'COPY').map((i) => i.args)).toContain(`--from=${helmStage.stage} /out/helm /usr/local/bin/helm`);
    expect(
      inStage('runtime', 'ENV')
        .map((i) => i.args)
        .join(' '),
    ).toContain('HELM_BINARY=/usr/local/bin/helm');
  });

  it('ships the charts, the default config and the sources, and nothing from test/', () => {
    const copies = inStage('runtime', 'COPY').map((i) => i.args);
    expect(copies).toEqual(expect.arrayContaining(['charts ./charts', 'config ./config', 'src ./src']));
    expect(copies.some((c) => /\btest\b|\bbench\b|\.sandbox/.test(c))).toBe(false);
  });

  it('runs as a numeric non-root user', () => {
    const users = inStage('runtime', 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args;
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    // Nothing after the last USER switches back.
    const index = instructions.lastIndexOf(users.at(-1)!);
    expect(instructions.slice(index + 1).filter((i) => i.keyword === 'USER')).toEqual([]);
  });

  it('has tini as PID 1 in front of node, with the mode as the overridable argument', () => {
    const runs = inStage('runtime', 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(runs).toMatch(/apt-get install [^\n]*\btini=\S+/);
    expect(JSON.parse(inStage('runtime', 'ENTRYPOINT').at(-1)!.args)).toEqual(['tini', '--', 'node', 'src/main.ts']);
    expect(JSON.parse(inStage('runtime', 'CMD').at(-1)!.args)).toEqual(['all']);
  });
});

describe('production dependencies', () => {
  it('cover every package src/ imports, since the image installs nothing else', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const files = readdirSync(resolve(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const imported = new Set<string>();
    for (const file of files) {
      for (const [, specifier] of read(join('src', file)).matchAll(/(?:from|import\()\s*'([^'.][^']*)'/g)) {
        const name = specifier!.startsWith('@') ? specifier!.split('/').slice(0, 2).join('/') : specifier!.split('/')[0]!;
        if (!name.startsWith('node:') && !builtinModules.includes(name)) imported.add(name);
      }
    }
    expect(imported.size).toBeGreaterThan(5);
    for (const name of imported) expect(Object.keys(pkg.dependencies), name).toContain(name);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, VCS data, the sandbox and tests out of the build context', () => {
    const entries = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(entries).toEqual(expect.arrayContaining(['**/node_modules', '.git', '.sandbox', 'test', '.env']));
    for (const needed of ['src', 'config', 'charts', 'package.json', 'package-lock.json']) expect(entries).not.toContain(needed);
  });
});
