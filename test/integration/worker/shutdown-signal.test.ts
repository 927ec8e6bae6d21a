import { once } from 'node:events';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const script = resolve(import.meta.dirname, 'support/signal-during-child.ts');

describe('a shutdown signal while a child process runs', () => {
  it('drains and exits 0 instead of dying of the signal (execa cleanup re-raised it past a once listener)', async () => {
    const run = execa(process.execPath, [script], { reject: false, stdout: 'pipe' });
    let output = '';
    run.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    while (!output.includes('ready')) await once(run.stdout!, 'data');
    run.kill('SIGTERM');
    const result = await run;
    expect({ exitCode: result.exitCode, signal: result.signal, output }).toEqual({ exitCode: 0, signal: undefined, output: 'ready\ndrained\n' });
  });
});
