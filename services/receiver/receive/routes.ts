import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isMeshrayError, MeshrayError } from '../../../shared/edge/errors/index.ts';
import type { Logger } from '../../../shared/edge/log/index.ts';
import { decodeSpanRequest, type ApiVersion } from '../decode/index.ts';
import type { ReceiverMetrics } from '../metrics.ts';
import type { SpanPublisher } from '../publish/span-publisher.ts';
import { validateSpanCount } from '../validate/span-count.ts';
import { partialAcceptanceBody, refusedTooLarge, sendError } from './error-response.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';

export interface SpanRoutesDeps {
  readonly publisher: SpanPublisher;
  readonly maxBodyBytes: number;
  readonly maxSpansPerRequest: number;
  readonly metrics: ReceiverMetrics;
  readonly logger: Logger;
}

export const SPAN_ROUTES: Readonly<Record<ApiVersion, string>> = { v1: '/api/v1/spans', v2: '/api/v2/spans' };

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/**
 * POST /api/v2/spans and /api/v1/spans, answered like Zipkin (202, empty body). A span that stays invalid
 * after Zipkin's normalisations is refused alone: the others are published and the 202 body names each
 * refused span's index, field and reason (counted by reason, never logged). Every body arrives as a
 * raw Buffer (one catch-all content-type parser held to MAX_BODY_BYTES): media type, encoding and
 * Zipkin version are decided by the decode stage, never by fastify.
 */
export function registerSpanRoutes(app: FastifyInstance, deps: SpanRoutesDeps): void {
  const { metrics, publisher } = deps;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_req, body, done) => done(null, body));

  // Callback style (no promise per request); the counter's label children are looked up once per route and status.
  const requestCounters = new Map<string, { inc(): void }>();
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url;
    if (route === SPAN_ROUTES.v1 || route === SPAN_ROUTES.v2) {
      const key = `${reply.statusCode} ${route}`;
      let counter = requestCounters.get(key);
      if (counter === undefined) {
        counter = metrics.requests.labels({ route, status: String(reply.statusCode) });
        requestCounters.set(key, counter);
      }
      counter.inc();
    }
    done();
  });

  const handle = (version: ApiVersion) => async (req: FastifyRequest, reply: FastifyReply) => {
    const full = publisher.whyFull?.(1);
    if (full !== undefined) {
      // Refused before decoding: the body's spans are not counted, the request counts as one. The publisher
      // says why (a Kafka that takes nothing read as a bare "buffer is full" with 80 spans held: review).
      metrics.spansRefused.inc({ reason: 'buffer_full' });
      return sendError(reply, new MeshrayError('BUFFER_FULL', `${full}: retry later`));
    }
    const decoded = await decodeSpanRequest({
      version,
      body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      contentType: header(req, 'content-type'),
      contentEncoding: header(req, 'content-encoding'),
      maxBodyBytes: deps.maxBodyBytes,
    });
    if (!decoded.ok) {
      // The body's spans cannot be counted (not decodable, or a media type not read): the request counts as one.
      metrics.spansRefused.inc({ reason: decoded.error.code.toLowerCase() });
      return sendError(reply, decoded.error);
    }
    const { spans, refused, timestampUnitRepairs } = decoded.value;
    metrics.spansReceived.inc(spans.length);
    for (const r of refused) metrics.spansRefused.inc({ reason: r.reason });
    if (timestampUnitRepairs > 0) metrics.spansRepaired.inc({ reason: 'timestamp_unit_repaired' }, timestampUnitRepairs);
    const counted = validateSpanCount(spans, deps.maxSpansPerRequest);
    if (!counted.ok) {
      metrics.spansRefused.inc({ reason: counted.error.code.toLowerCase() }, spans.length);
      return sendError(reply, counted.error);
    }
    let tooLarge: readonly Span[];
    try {
      tooLarge = await publisher.publish(counted.value);
    } catch (e) {
      if (isMeshrayError(e)) metrics.spansRefused.inc({ reason: e.code.toLowerCase() }, spans.length);
      else deps.logger.error({ err: e }, 'publishing spans failed unexpectedly');
      return sendError(reply, e);
    }
    if (tooLarge.length > 0) {
      metrics.spansRefused.inc({ reason: 'span_too_large' }, tooLarge.length);
      const all = [...refused, ...refusedTooLarge(decoded.value, tooLarge)].sort((a, b) => a.index - b.index);
      if (tooLarge.length === counted.value.length) {
        // Nothing was published: a 202 would tell a client that ignores the body its spans were taken (found
        // by review). The same answer as a body whose every span the decoder refused.
        const issues = all.flatMap((r) => r.issues);
        const first = issues[0];
        return sendError(reply, new MeshrayError('BODY_MALFORMED',
          `every span of the body is refused${first === undefined ? '' : `: ${first.path} ${first.message}`}${issues.length > 1 ? ` (and ${issues.length - 1} more issues)` : ''}`,
          { issues }));
      }
      return reply.code(202).send(partialAcceptanceBody(all));
    }
    if (refused.length === 0) return reply.code(202).send();
    return reply.code(202).send(partialAcceptanceBody(refused));
  };

  app.post(SPAN_ROUTES.v2, handle('v2'));
  app.post(SPAN_ROUTES.v1, handle('v1'));
}
