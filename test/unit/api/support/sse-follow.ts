import { parseSse, type SseMessage } from './sse.ts';

/** Reads a stream's messages as they come, without cancelling it in between. */
export function followSse(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let closed = false;
  const messages = () => parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2));
  return {
    messages,
    get closed() {
      return closed;
    },
    async until(done: (m: SseMessage[]) => boolean, timeoutMs = 3_000): Promise<SseMessage[]> {
      const deadline = Date.now() + timeoutMs;
      while (!done(messages())) {
        if (closed || Date.now() > deadline) throw new Error(`SSE: ${closed ? 'closed' : 'timed out'}; got ${JSON.stringify(messages())}`);
        let timer: NodeJS.Timeout | undefined;
        const chunk = await Promise.race([
          reader.read(),
          new Promise<'tick'>((r) => (timer = setTimeout(() => r('tick'), Math.max(1, deadline - Date.now())))),
        ]).finally(() => clearTimeout(timer));
        if (chunk === 'tick') continue;
        if (chunk.done) closed = true;
        else text += decoder.decode(chunk.value, { stream: true });
      }
      return messages();
    },
    cancel: () => reader.cancel(),
  };
}
