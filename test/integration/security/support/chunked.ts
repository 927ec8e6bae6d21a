import { request } from 'node:http';

export type ChunkedAnswer = { status: number; body: string; headers: Record<string, string | string[] | undefined>; sentWhenAnswered: number };

/**
 * Streams `totalBytes` as a chunked request body (no Content-Length, so the server can only count
 * while reading) and resolves as soon as the answer arrives, with how many bytes had been written by
 * then: a server that refuses while reading answers long before the last byte. Stops writing once
 * answered; a server that closes the connection on an unread body is fine.
 */
export function sendChunked(url: string, method: string, headers: Record<string, string>, totalBytes: number): Promise<ChunkedAnswer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const req = request(url, { method, headers: { ...headers, 'Transfer-Encoding': 'chunked' } });
    req.on('response', (res) => {
      answered = true;
      const sentWhenAnswered = sent;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers, sentWhenAnswered });
        req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.write('{"pad":"');
    // Paced (one chunk every 2 ms, 32 MB/s): loopback socket buffers hold megabytes, so an unpaced
    // client would have "sent" most of the body before any server could answer.
    const pump = () => {
      if (answered) return;
      if (sent >= totalBytes) {
        req.end('"}');
        return;
      }
      sent += chunk.length;
      if (req.write(chunk)) setTimeout(pump, 2);
      else req.once('drain', () => setTimeout(pump, 2));
    };
    pump();
  });
}
