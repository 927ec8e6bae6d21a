/** One parsed server-sent event; comments are kept so heartbeats can be asserted. */
export type SseMessage = { event?: string; id?: string; data?: string; comment?: string };

export function parseSse(text: string): SseMessage[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const message: SseMessage = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim();
        const match = /^(event|id|data): ?(.*)$/.exec(line);
        if (match) {
          const [, field, value] = match as unknown as [string, 'event' | 'id' | 'data', string];
          message[field] = field === 'data' && message.data !== undefined ? `${message.data}\n${value}` : value;
        }
      }
      return message;
    });
}

/**
 * Reads an event stream until `done` says so (or it closes), then cancels it as a client that goes
 * away would. Returns the messages read.
 */
export async function readSse(body: ReadableStream<Uint8Array>, done: (messages: SseMessage[]) => boolean, timeoutMs = 5_000): Promise<SseMessage[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`SSE: timed out; got ${JSON.stringify(parseSse(text))}`);
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`SSE: timed out; got ${JSON.stringify(parseSse(text))}`)), remaining);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) return parseSse(text);
      text += decoder.decode(chunk.value, { stream: true });
      const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
      const messages = parseSse(complete);
      if (done(messages)) return messages;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
