import type { Kafka, Message, Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import { MeshrayError } from '../../../shared/edge/errors/index.ts';
import type { Logger } from '../../../shared/edge/log/index.ts';
import { fullJitterDelayMs } from '../../../shared/edge/resilience/backoff.ts';
import { unansweredPartitions } from '../../../shared/edge/kafka/unanswered-partitions.ts';
import { encodeSpanItems } from '../../../shared/core/avro/span-codec.ts';
import { AckTickets, type AckTicket } from './ack-tickets.ts';
import {
  MAX_BATCH_PARTITION_BYTES, MAX_RECORD_BYTES, MAX_SPAN_BYTES, PRODUCER_STATE_ERROR_TYPES, hasErrorType, isRecordError, withinRecordBytes,
} from './record-limits.ts';
import { spanPartitionOf } from '../../../shared/core/span-record/partition.ts';
import { toSpanListRecord } from '../../../shared/core/span-record/record.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { receiverMetrics, type ReceiverMetrics } from '../metrics.ts';
import { DrainAdmission } from './drain-admission.ts';
import { NONE_REFUSED, type SpanPublisher } from './span-publisher.ts';
import { describeTopicError } from '../../../shared/edge/kafka/describe-error.ts';

export type AckMode = 'kafka' | 'buffer';

export interface KafkaSpanPublisherOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /**
   * Partitions of the topic (SPANS_TOPIC_PARTITIONS; `start` may give the brokers' count instead): spanPartitionOf decides each span's. A send that kafkajs
   * answers without writing every partition it was for is sent again (shared/edge/kafka/unanswered-partitions.ts:
   * a leader move mid-send, issue 10).
   */
  readonly partitions: number;
  /** kafka: publish resolves once Kafka acknowledged the spans; buffer: once they are buffered. */
  readonly ackMode: AckMode;
  readonly ackTimeoutMs: number;
  readonly bufferMaxSpans: number;
  readonly lingerMs: number;
  /** Most spans in one sendBatch (they travel as one span-list record per partition). */
  readonly batchMaxMessages: number;
  /** close(): how long buffered spans may take to reach Kafka before the rest are dropped (counted). */
  readonly drainTimeoutMs: number;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Backoff between failed sends or connects: full jitter, doubling from base up to max. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** The wall clock (ms since the epoch) for record timestamps only; default Date.now. */
  readonly nowMs?: () => number;
  /**
   * A monotonic clock (ms) for linger, ACK_TIMEOUT deadlines, the drain and send durations; default
   * performance.now. The wall clock stepping back (NTP, a VM resumed) froze the linger wait and ACK_TIMEOUT
   * for as long as the step. Timers are the global setTimeout/clearTimeout, which node:test `mock.timers`
   * replaces (tests pass their mocked Date.now here).
   */
  readonly monotonicMs?: () => number;
  /** [0, 1) for the backoff's jitter; default Math.random. */
  readonly random?: () => number;
}

/** The spans of one publish call that map to one partition, Avro-encoded (span-list items). */
interface Chunk {
  readonly partition: number;
  readonly items: Buffer;
  readonly count: number;
  /** When it was queued, on the monotonic clock (linger). */
  readonly enqueuedAtMs: number;
  /** When it was queued, on the wall clock: its record's timestamp. */
  readonly timestampMs: number;
  readonly ticket: AckTicket | undefined;
}

