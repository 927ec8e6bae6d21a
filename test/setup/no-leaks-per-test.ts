import { afterEach, beforeEach } from 'vitest';
import { activeResources, leakedAfterGrace, type Resources } from './active-resources.ts';
import { trackTimers } from './timer-origins.ts';

/**
 * Fails a test that leaves a socket, server, timer, child process or fs call behind after its own
 * afterEach hooks (this one is registered first, so it runs last). For files whose tests are
 * independent of one another, as unit tests are; the per-file check covers what beforeAll opens.
 */
trackTimers();
let before: Resources | undefined;

beforeEach(() => {
  before = activeResources();
});

afterEach(async (context) => {
  if (!before) return;
  const lines = await leakedAfterGrace(before, 500);
  if (lines.length > 0) throw new Error(`"${context.task.name}" left these running (close or clear them in the test or an afterEach):\n${lines.join('\n')}`);
});
