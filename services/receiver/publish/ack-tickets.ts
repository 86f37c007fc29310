/**
 * The publish calls waiting for Kafka with ACK_MODE=kafka, and their ACK_TIMEOUT: each call gets a ticket that
 * settles once every chunk of it was acknowledged (resolve, with the spans refused alone) or when Kafka refused
 * it or its deadline passed (reject). Tickets are kept in the order they were opened, so in deadline order: one
 * timer for the oldest unsettled ticket instead of one per request; settled tickets leave from the head lazily.
 */
import type { Span } from '../../../shared/core/zipkin/span.ts';
import { MeshrayError } from '../../../shared/edge/errors/index.ts';

/** One publish call waiting for Kafka. */
export interface AckTicket {
  /** Chunks of the call not acknowledged yet. */
  remaining: number;
  settled: boolean;
  /** The call's spans refused alone (SPAN_TOO_LARGE): what its promise resolves with. */
  readonly refusedAlone: readonly Span[];
  readonly resolve: (refusedAlone: readonly Span[]) => void;
  readonly reject: (e: MeshrayError) => void;
  /** When ACK_TIMEOUT rejects it (ms, on the monotonic clock). */
  readonly deadlineMs: number;
}

export interface AckTicketsOptions {
  /** ACK_TIMEOUT (ms): how long a call waits for Kafka before it is rejected with ACK_TIMEOUT. */
  readonly ackTimeoutMs: number;
  /** The monotonic clock (ms) the deadlines are on. Timers are the global setTimeout/clearTimeout. */
  readonly clockMs: () => number;
}

export class AckTickets {
  readonly #options: AckTicketsOptions;
  #tickets: AckTicket[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: AckTicketsOptions) {
    this.#options = options;
  }

  /** A ticket for a call of `chunks` chunks; its promise settles as the ticket does. */
  open(chunks: number, refusedAlone: readonly Span[]): { ticket: AckTicket; promise: Promise<readonly Span[]> } {
    let resolve!: (refused: readonly Span[]) => void;
    let reject!: (e: MeshrayError) => void;
    const promise = new Promise<readonly Span[]>((res, rej) => { resolve = res; reject = rej; });
    const ticket: AckTicket = { remaining: chunks, settled: false, refusedAlone, resolve, reject, deadlineMs: this.#options.clockMs() + this.#options.ackTimeoutMs };
    this.#tickets.push(ticket);
    if (this.#timer === undefined) this.#arm();
    return { ticket, promise };
  }

  /** Settles `ticket` once: rejects it with `error`, or resolves it with its spans refused alone. */
  settle(ticket: AckTicket, error?: MeshrayError): void {
    if (ticket.settled) return;
    ticket.settled = true;
    if (error) ticket.reject(error);
    else ticket.resolve(ticket.refusedAlone);
  }

  /** Clears the ACK_TIMEOUT timer (close(), once every ticket is settled). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Drops settled tickets from the head; arms the timer for the oldest unsettled one, if any. */
  #arm(): void {
    const tickets = this.#tickets;
    while (this.#head < tickets.length && (tickets[this.#head] as AckTicket).settled) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > tickets.length) {
      this.#tickets = tickets.slice(this.#head);
      this.#head = 0;
    }
    const head = this.#tickets[this.#head];
    if (head === undefined) {
      this.#tickets.length = 0;
      this.#head = 0;
      this.#timer = undefined;
      return;
    }
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, head.deadlineMs - this.#options.clockMs()));
  }

  #expire(): void {
    const nowMs = this.#options.clockMs();
    for (let i = this.#head; i < this.#tickets.length; i++) {
      const t = this.#tickets[i] as AckTicket;
      if (t.deadlineMs > nowMs) break;
      this.settle(t, new MeshrayError('ACK_TIMEOUT',
        `Kafka did not acknowledge within ${this.#options.ackTimeoutMs} ms; the spans stay queued and will still be sent`));
    }
    this.#arm();
  }
}
