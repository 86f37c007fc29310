import { z } from 'zod';
import { bytes, csv, durationMs, heapGrowingEnv, int, kafkaEnv, logEnv, port, REFUSED_WHEN_EMPTY, requireSaslCredentials, type Config } from '../../shared/edge/config/index.ts';

/**
 * Who may send and how long a connection may take (issue 10): bearer tokens, TLS, timeouts. The
 * all-in-one composes them too; apply `checkReceiverEdge` to a schema that does.
 */
export const receiverEdgeEnv = {
  RECEIVER_AUTH_TOKENS: csv().pipe(z.array(z.string().regex(/^[\x21-\x7e]+$/, 'a token is printable ASCII without spaces')).min(1)).optional()
    .describe('comma-separated bearer tokens; when set (or RECEIVER_AUTH_TOKENS_FILE), span requests without `Authorization: Bearer <one of them>` get 401 before their body is read (/health/* and /metrics stay open); set but empty is refused')
    .register(REFUSED_WHEN_EMPTY, { instead: 'authentication would be off; give the tokens, or unset it to turn authentication off' }),
  RECEIVER_AUTH_TOKENS_FILE: z.string().min(1).optional()
    .describe('file of bearer tokens, one per line (# comments), re-read every RECEIVER_FILE_RELOAD_INTERVAL; instead of RECEIVER_AUTH_TOKENS')
    .register(REFUSED_WHEN_EMPTY, { instead: 'authentication would be off; give the file, or unset it to turn authentication off' }),
  RECEIVER_TLS_CERT: z.string().min(1).optional()
    .describe('PEM certificate chain file: serve HTTPS (with RECEIVER_TLS_KEY); a rotated pair is picked up every RECEIVER_FILE_RELOAD_INTERVAL')
    .register(REFUSED_WHEN_EMPTY, { instead: 'TLS would be off; give the file, or unset it to serve plain HTTP' }),
  RECEIVER_TLS_KEY: z.string().min(1).optional().describe('PEM private key file of RECEIVER_TLS_CERT')
    .register(REFUSED_WHEN_EMPTY, { instead: 'TLS would be off; give the file, or unset it to serve plain HTTP' }),
  RECEIVER_FILE_RELOAD_INTERVAL: durationMs({ min: 100, unitBelow: 1000 }).default(10_000)
    .describe('how often RECEIVER_AUTH_TOKENS_FILE and the TLS files are re-read (a change is used by new requests/connections)'),
  RECEIVER_HEADERS_TIMEOUT: durationMs({ min: 100, unitBelow: 1000 }).default(10_000)
    .describe('longest time a connection may take to send a request\'s headers (slow-loris senders); past it the connection is answered 408 and closed'),
  RECEIVER_REQUEST_TIMEOUT: durationMs({ min: 100, unitBelow: 1000 }).default(30_000)
    .describe('longest time a request (headers and body) may take to arrive (a stalled body); past it → 408 and the connection is closed'),
  RECEIVER_KEEP_ALIVE_TIMEOUT: durationMs({ min: 100, unitBelow: 1000, orZero: true }).default(72_000)
    .describe('how long an idle keep-alive connection is kept open between requests (longer than Envoy\'s and most clients\' reuse window); 0 = no limit (node\'s meaning)'),
  RECEIVER_CONNECTION_TIMEOUT: durationMs({ min: 100, unitBelow: 1000, orZero: true }).default(0)
    .describe('socket inactivity timeout (no bytes either way); 0 = none beyond the headers, request and keep-alive timeouts'),
  RECEIVER_MAX_CONNECTIONS: int(0).default(0)
    .describe('most connections open at once; a connection past it is closed on arrival and counted (meshray_receiver_connections_dropped_total). 0 = no limit but the process\'s open-file limit (past that, new connections are closed on arrival uncounted, and Kafka connections cannot open either): set it below `ulimit -n` minus a few hundred'),
};

interface EdgeKeys {
  readonly RECEIVER_AUTH_TOKENS?: readonly string[] | undefined;
  readonly RECEIVER_AUTH_TOKENS_FILE?: string | undefined;
  readonly RECEIVER_TLS_CERT?: string | undefined;
  readonly RECEIVER_TLS_KEY?: string | undefined;
  readonly RECEIVER_HEADERS_TIMEOUT: number;
  readonly RECEIVER_REQUEST_TIMEOUT: number;
}

/** Tokens or a token file, not both; a TLS certificate with its key; headers within the request timeout (node refuses otherwise). */
export function checkReceiverEdge(c: EdgeKeys, ctx: z.RefinementCtx): void {
  if (c.RECEIVER_AUTH_TOKENS !== undefined && c.RECEIVER_AUTH_TOKENS_FILE !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['RECEIVER_AUTH_TOKENS_FILE'], message: 'set RECEIVER_AUTH_TOKENS or RECEIVER_AUTH_TOKENS_FILE, not both' });
  }
  if ((c.RECEIVER_TLS_CERT === undefined) !== (c.RECEIVER_TLS_KEY === undefined)) {
    const missing = c.RECEIVER_TLS_CERT === undefined ? 'RECEIVER_TLS_CERT' : 'RECEIVER_TLS_KEY';
    ctx.addIssue({ code: 'custom', path: [missing], message: `is required with ${missing === 'RECEIVER_TLS_CERT' ? 'RECEIVER_TLS_KEY' : 'RECEIVER_TLS_CERT'}` });
  }
  if (c.RECEIVER_HEADERS_TIMEOUT > c.RECEIVER_REQUEST_TIMEOUT) {
    ctx.addIssue({ code: 'custom', path: ['RECEIVER_HEADERS_TIMEOUT'], message: `must not exceed RECEIVER_REQUEST_TIMEOUT (${c.RECEIVER_REQUEST_TIMEOUT} ms)` });
  }
}

