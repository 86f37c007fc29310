/**
 * Admission control for ACK_MODE=kafka (issue 10 §3): admit a request only when everything already waiting
 * for Kafka, plus the request, can drain within ACK_TIMEOUT at the rate Kafka has actually been draining.
 * Without it, under overload, requests queue behind a full buffer past ACK_TIMEOUT and every one of them times
 * out (goodput collapses to zero); with it, the receiver accepts about what Kafka drains and refuses the rest
 * at once (503 BUFFER_FULL with Retry-After, before the body is decoded).
 *
 * Pure: time is an input (`nowMs` arguments), no clock, no timer. The publisher reports when its queue turns
 * busy (`busy`) and each acknowledged send (`acked`); `admits` decides.
 *
 * The drain rate is an exponentially weighted moving average (time constant DRAIN_TAU_MS) of spans
 * acknowledged per second of busy time. Only a send that left spans waiting (the sender was saturated)
 * measures the capacity; a send that emptied the queue measures only what arrived, a lower bound, so it can
 * raise the estimate but never lower it (a quiet period must not shrink what a burst may queue).
 * Before the first saturated send there is no estimate and only BUFFER_MAX_SPANS bounds the queue.
 */

/** Time constant of the drain-rate average: a few Kafka sends under a client quota (which answers in bursts). */
export const DRAIN_TAU_MS = 3000;
/**
 * Share of ACK_TIMEOUT the predicted wait may take: the rest absorbs the estimate's error, the linger, and
 * a burst of sends throttled by the broker.
 */
export const ADMISSION_HEADROOM = 0.5;

export interface DrainAdmissionOptions {
  readonly ackTimeoutMs: number;
  readonly tauMs?: number;
  readonly headroom?: number;
}

export class DrainAdmission {
  readonly #ackTimeoutMs: number;
  readonly #tauMs: number;
  readonly #headroom: number;
  /** Spans per second; undefined until the first measurement. */
  #rate: number | undefined;
  /** Start of the current measurement window: when the queue turned busy, or the previous ack. */
  #windowStartMs: number | undefined;

  constructor(options: DrainAdmissionOptions) {
    this.#ackTimeoutMs = options.ackTimeoutMs;
    this.#tauMs = options.tauMs ?? DRAIN_TAU_MS;
    this.#headroom = options.headroom ?? ADMISSION_HEADROOM;
  }

  /** The measured drain rate in spans per second (undefined before the first measurement). */
  get spansPerSecond(): number | undefined {
    return this.#rate;
  }

  /** The queue was empty and now holds spans: the sender's busy time starts. */
  busy(nowMs: number): void {
    this.#windowStartMs = nowMs;
  }

  /**
   * Kafka acknowledged `spans` spans at `nowMs`; `backlogLeft` are the spans still waiting after them
   * (0: the send emptied the queue, the sender was not saturated).
   */
  acked(spans: number, backlogLeft: number, nowMs: number): void {
    const startMs = this.#windowStartMs ?? nowMs;
    this.#windowStartMs = nowMs;
    const elapsedMs = Math.max(1, nowMs - startMs);
    const sample = (spans * 1000) / elapsedMs;
    if (this.#rate === undefined) {
      if (backlogLeft > 0) this.#rate = sample;
      return;
    }
    if (backlogLeft === 0 && sample <= this.#rate) return; // a lower bound only: never lowers the estimate
    const alpha = 1 - Math.exp(-elapsedMs / this.#tauMs);
    this.#rate += alpha * (sample - this.#rate);
  }

  /**
   * Whether `incoming` more spans may join the `queued` ones now: their predicted wait (all of it at the
   * measured rate) fits the headroom share of ACK_TIMEOUT, and Kafka has acknowledged something within
   * ACK_TIMEOUT while busy (a stalled Kafka drains nothing, whatever the old rate said).
   */
  admits(queued: number, incoming: number, nowMs: number): boolean {
    if (queued === 0) return true; // an idle sender: the request is the whole batch
    if (this.#windowStartMs !== undefined && nowMs - this.#windowStartMs > this.#ackTimeoutMs) return false;
    if (this.#rate === undefined) return true;
    return ((queued + incoming) * 1000) / this.#rate <= this.#ackTimeoutMs * this.#headroom;
  }
}