/**
 * Publishes spans to the span topic through one idempotent kafkajs producer (acks=all).
 *
 * kafkajs has no linger, so this adapter batches across requests: spans wait in one bounded FIFO
 * buffer (BUFFER_MAX_SPANS, counting everything not yet acknowledged) and a single sender sends up
 * to BATCH_MAX_MESSAGES of them per `sendBatch`, after the oldest has waited BATCH_LINGER. A send carries
 * one span-list record (span schema v2) per partition: the spans whose traces map to it
 * (spanPartitionOf), no key, the partition explicit; kafkajs' cost is per record, so a record of many
 * spans is what makes a span cheap. One send is in flight at a time, so records keep their order. A failed send is retried (kafkajs' own retries,
 * then this loop with backoff) for as long as the spans are buffered: nothing accepted is dropped,
 * except at shutdown after the drain timeout, and then it is counted (`dropped_at_shutdown`) and logged.
 *
 * ACK_TIMEOUT rejects the waiting publish but leaves its spans queued: they are still sent, so a
 * sender that retries after the 503 may write them twice. The translator does not send a document X-Ray
 * accepted recently again (services/translator/export/accepted-documents.ts): with PACKING=on a duplicate
 * SERVER span sent alone would replace the document that nested its service's CLIENT spans.
 */
export class KafkaSpanPublisher implements SpanPublisher {
  private readonly options: KafkaSpanPublisherOptions;
  private producer: Producer;
  private readonly metrics: ReceiverMetrics;
  private readonly log: Logger;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly nowMs: () => number;
  private readonly clockMs: () => number;
  private readonly random: () => number;
  private readonly queue: Chunk[] = [];
  /** Spans in `queue`. */
  private queuedSpans = 0;
  private readonly headers: Record<string, string>;
  private readonly waiters = new Set<() => void>();
  /** The publish calls waiting for Kafka (ACK_MODE=kafka), each with its ACK_TIMEOUT deadline. */
  private readonly tickets: AckTickets;
  /** Backoff sleeps: woken only by close(), not by new spans (which must not hasten retries). */
  private readonly sleepers = new Set<() => void>();
  private connected = false;
  /** The producer was replaced (renewProducer) and the new one is not connected yet. */
  private renewed = false;
  private closing = false;
  /** Set when the drain timeout passed: the sender stops, whatever is still queued is dropped. */
  private abandoned = false;
  private loop: Promise<void> | undefined;
  /** The span topic's partitions: options.partitions until start() is given the brokers' count. */
  private partitions: number;
  private failing = false;
  /** The last failed connect or send of the current run of failures (readiness names it); undefined once Kafka takes spans. */
  private lastFailure: string | undefined;
  /** setPartitions: replace the producer (fresh metadata) before the next send. */
  private partitionsChanged = false;
  /** When Kafka last acknowledged a send (monotonic ms; -Infinity before the first). */
  private lastAckedAtMs = Number.NEGATIVE_INFINITY;
  /** ACK_MODE=kafka: refuses what could not drain within ACK_TIMEOUT at the measured rate (drain-admission.ts). */
  private readonly admission: DrainAdmission | undefined;

  constructor(options: KafkaSpanPublisherOptions) {
    this.options = options;
    this.partitions = options.partitions;
    this.retryBaseMs = options.retryBaseMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 5000;
    this.nowMs = options.nowMs ?? Date.now;
    this.clockMs = options.monotonicMs ?? (() => performance.now());
    this.random = options.random ?? Math.random;
    this.tickets = new AckTickets({ ackTimeoutMs: options.ackTimeoutMs, clockMs: this.clockMs });
    this.log = options.logger.child({ component: 'kafka-span-publisher' });
    this.metrics = receiverMetrics(options.registry);
    this.metrics.bufferCapacitySpans.set(options.bufferMaxSpans);
    this.metrics.observeBuffer(() => this.queuedSpans);
    this.headers = { ...toSpanListRecord([], 0, 0).headers };
    if (options.ackMode === 'kafka') this.admission = new DrainAdmission({ ackTimeoutMs: options.ackTimeoutMs });
    // Idempotent: kafkajs requires acks=-1 and retries; one request in flight keeps order on retries.
    // kafkajs' retries are bounded so a dead broker surfaces here, where the loop keeps retrying.
    this.producer = this.createProducer();
  }

