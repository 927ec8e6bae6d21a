/**
 * Runs `visit` on every item of `source` with at most `limit` visits in flight, pulling the next
 * item only when a slot frees, so a sweep over 1,000 tenants takes the time of 1,000 / limit
 * round trips without holding 1,000 requests open at once. `visit` handles its own errors: one
 * that throws stops the walk and rejects, like a plain loop would.
 */
export async function eachAtMost<T>(source: AsyncIterable<T>, limit: number, visit: (item: T) => Promise<void>): Promise<void> {
  const iterator = source[Symbol.asyncIterator]();
  let failed = false;
  // One iterator shared by the lanes; each `next` is awaited before the lane asks again, and the
  // lanes' calls are serialised here so an async generator never sees two at once.
  let pulling: Promise<unknown> = Promise.resolve();
  const next = (): Promise<IteratorResult<T>> => {
    const result = pulling.then(() => iterator.next());
    pulling = result.catch(() => undefined);
    return result;
  };
  const lane = async () => {
    for (let step = await next(); !step.done && !failed; step = await next()) {
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
