import type { XRayClient } from '@aws-sdk/client-xray';
import type { HealthCheck } from '../../../shared/edge/http/ops-routes.ts';
import type { Logger } from '../../../shared/edge/log/index.ts';
import { readTransactionSearch, type TransactionSearchState } from './otlp-sink.ts';

/**
 * EXPORT_PROTOCOL=otlp needs Transaction Search (trace segment destination `CloudWatchLogs`, ACTIVE): spans
 * sent to `/v1/traces` are stored in CloudWatch Logs `aws/spans` and read with StartTraceRetrieval /
 * ListRetrievedTraces (CloudWatch User Guide, "Transaction Search"). At start this reads
 * GetTraceSegmentDestination once and says what it found in one log line; while the destination is not
 * ready, readiness fails with that sentence (`/health/ready`), and it is read again every `recheckMs` so
 * that enabling Transaction Search heals readiness without a restart. A failed read is logged (warn) and
 * leaves readiness alone: the export's own health (ExportHealth) reports a failing endpoint.
 */
export class TransactionSearchCheck {
  readonly #client: Pick<XRayClient, 'send'>;
  readonly #log: Logger;
  readonly #recheckMs: number;
  #state: TransactionSearchState | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: { client: Pick<XRayClient, 'send'>; logger: Logger; recheckMs?: number }) {
    this.#client = options.client;
    this.#log = options.logger.child({ component: 'transaction-search' });
    this.#recheckMs = options.recheckMs ?? 60_000;
  }

  /** Reads the destination once (never throws); schedules re-reads while it is not ready. */
  async start(): Promise<TransactionSearchState | undefined> {
    await this.#read(true);
    return this.#state;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  readonly ready: HealthCheck = () => (this.#state === undefined || this.#state.ready ? undefined : `EXPORT_PROTOCOL=otlp: ${this.#state.message}`);

  async #read(first: boolean): Promise<void> {
    try {
      const state = await readTransactionSearch(this.#client);
      const changed = this.#state?.ready !== state.ready || this.#state.status !== state.status;
      this.#state = state;
      const fields = { destination: state.destination, status: state.status };
      if (state.ready && (first || changed)) this.#log.info(fields, state.message);
      else if (!state.ready && (first || changed)) this.#log.warn(fields, state.message);
    } catch (err) {
      if (first) this.#log.warn({ err: (err as Error).message }, 'could not read the trace segment destination (GetTraceSegmentDestination): whether Transaction Search is on is unknown; spans are sent to /v1/traces regardless');
    }
    if (!this.#stopped && this.#state?.ready !== true && this.#state !== undefined) {
      this.#timer = setTimeout(() => void this.#read(false), this.#recheckMs);
      this.#timer.unref();
    }
  }
}
