/** A tiny Zipkin receiver on 127.0.0.1:0 for the simulator's tests: records every body, answers as scripted. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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
