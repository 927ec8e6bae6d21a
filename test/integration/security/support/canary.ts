import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';

/** A secret value and the spellings it could leak in: as is, and base64 as Secret `data` carries it. */
export type Canary = { name: string; value: string };

export function spellings(canary: Canary): string[] {
  return [canary.value, Buffer.from(canary.value).toString('base64'), Buffer.from(canary.value).toString('base64url')];
}

/** Where each canary appears in `text` (the place is named by `where`). */
export function findCanaries(canaries: Canary[], where: string, text: string): string[] {
  return canaries.filter((c) => spellings(c).some((s) => text.includes(s))).map((c) => `${c.name} in ${where}`);
}

/**
 * A stand-in for the Helm binary that appends its argv, the contents of every values file it is
 * given and its environment to files in a directory of its own, then execs the real binary.
 */
export async function recordingHelm(realHelm: string) {
  const dir = await mkdtemp(join(tmpdir(), 'canary-helm-'));
  const script = join(dir, 'helm');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  await writeFile(
    script,
    [
      '#!/bin/sh',
      `log=${q(join(dir, 'argv.log'))}`,
      '{',
      '  printf "ARGV"; for a in "$@"; do printf " %s" "$a"; done; printf "\\n"',
      '  prev=""',
      '  for a in "$@"; do',
      '    if [ "$prev" = "--values" ] || [ "$prev" = "-f" ]; then printf "VALUES %s\\n" "$a"; cat "$a"; printf "\\n"; fi',
      '    prev="$a"',
      '  done',
      `} >> "$log"`,
      `env >> ${q(join(dir, 'env.log'))}`,
      `exec ${q(realHelm)} "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(script, 0o755);
  const read = (name: string) => readFile(join(dir, name), 'utf8').catch(() => '');
  return {
    binary: script,
    argv: () => read('argv.log'),
    env: () => read('env.log'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Everything under os.tmpdir() whose name starts with `tp-` and that was not there when this
 * started: polled while the test runs (Helm's values files live only as long as one command) and
 * read once more at the end. Files of other tests running beside this one are read too; they cannot
 * hold this test's canaries unless something leaked them.
 */
export async function watchTempFiles(intervalMs = 25) {
  const root = tmpdir();
  const before = new Set((await readdir(root)).filter((n) => n.startsWith('tp-')));
  const seen = new Map<string, string>();
  let busy = false;

  async function readTree(path: string): Promise<void> {
    const info = await stat(path).catch(() => undefined);
    if (!info) return;
    if (info.isDirectory()) {
      for (const entry of await readdir(path).catch(() => [])) await readTree(join(path, entry));
    } else if (info.isFile() && info.size <= 4 * 1024 * 1024) {
      const text = await readFile(path, 'latin1').catch(() => undefined);
      if (text !== undefined) seen.set(`${path}@${info.size}:${info.mtimeMs}`, text);
    }
  }
  async function scan() {
    if (busy) return;
    busy = true;
    try {
      for (const name of await readdir(root)) if (name.startsWith('tp-') && !before.has(name)) await readTree(join(root, name));
    } finally {
      busy = false;
    }
  }
  const timer = setInterval(() => void scan(), intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      while (busy) await new Promise((r) => setTimeout(r, 5));
      await scan();
      return seen;
    },
  };
}

/**
 * Every key under `pattern` with its full contents, read by type (strings, hashes, lists, sets,
 * sorted sets, streams) as raw bytes, plus the DUMP serialisation, as one latin1 text per key.
 */
export async function redisContents(redis: Redis, pattern: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const parts: Buffer[] = [Buffer.from(key)];
      if (type === 'string') parts.push((await redis.getBuffer(key)) ?? Buffer.alloc(0));
      else if (type === 'hash') parts.push(...Object.entries(await redis.hgetallBuffer(key)).flatMap(([f, v]) => [Buffer.from(f), v]));
      else if (type === 'list') parts.push(...(await redis.lrangeBuffer(key, 0, -1)));
      else if (type === 'set') parts.push(...(await redis.smembersBuffer(key)));
      else if (type === 'zset') parts.push(...(await redis.zrangeBuffer(key, 0, -1)));
      else if (type === 'stream') parts.push(...(await redis.xrangeBuffer(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]));
      const dump = await redis.dumpBuffer(key);
      if (dump) parts.push(dump);
      out.set(`${type} ${key}`, parts.map((p) => p.toString('latin1')).join('\n'));
    }
  } while (cursor !== '0');
  return out;
}
