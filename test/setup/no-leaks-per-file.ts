import { afterAll, expect } from 'vitest';
import { activeResources, leakedAfterGrace } from './active-resources.ts';
import { trackTimers } from './timer-origins.ts';

/**
 * Fails a test file that leaves a socket, server, timer, child process or fs call behind once its
 * afterAll hooks ran. Setup files run before the test file is imported, so the baseline is what
 * vitest itself holds (its channel to the main process, stdio); this afterAll is registered first
 * and so, hooks running as a stack, runs after every afterAll of the file.
 */
// Long enough for what is still closing to finish: a connection closed while its peer is gone keeps
// ioredis's disconnectTimeout (2 s) timer until then. The wait ends as soon as nothing is left.
const CLOSING_GRACE_MS = 2_500;

trackTimers();
const baseline = activeResources();

afterAll(async () => {
  const lines = await leakedAfterGrace(baseline, CLOSING_GRACE_MS);
  if (lines.length > 0) {
    const file = expect.getState().testPath?.replace(`${process.cwd()}/`, '') ?? 'this test file';
    throw new Error(`${file} left these running after its afterAll hooks (close them there):\n${lines.join('\n')}`);
  }
});