/** The receiver's environment: shared fragments plus its own keys. Every key is described (README table). */
export const receiverEnvSchema = z.object({
  ...logEnv,
  ...heapGrowingEnv(300),
  ...kafkaEnv,
  RECEIVER_PORT: port().default(9411).describe('port of the Zipkin-compatible HTTP endpoint (also serves /health and /metrics)'),
  RECEIVER_HOST: z.string().min(1).default('0.0.0.0').describe('address the HTTP endpoint listens on: 0.0.0.0 takes IPv4 only; `::` takes IPv6 and IPv4 on a dual-stack host, and is what an IPv6-only cluster (EKS with IPv6) needs'),
  // At least 1kb: a bare number is bytes, and `MAX_BODY_BYTES=5` (meant as 5mb) refused every request 413 (found by the newcomer trial).
  MAX_BODY_BYTES: bytes().pipe(z.number().int().min(1024, 'at least 1kb: a bare number is bytes (write 5mb for 5 MiB); one Envoy POST of 5 spans is about 4 KB').max(512 * 1024 ** 2, 'at most 512mb: every request body is held in memory whole, and Envoy posts far less')).default(5 * 1024 ** 2)
    .describe('largest request body after decompression (the raw body is held to the same limit); larger → 413 BODY_TOO_LARGE'),
  MAX_SPANS_PER_REQUEST: int(1).default(10_000).describe('most spans one request may carry; more → 413 TOO_MANY_SPANS'),
  ACK_MODE: z.enum(['kafka', 'buffer']).default('kafka')
    .describe('kafka: answer 202 once Kafka acknowledged the spans; buffer: answer 202 once they are in the bounded in-memory buffer'),
  ACK_TIMEOUT: durationMs({ min: 100 }).default(3000)
    .describe('ACK_MODE=kafka: longest wait for the Kafka acknowledgement before answering 503 ACK_TIMEOUT (the spans stay queued)'),
  BUFFER_MAX_SPANS: int(1).default(50_000).describe('spans held in memory awaiting Kafka acknowledgement; a request that does not fit → 503 BUFFER_FULL'),
  BATCH_LINGER: durationMs().refine((ms) => ms <= 1000, 'at most 1s: every span waits this long for Kafka, and Envoy times out its POST').default(5)
    .describe('how long the first buffered span waits for others to share its Kafka batch (at most 1s, and at most half of ACK_TIMEOUT with ACK_MODE=kafka)'),
  BATCH_MAX_MESSAGES: int(1).default(1000).describe('most spans in one Kafka sendBatch call (whole requests; they travel as one span-list record per partition)'),
  SPANS_TOPIC_PARTITIONS: int(1).default(6).describe('partitions of SPANS_TOPIC when the receiver creates it; an existing topic keeps its own count, which spans are keyed over (a warning says so when the two differ)'),
  SPANS_TOPIC_CHECK_INTERVAL: durationMs({ min: 100, unitBelow: 1000 }).pipe(z.number().max(86_400_000, 'at most 24h')).default(15_000)
    .describe('how often the receiver asks Kafka for the span topic\'s metadata: partitions raised since are keyed over at once, and a Kafka that does not answer makes an idle receiver (no send for two intervals) unready'),
  SPANS_TOPIC_REPLICATION_FACTOR: int(-1, 32767).refine((n) => n !== 0, 'must be -1 (broker default) or at least 1').default(-1)
    .describe('replication factor of SPANS_TOPIC when the receiver creates it; -1 takes the broker\'s default.replication.factor'),
  ...receiverEdgeEnv,
  SHUTDOWN_DRAIN_TIMEOUT: durationMs({ min: 1000 }).default(10_000)
    .describe('on shutdown, how long buffered spans may take to reach Kafka before the rest are counted as dropped_at_shutdown'),
}).superRefine((c, ctx) => {
  requireSaslCredentials(c, ctx);
  checkReceiverEdge(c, ctx);
  checkRequestFitsBuffer(c, ctx);
  // the other half is Kafka's round trip: a linger just under ACK_TIMEOUT still timed out every quiet request (found by the diff review)
  if (c.ACK_MODE === 'kafka' && c.BATCH_LINGER * 2 > c.ACK_TIMEOUT) {
    ctx.addIssue({ code: 'custom', path: ['BATCH_LINGER'],
      message: `must be at most half of ACK_TIMEOUT (${c.ACK_TIMEOUT} ms) with ACK_MODE=kafka: a request alone waits out the linger, then Kafka's round trip, before its 202` });
  }
});

/**
 * A request of MAX_SPANS_PER_REQUEST spans must fit BUFFER_MAX_SPANS: one that cannot would be answered 503
 * BUFFER_FULL (retryable) on every retry. Checked by the receiver and the all-in-one.
 */
export function checkRequestFitsBuffer(c: { MAX_SPANS_PER_REQUEST: number; BUFFER_MAX_SPANS: number }, ctx: z.RefinementCtx): void {
  if (c.MAX_SPANS_PER_REQUEST > c.BUFFER_MAX_SPANS) {
    ctx.addIssue({ code: 'custom', path: ['MAX_SPANS_PER_REQUEST'],
      message: `must not exceed BUFFER_MAX_SPANS (${c.BUFFER_MAX_SPANS}): such a request could never be buffered` });
  }
}

export type ReceiverConfig = Config<typeof receiverEnvSchema>;
