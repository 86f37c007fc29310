import type { Kafka, Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import { MeshrayError } from '../../../shared/edge/errors/index.ts';
import type { Logger } from '../../../shared/edge/log/index.ts';
import { fullJitterDelayMs } from '../../../shared/edge/resilience/backoff.ts';
import { unansweredPartitions } from '../../../shared/edge/kafka/unanswered-partitions.ts';
import { AckTickets } from './ack-tickets.ts';
import { ChunkQueue, type EncodedChunks, encodeByPartition } from './chunk-queue.ts';
import { PRODUCER_STATE_ERROR_TYPES, hasErrorType, isRecordError } from './record-limits.ts';
import { toSpanListRecord } from '../../../shared/core/span-record/record.ts';
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { receiverMetrics, type ReceiverMetrics } from '../metrics.ts';
import { DrainAdmission } from './drain-admission.ts';
import { NONE_REFUSED, type SpanPublisher } from './span-publisher.ts';
import { describeTopicError } from '../../../shared/edge/kafka/describe-error.ts';
import { WakeSet } from './wake-set.ts';

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
  /** Chunks not yet acknowledged by Kafka, oldest first. */
  private readonly queue = new ChunkQueue();
  private readonly headers: Record<string, string>;
  /** The sender's waits: for spans, for the linger, for the drain. */
  private readonly waiters = new WakeSet();
  /** The publish calls waiting for Kafka (ACK_MODE=kafka), each with its ACK_TIMEOUT deadline. */
  private readonly tickets: AckTickets;
  /** Backoff sleeps: woken only by close(), not by new spans (which must not hasten retries). */
  private readonly sleepers = new WakeSet();
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
    this.metrics.observeBuffer(() => this.queue.spans);
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
   * After the count went down (the span topic deleted and created again with fewer partitions), chunks queued
   * for a partition that no longer exists go to `partition % count` (ChunkQueue.rehome; found by review: the
   * receiver refused every POST until restarted). Like any change of count, the traces in flight may
   * straddle two partitions.
   */
  private rehomeStrandedChunks(): void {
    const count = this.partitions;
    const stranded = this.queue.rehome(count);
    if (stranded > 0) this.log.warn({ spans: stranded, partitions: count }, `${stranded} queued spans were keyed to partitions the span topic no longer has: sent to partition (old % ${count})`);
  }

  /** undefined when ready (producer connected, not shutting down), else why not. */
  readinessProblem(): string | undefined {
    if (this.closing) return 'shutting down';
    if (!this.connected) return 'Kafka producer not connected';
    // Spans older than ACK_TIMEOUT still unacknowledged: new requests are answered 503 too (issue 10).
    const waitedMs = this.waitedMs();
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
    return this.queue.spans === 0 && this.clockMs() - this.lastAckedAtMs >= ms;
  }

  /** Spans buffered and not yet acknowledged by Kafka. */
  get bufferedSpans(): number {
    return this.queue.spans;
  }

  /** How long the oldest buffered span has waited for Kafka (monotonic ms; 0 when none is buffered). */
  private waitedMs(): number {
    const oldest = this.queue.oldestEnqueuedAtMs;
    return oldest === undefined ? 0 : this.clockMs() - oldest;
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
    const waitedMs = this.waitedMs();
    return waitedMs > this.options.ackTimeoutMs ? `; Kafka has not acknowledged a send for ${Math.round(waitedMs)} ms: see /health/ready` : '';
  }

  /** Why `spans` more spans cannot be buffered now, or undefined when they can. */
  private fullness(spans: number): string | undefined {
    if (this.options.bufferMaxSpans - this.queue.spans < spans) {
      return `publish buffer is full (${this.queue.spans} of ${this.options.bufferMaxSpans} spans await Kafka${this.notTaking()})`;
    }
    if (this.admission !== undefined && !this.admission.admits(this.queue.spans, spans, this.clockMs())) {
      const rate = Math.round(this.admission.spansPerSecond ?? 0);
      return `${this.queue.spans} spans await Kafka, more than it drains within ACK_TIMEOUT (${rate} spans/s measured${this.notTaking()})`;
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
    let encoded: EncodedChunks;
    try {
      encoded = encodeByPartition(spans, this.partitions);
    } catch (error) {
      return Promise.reject(error as Error); // a span the decoders let through that Avro cannot carry: a defect, answered 500
    }
    const { chunks, refusedAlone, trimmed } = encoded;
    if (trimmed > 0) this.metrics.spansRepaired.inc({ reason: 'span_trimmed' }, trimmed);
    if (chunks.length === 0) return Promise.resolve(refusedAlone);
    const done = this.options.ackMode === 'kafka' ? this.tickets.open(chunks.length, refusedAlone) : undefined;
    const wasEmpty = this.queue.spans === 0;
    if (wasEmpty) this.admission?.busy(nowMs);
    for (const e of chunks) this.queue.push({ partition: e.partition, items: e.items, count: e.count, enqueuedAtMs: nowMs, timestampMs, ticket: done?.ticket });
    // Wake the sender only when it idles (the queue was empty) or a batch is full: while it lingers, its
    // one linger timer ends the wait (a wake-up per request costs more than the request, off-peak).
    if (wasEmpty || this.queue.spans >= this.options.batchMaxMessages) this.notify();
    return done ? done.promise : Promise.resolve(refusedAlone);
  }

  /**
   * Stops accepting (publish → NOT_READY), sends what is buffered for up to the drain timeout, then
   * counts and logs once whatever could not be sent, and disconnects. Returns the spans dropped.
   */
  async close(): Promise<{ droppedSpans: number }> {
    this.closing = true;
    this.notify();
    this.sleepers.wakeAll(); // retry now: the drain timeout is short
    const drained = await this.waitUntilDrained(this.options.drainTimeoutMs);
    let droppedSpans = 0;
    if (!drained) {
      this.abandoned = true;
      droppedSpans = this.queue.spans;
      this.metrics.spansDropped.inc({ reason: 'dropped_at_shutdown' }, droppedSpans);
      this.log.error({ droppedSpans, drainTimeoutMs: this.options.drainTimeoutMs },
        this.connected ? 'Kafka did not take the buffered spans before the drain timeout: dropping them' : 'Kafka is not reachable: dropping the buffered spans');
      const lost = new MeshrayError('NOT_READY', 'receiver shut down before Kafka acknowledged the spans');
      for (const e of this.queue.clear()) if (e.ticket) this.tickets.settle(e.ticket, lost);
      this.notify();
      this.sleepers.wakeAll();
    }
    this.tickets.stop(); // every ticket is settled now
    await this.producer.disconnect().catch((e: unknown) => this.log.warn({ err: e }, 'Kafka producer disconnect failed'));
    if (drained) await this.loop;
    return { droppedSpans };
  }

  private notify(): void {
    this.waiters.wakeAll();
  }

  private async waitUntilDrained(timeoutMs: number): Promise<boolean> {
    const deadline = this.clockMs() + timeoutMs;
    while (this.queue.spans > 0 && this.loop) {
      const left = deadline - this.clockMs();
      if (left <= 0) return false;
      await this.waiters.wait(Math.min(left, 50));
    }
    return this.queue.spans === 0;
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
          await this.sleepers.wait(this.backoffMs(attempt++));
          continue;
        }
      }
      if (this.queue.length === 0) {
        if (this.closing) return;
        await this.waiters.wait();
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
      const take = this.queue.within(batchLimit);
      const messages = this.queue.recordsOf(take, this.headers);
      const spans = this.queue.spansOf(take);
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
        await this.sleepers.wait(this.backoffMs(attempt++));
        continue;
      }
      if (this.abandoned) return;
      this.metrics.publishDurationSeconds.observe((this.clockMs() - startedMs) / 1000);
      this.metrics.publishBatchSpans.observe(spans);
      this.metrics.spansPublished.inc(spans);
      this.metrics.recordsPublished.inc(messages.length);
      this.lastAckedAtMs = this.clockMs();
      const sent = this.queue.take(take);
      this.admission?.acked(spans, this.queue.spans, this.clockMs());
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

  /** Waits until the oldest buffered span is BATCH_LINGER old, a batch is full, or shutdown. */
  private async linger(batchLimit: number): Promise<void> {
    while (!this.closing && this.queue.length > 0 && this.queue.spans < batchLimit) {
      const left = (this.queue.oldestEnqueuedAtMs ?? 0) + this.options.lingerMs - this.clockMs();
      if (left <= 0) return;
      await this.waiters.wait(left);
    }
  }

  /** The head chunk's record Kafka refuses for good (e.g. larger than the broker's max message size). */
  private dropHead(e: unknown): void {
    const [head] = this.queue.take(1);
    const count = head?.count ?? 0;
    this.metrics.spansDropped.inc({ reason: 'publish_failed' }, count);
    this.log.error({ err: e }, 'Kafka refused a span record for good: dropping it');
    if (head?.ticket) this.tickets.settle(head.ticket, new MeshrayError('PUBLISH_FAILED', `Kafka refused a span: ${(e as Error).message}`, { cause: e }));
  }

  /** Logs the first failure of a run of failures, not every retry. */
  private noteFailure(e: unknown, during: 'connect' | 'send'): void {
    this.lastFailure = `last ${during} failed: ${describeTopicError(e, this.options.topic)}`;
    if (this.failing) return;
    this.failing = true;
    this.log.warn({ err: e, during, bufferedSpans: this.queue.spans }, 'Kafka unavailable: keeping spans buffered and retrying');
  }
}
