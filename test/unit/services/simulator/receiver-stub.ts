/**
 * A tiny Zipkin receiver for the simulator's tests, records every body and answers as scripted: on
 * 127.0.0.1:0 (`startReceiverStub`, for the transports themselves) or in memory (`memoryReceiver`, for
 * tests that run on mock timers).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PostTransport } from '../../../../services/simulator/send/transport.ts';

export interface StubAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface ReceivedPost {
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: string;
  readonly answer: number;
  readonly atMs: number;
}

export interface ReceiverStub {
  readonly target: string;
  readonly posts: ReceivedPost[];
  close(): Promise<void>;
}

/** `answer` gets the 1-based number of the POST; default 202 always. */
export async function startReceiverStub(answer: (call: number, body: string) => StubAnswer = () => ({ status: 202 })): Promise<ReceiverStub> {
  const posts: ReceivedPost[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const a = answer(posts.length + 1, body);
      posts.push({ url: req.url ?? '', contentType: req.headers['content-type'], body, answer: a.status, atMs: Date.now() });
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `http://127.0.0.1:${port}`,
    posts,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface MemoryReceiver {
  /** Pass as `transport`: POSTs never leave the process, so tests can run on mock timers. */
  readonly transport: PostTransport;
  readonly posts: ReceivedPost[];
}

/** The stub's answers without a socket: a PostTransport that records every body and answers as scripted. */
export function memoryReceiver(answer: (call: number, body: string) => StubAnswer = () => ({ status: 202 })): MemoryReceiver {
  const posts: ReceivedPost[] = [];
  const transport: PostTransport = async (url, body) => {
    const a = answer(posts.length + 1, body);
    posts.push({ url: new URL(url).pathname, contentType: 'application/json', body, answer: a.status, atMs: Date.now() });
    return { status: a.status, retryAfter: a.headers?.['retry-after'], text: a.body ?? '' };
  };
  return { transport, posts };
}
