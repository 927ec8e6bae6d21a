/**
 * Runs `visit` on every item of `source` with at most `limit` visits in flight, pulling the next
 * item only when a slot frees, so a sweep over 1,000 tenants takes the time of 1,000 / limit
 * round trips without holding 1,000 requests open at once. `visit` handles its own errors: one
 * that throws stops the walk and rejects, like a plain loop would.
 */
export async function eachAtMost<T>(source: AsyncIterable<T> | Iterable<T>, limit: number, visit: (item: T) => Promise<void>): Promise<void> {
  // Lanes share one iterator; an async generator (every tenant source, and the one an array is
  // wrapped in) queues calls to `next` that overlap, so each item still goes to exactly one lane.
  const iterator = (Symbol.asyncIterator in source ? source : inSequence(source))[Symbol.asyncIterator]();
  let failed = false;
  const lane = async () => {
    for (let step = await iterator.next(); !step.done && !failed; step = await iterator.next()) {
      try {
        await visit(step.value);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, limit) }, lane));
  } finally {
    await iterator.return?.();
  }
}

async function* inSequence<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
