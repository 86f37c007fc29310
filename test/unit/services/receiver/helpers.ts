import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { MeshrayError, type ErrorCode } from '../../../../shared/edge/errors/index.ts';
import { silentLogger } from '../../../../shared/edge/log/index.ts';
import { createRegistry } from '../../../../shared/edge/metrics/registry.ts';
import type { Span } from '../../../../shared/core/zipkin/span.ts';
import { buildApp } from '../../../../services/receiver/app.ts';
import type { SpanPublisher } from '../../../../services/receiver/publish/span-publisher.ts';

export const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/zipkin/${name}`, import.meta.url), 'utf8');

/** A unit-level stand-in for the publish port: records what it is given, or refuses with `failWith`. */
export class RecordingPublisher implements SpanPublisher {
  readonly published: Span[][] = [];
  failWith: ErrorCode | undefined;
  /** When true, whyFull answers why: the route must refuse before decoding. */
  full = false;
  /** Spans it refuses alone, as the Kafka publisher refuses one too large for a record. */
  refuseAlone: (span: Span) => boolean = () => false;
  whyFull(): string | undefined {
    return this.full ? 'recording publisher is full (test)' : undefined;
  }
  publish(spans: readonly Span[]): Promise<readonly Span[]> {
    if (this.failWith) return Promise.reject(new MeshrayError(this.failWith));
    const refused = spans.filter((s) => this.refuseAlone(s));
    this.published.push(spans.filter((s) => !refused.includes(s)));
    return Promise.resolve(refused);
  }
  get spans(): Span[] {
    return this.published.flat();
  }
}

export function makeApp(options: { maxBodyBytes?: number; maxSpans?: number; ready?: true | string } = {}) {
  const publisher = new RecordingPublisher();
  const registry = createRegistry();
  let ready: true | string = options.ready ?? true;
  const app = buildApp({
    config: { MAX_BODY_BYTES: options.maxBodyBytes ?? 5 * 1024 * 1024, MAX_SPANS_PER_REQUEST: options.maxSpans ?? 10_000 },
    publisher,
    logger: silentLogger(),
    registry,
    isReady: () => ready,
  });
  return { app, publisher, registry, setReady: (r: true | string) => { ready = r; } };
}

/** Encodes v2 JSON-shaped spans as a zipkin.proto3.ListOfSpans body. */
export function toProtoBody(spans: readonly Record<string, unknown>[]): Buffer {
  const root = protobuf.loadSync(new URL('../../../../shared/core/zipkin/proto/zipkin.proto', import.meta.url).pathname);
  const ListOfSpans = root.lookupType('zipkin.proto3.ListOfSpans');
  const hex = (s: unknown) => Buffer.from(String(s), 'hex');
  const kinds: Record<string, number> = { CLIENT: 1, SERVER: 2, PRODUCER: 3, CONSUMER: 4 };
  const msg = ListOfSpans.fromObject({
    spans: spans.map((s) => ({
      traceId: hex(s['traceId']),
      id: hex(s['id']),
      ...(s['parentId'] ? { parentId: hex(s['parentId']) } : {}),
      ...(s['kind'] ? { kind: kinds[String(s['kind'])] } : {}),
      ...(s['name'] ? { name: s['name'] } : {}),
      ...(s['timestamp'] ? { timestamp: s['timestamp'] } : {}),
      ...(s['duration'] ? { duration: s['duration'] } : {}),
      ...(s['localEndpoint'] ? { localEndpoint: { serviceName: (s['localEndpoint'] as { serviceName?: string }).serviceName } } : {}),
      ...(s['tags'] ? { tags: s['tags'] } : {}),
    })),
  });
  return Buffer.from(ListOfSpans.encode(msg).finish());
}