  private createProducer(): Producer {
    const producer = this.options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 5 },
    });
    producer.on(producer.events.CONNECT, () => { if (this.producer === producer) this.connected = true; });
    producer.on(producer.events.DISCONNECT, () => { if (this.producer === producer) this.connected = false; });
    return producer;
  }

  /**
   * Replaces the producer after a send that failed or was not answered for every partition; the loop
   * connects the new one (readiness keeps saying what it said until that connect succeeds or fails).
   *
   * Why after EVERY failed send (issue 10): kafkajs 2.2.4 (src/producer/sendMessages.js) takes each
   * partition's sequence numbers before a produce request and gives them back when the request throws,
   * although the broker may have written it (the answer lost with a leader killed -9, or another
   * partition's error failing the whole answer). The loop then sends records rebuilt from a longer
   * buffer, one span-list record per partition as before: same producer id, same sequence, same record
   * count. Kafka takes such a batch for a retry of the one it holds and acknowledges it WITHOUT writing
   * it (idempotent duplicate detection compares sequence ranges, not contents), so spans that joined the
   * record were answered 202 and never written. A new producer id has no sequence history: the worst
   * case is records written twice, which translation overwrites.
   */
  private async renewProducer(cause: unknown): Promise<void> {
    const old = this.producer;
    this.producer = this.createProducer();
    this.renewed = true;
    if (hasErrorType(cause, PRODUCER_STATE_ERROR_TYPES)) this.log.warn({ err: cause }, 'Kafka refused the producer\'s sequence state; replacing the producer');
    else this.log.debug({ err: cause }, 'send failed: replacing the producer (what Kafka wrote of it is unknown)');
    await old.disconnect().catch(() => undefined);
  }

  /**
   * Starts connecting and sending in the background; Kafka being down is retried, never fatal.
   * `partitions`: the span topic's partition count as the brokers report it (default: the configured one);
   * spans are keyed by trace id over it (spanPartitionOf).
   */
  start(partitions?: number): void {
    if (partitions !== undefined) this.partitions = partitions;
    this.loop ??= this.run().catch((e: unknown) => {
      this.log.error({ err: e }, 'span sender stopped on an unexpected error');
    });
  }

  /**
   * Keys spans over `partitions` from now on: the span topic's partitions were raised, or the topic was created
   * again with another count (SpanTopicWatch). The
   * producer is replaced before its next send: kafkajs keeps its topic metadata up to 5 minutes and skips
   * the partitions it does not know, so that send failed the unanswered-partitions check and was retried.
   */
  setPartitions(partitions: number): void {
    if (partitions === this.partitions) return;
    this.partitions = partitions;
    this.partitionsChanged = true;
  }

  /**
   * After the count went down (the span topic deleted and created again with fewer partitions: Kafka never
   * lowers a count in place), chunks queued for a partition that no longer exists go to `partition % count`:
   * sent to their old partition they could never be written, and every retry wrote the rest of the batch
   * again (found by review: the receiver refused every POST until restarted). Like any change of count, the
   * traces in flight may straddle two partitions.
   */
  private rehomeStrandedChunks(): void {
    const count = this.partitions;
    let stranded = 0;
    for (let i = 0; i < this.queue.length; i++) {
      const c = this.queue[i] as Chunk;
      if (c.partition < count) continue;
      this.queue[i] = { ...c, partition: c.partition % count };
      stranded += c.count;
    }
    if (stranded > 0) this.log.warn({ spans: stranded, partitions: count }, `${stranded} queued spans were keyed to partitions the span topic no longer has: sent to partition (old % ${count})`);
  }

  /** undefined when ready (producer connected, not shutting down), else why not. */
  readinessProblem(): string | undefined {
    if (this.closing) return 'shutting down';
    if (!this.connected) return 'Kafka producer not connected';
    // Spans older than ACK_TIMEOUT still unacknowledged: new requests are answered 503 too (issue 10).
    const waitedMs = this.queue[0] === undefined ? 0 : this.clockMs() - this.queue[0].enqueuedAtMs;
    if (waitedMs > this.options.ackTimeoutMs) {
      return `Kafka has not acknowledged buffered spans for ${Math.round(waitedMs)} ms${this.lastFailure === undefined ? '' : ` (${this.lastFailure})`}`;
    }
    return undefined;
  }

  /**
   * True when nothing is buffered and Kafka acknowledged no send for `ms`: only then does the span-topic
   * watch's view of Kafka decide readiness. A receiver that sends is judged by its sends (readinessProblem);
   * the watch's one metadata request failing on the one broker it asked (killed, while the cluster served the
   * sends) made every busy receiver unready (test/failover).
   */
  idleFor(ms: number): boolean {
    return this.queuedSpans === 0 && this.clockMs() - this.lastAckedAtMs >= ms;
  }

  /** Spans buffered and not yet acknowledged by Kafka. */
  get bufferedSpans(): number {
    return this.queuedSpans;
  }

  /**
   * True when a request of `spans` spans would be refused BUFFER_FULL now: checked before its body is decoded.
   * With ACK_MODE=kafka the buffer is also full when what it holds could not reach Kafka within ACK_TIMEOUT.
   */
  isFull(spans = 1): boolean {
    return this.fullness(spans) !== undefined;
  }

  /** SpanPublisher.whyFull: the BUFFER_FULL message for `spans` more spans, undefined when they fit. */
  whyFull(spans = 1): string | undefined {
    return this.fullness(spans);
  }

  /**
   * A 503's hint while sends fail. Kafka's own error stays on /health/ready and in the log: a span client,
   * authenticated or not, gets no broker address (review).
   */
  private notTaking(): string {
    if (this.lastFailure !== undefined) return '; Kafka is not taking spans: its last error is on /health/ready and in the log';
    // A send that never returns (a broker stopped, not gone) has no error yet (found by the newcomer trial:
    // "more than it drains … 3449 spans/s measured" for 8 spans that had waited 18 s).
    const waitedMs = this.queue[0] === undefined ? 0 : this.clockMs() - this.queue[0].enqueuedAtMs;
    return waitedMs > this.options.ackTimeoutMs ? `; Kafka has not acknowledged a send for ${Math.round(waitedMs)} ms: see /health/ready` : '';
  }

  /** Why `spans` more spans cannot be buffered now, or undefined when they can. */
  private fullness(spans: number): string | undefined {
    if (this.options.bufferMaxSpans - this.queuedSpans < spans) {
      return `publish buffer is full (${this.queuedSpans} of ${this.options.bufferMaxSpans} spans await Kafka${this.notTaking()})`;
    }
    if (this.admission !== undefined && !this.admission.admits(this.queuedSpans, spans, this.clockMs())) {
      const rate = Math.round(this.admission.spansPerSecond ?? 0);
      return `${this.queuedSpans} spans await Kafka, more than it drains within ACK_TIMEOUT (${rate} spans/s measured${this.notTaking()})`;
    }
    return undefined;
  }

  publish(spans: readonly Span[]): Promise<readonly Span[]> {
    if (this.closing) return Promise.reject(new MeshrayError('NOT_READY', 'receiver is shutting down'));
    // Before start() (main calls it once Kafka answered and the span topic was checked) nothing could be
    // sent, and a topic with the wrong partition count would stop the receiver with the spans held: a
    // sender's retries would only queue more copies. Say so at once.
    if (this.loop === undefined) return Promise.reject(new MeshrayError('NOT_READY', 'Kafka has not answered since the receiver started: the span topic is not ready yet'));
    if (spans.length === 0) return Promise.resolve(NONE_REFUSED);
    const full = this.fullness(spans.length);
    if (full !== undefined) return Promise.reject(new MeshrayError('BUFFER_FULL', full));
    const nowMs = this.clockMs();
    const timestampMs = this.nowMs();
    // Every group is encoded before a ticket is opened or a chunk queued: a span the encoder refuses then
    // fails the request whole, leaving neither an orphan ticket (its ACK_TIMEOUT rejection had no handler)
    // nor uncounted chunks in the queue.
    const encoded: { partition: number; items: Buffer; count: number }[] = [];
    let refusedAlone = NONE_REFUSED;
    try {
      for (const [partition, group] of this.groupByPartition(spans)) {
        const items = encodeSpanItems(group);
        if (items.length <= MAX_RECORD_BYTES) encoded.push({ partition, items, count: group.length });
        else {
          // Only a group over MAX_RECORD_BYTES is cut, down to single spans if need be: a span too large
          // for any record is found there, at no cost to the others.
          for (const piece of withinRecordBytes(group, items)) {
            if (piece.items.length > MAX_SPAN_BYTES) refusedAlone = [...refusedAlone, ...piece.spans];
            else encoded.push({ partition, items: piece.items, count: piece.spans.length });
          }
        }
      }
    } catch (error) {
      return Promise.reject(error as Error); // a span the decoders let through that Avro cannot carry: a defect, answered 500
    }
    if (encoded.length === 0) return Promise.resolve(refusedAlone);
    const done = this.options.ackMode === 'kafka' ? this.tickets.open(encoded.length, refusedAlone) : undefined;
    for (const e of encoded) this.queue.push({ partition: e.partition, items: e.items, count: e.count, enqueuedAtMs: nowMs, timestampMs, ticket: done?.ticket });
    const wasEmpty = this.queuedSpans === 0;
    if (wasEmpty) this.admission?.busy(nowMs);
    this.queuedSpans += spans.length - refusedAlone.length;
    // Wake the sender only when it idles (the queue was empty) or a batch is full: while it lingers, its
    // one linger timer ends the wait (a wake-up per request costs more than the request, off-peak).
    if (wasEmpty || this.queuedSpans >= this.options.batchMaxMessages) this.notify();
    return done ? done.promise : Promise.resolve(refusedAlone);
  }

  /** The spans by partition, in order of first appearance (a request's traces are few). */
  private groupByPartition(spans: readonly Span[]): [number, Span[]][] {
    const partitions = this.partitions;
    if (spans.length === 1) return [[spanPartitionOf((spans[0] as Span).traceId, partitions), [spans[0] as Span]]];
    const groups: [number, Span[]][] = [];
    for (const span of spans) {
      const partition = spanPartitionOf(span.traceId, partitions);
      let group: [number, Span[]] | undefined;
      for (const g of groups) if (g[0] === partition) { group = g; break; }
      if (group === undefined) groups.push([partition, [span]]);
      else group[1].push(span);
    }
    return groups;
  }

  /** The first `take` chunks as span-list records: one per partition (more when one would exceed MAX_RECORD_BYTES). */
  private messagesOf(take: number): Message[] {
    const open = new Map<number, { chunks: Buffer[]; count: number; bytes: number; timestampMs: number }>();
    const messages: Message[] = [];
    const close = (partition: number): void => {
      const r = open.get(partition);
      if (r === undefined) return;
      open.delete(partition);
      const record = toSpanListRecord(r.chunks, r.count, r.timestampMs);
      messages.push({ partition, key: null, value: record.value, headers: this.headers, timestamp: String(r.timestampMs) });
    };
    for (let i = 0; i < take; i++) {
      const c = this.queue[i] as Chunk;
      let r = open.get(c.partition);
      if (r !== undefined && r.bytes + c.items.length > MAX_RECORD_BYTES) {
        close(c.partition);
        r = undefined;
      }
      if (r === undefined) open.set(c.partition, { chunks: [c.items], count: c.count, bytes: c.items.length, timestampMs: c.timestampMs });
      else {
        r.chunks.push(c.items);
        r.count += c.count;
        r.bytes += c.items.length;
      }
    }
    for (const partition of [...open.keys()]) close(partition);
    return messages;
  }

  /**
   * Stops accepting (publish → NOT_READY), sends what is buffered for up to the drain timeout, then
   * counts and logs once whatever could not be sent, and disconnects. Returns the spans dropped.
   */
  async close(): Promise<{ droppedSpans: number }> {
    this.closing = true;
    this.notify();
    this.wakeSleepers(); // retry now: the drain timeout is short
    const drained = await this.waitUntilDrained(this.options.drainTimeoutMs);
    let droppedSpans = 0;
    if (!drained) {
      this.abandoned = true;
      droppedSpans = this.queuedSpans;
      this.metrics.spansDropped.inc({ reason: 'dropped_at_shutdown' }, droppedSpans);
      this.log.error({ droppedSpans, drainTimeoutMs: this.options.drainTimeoutMs },
        this.connected ? 'Kafka did not take the buffered spans before the drain timeout: dropping them' : 'Kafka is not reachable: dropping the buffered spans');
      const lost = new MeshrayError('NOT_READY', 'receiver shut down before Kafka acknowledged the spans');
      for (const e of this.queue) if (e.ticket) this.tickets.settle(e.ticket, lost);
      this.queue.length = 0;
      this.queuedSpans = 0;
      this.notify();
      this.wakeSleepers();
    }
    this.tickets.stop(); // every ticket is settled now
    await this.producer.disconnect().catch((e: unknown) => this.log.warn({ err: e }, 'Kafka producer disconnect failed'));
    if (drained) await this.loop;
    return { droppedSpans };
  }

  private notify(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  /** Resolves at the next notify(), or after `ms` when given (no timer otherwise: idling holds no handle). */
  private wait(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => { if (timer) clearTimeout(timer); this.waiters.delete(wake); resolve(); };
      const timer = ms === undefined ? undefined : setTimeout(wake, ms);
      this.waiters.add(wake);
    });
  }

  /** Resolves after `ms` or when close() starts or gives up, whichever comes first. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => { clearTimeout(timer); this.sleepers.delete(wake); resolve(); };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private wakeSleepers(): void {
    for (const w of this.sleepers) w();
    this.sleepers.clear();
  }

  private async waitUntilDrained(timeoutMs: number): Promise<boolean> {
    const deadline = this.clockMs() + timeoutMs;
    while (this.queuedSpans > 0 && this.loop) {
      const left = deadline - this.clockMs();
      if (left <= 0) return false;
      await this.wait(Math.min(left, 50));
    }
    return this.queuedSpans === 0;
  }

  /** `attempt` counts from 0 (the first retry). */
  private backoffMs(attempt: number): number {
    return fullJitterDelayMs(attempt + 1, { baseMs: this.retryBaseMs, maxMs: this.retryMaxMs }, this.random);
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let batchLimit = this.options.batchMaxMessages;
    while (!this.abandoned) {
      // Connect eagerly (readiness depends on it), not only when there is something to send.
      if ((!this.connected || this.renewed) && !(this.closing && this.queue.length === 0)) {
        try {
          await this.producer.connect();
          if (!this.renewed) this.log.info('Kafka producer connected');
          this.renewed = false;
          this.connected = true;
        } catch (e) {
          if (this.abandoned) return;
          this.connected = false;
          this.noteFailure(e, 'connect');
          await this.pause(this.backoffMs(attempt++));
          continue;
        }
      }
      if (this.queue.length === 0) {
        if (this.closing) return;
        await this.wait();
        continue;
      }
      if (this.partitionsChanged) {
        this.partitionsChanged = false;
        this.rehomeStrandedChunks();
        await this.renewProducer(new Error('the span topic\'s partition count changed: a producer with fresh metadata'));
        continue; // connected at the top of the loop
      }
      await this.linger(batchLimit);
      if (this.abandoned) return;
      const take = this.chunksWithin(batchLimit);
      const messages = this.messagesOf(take);
      let spans = 0;
      for (let i = 0; i < take; i++) spans += (this.queue[i] as Chunk).count;
      const startedMs = this.clockMs();
      try {
        const answers = await this.producer.sendBatch({ acks: -1, topicMessages: [{ topic: this.options.topic, messages }] });
        const unanswered = unansweredPartitions(this.options.topic, this.partitions, messages, answers ?? []);
        if (unanswered.length > 0) throw new Error(`kafkajs answered without writing partitions ${unanswered.join(',')} (their leader moved during the send)`);
      } catch (e) {
        if (this.abandoned) return;
        await this.renewProducer(e); // never resend rebuilt records under sequence numbers Kafka may hold
        if (isRecordError(e)) {
          if (spans > 1 && take > 1) {
            batchLimit = Math.ceil(spans / 2); // bisect towards the chunk Kafka refuses
          } else {
            this.dropHead(e);
          }
          continue;
        }
        this.metrics.publishRetries.inc();
        this.noteFailure(e, 'send');
        await this.pause(this.backoffMs(attempt++));
        continue;
      }
      if (this.abandoned) return;
      this.metrics.publishDurationSeconds.observe((this.clockMs() - startedMs) / 1000);
      this.metrics.publishBatchSpans.observe(spans);
      this.metrics.spansPublished.inc(spans);
      this.metrics.recordsPublished.inc(messages.length);
      this.lastAckedAtMs = this.clockMs();
      const sent = this.queue.splice(0, take);
      this.queuedSpans -= spans;
      this.admission?.acked(spans, this.queuedSpans, this.clockMs());
      this.notify();
      for (const c of sent) {
        if (c.ticket && --c.ticket.remaining === 0) this.tickets.settle(c.ticket);
      }
      attempt = 0;
      batchLimit = this.options.batchMaxMessages;
      this.lastFailure = undefined;
      if (this.failing) {
        this.failing = false;
        this.log.info('Kafka accepts spans again');
      }
    }
  }

  /**
   * How many chunks from the head make up at most `spanLimit` spans, and at most MAX_BATCH_PARTITION_BYTES of
   * any one partition (at least one chunk).
   */
  private chunksWithin(spanLimit: number): number {
    let spans = 0;
    let i = 0;
    const bytes = new Map<number, number>();
    for (; i < this.queue.length; i++) {
      const c = this.queue[i] as Chunk;
      spans += c.count;
      if (spans > spanLimit) break;
      const partitionBytes = (bytes.get(c.partition) ?? 0) + c.items.length;
      if (partitionBytes > MAX_BATCH_PARTITION_BYTES) break;
      bytes.set(c.partition, partitionBytes);
    }
    return Math.max(1, i);
  }

  /** Waits until the oldest buffered span is BATCH_LINGER old, a batch is full, or shutdown. */
  private async linger(batchLimit: number): Promise<void> {
    while (!this.closing && this.queue.length > 0 && this.queuedSpans < batchLimit) {
      const left = (this.queue[0]?.enqueuedAtMs ?? 0) + this.options.lingerMs - this.clockMs();
      if (left <= 0) return;
      await this.wait(left);
    }
  }

  /** The head chunk's record Kafka refuses for good (e.g. larger than the broker's max message size). */
  private dropHead(e: unknown): void {
    const head = this.queue.shift();
    const count = head?.count ?? 0;
    this.queuedSpans -= count;
    this.metrics.spansDropped.inc({ reason: 'publish_failed' }, count);
    this.log.error({ err: e }, 'Kafka refused a span record for good: dropping it');
    if (head?.ticket) this.tickets.settle(head.ticket, new MeshrayError('PUBLISH_FAILED', `Kafka refused a span: ${(e as Error).message}`, { cause: e }));
  }

  /** Logs the first failure of a run of failures, not every retry. */
  private noteFailure(e: unknown, during: 'connect' | 'send'): void {
    this.lastFailure = `last ${during} failed: ${describeTopicError(e, this.options.topic)}`;
    if (this.failing) return;
    this.failing = true;
    this.log.warn({ err: e, during, bufferedSpans: this.queuedSpans }, 'Kafka unavailable: keeping spans buffered and retrying');
  }
}
