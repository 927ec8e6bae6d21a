import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHost } from '../../../scripts/system-packages.ts';

// The real host behind scripts/system-packages.ts: what "installed" means on disk.
let bin: string;
beforeAll(async () => {
  bin = await mkdtemp(join(tmpdir(), 'tp-node-host-'));
  await writeFile(join(bin, 'present'), '#!/bin/sh\nexit 3\n');
  await chmod(join(bin, 'present'), 0o755);
  await writeFile(join(bin, 'not-executable'), '');
});
afterAll(() => rm(bin, { recursive: true, force: true }));

describe('nodeHost', () => {
  it('finds executables on its own PATH only, and absolute paths as they are', async () => {
    const host = nodeHost({ PATH: `/nonexistent:${bin}` });
    expect(await host.has('present')).toBe(true);
    expect(await host.has('not-executable')).toBe(false);
    expect(await host.has('sh')).toBe(false);
    expect(await host.has(join(bin, 'present'))).toBe(true);
    expect(await host.has(join(bin, 'missing'))).toBe(false);
  });

  it("reports a command's exit code, and 127 for one that cannot be spawned", async () => {
    const host = nodeHost({ PATH: bin });
    expect(await host.run(join(bin, 'present'), [])).toBe(3);
    expect(await host.run(join(bin, 'missing'), [])).toBe(127);
  });
});
