import type { DeliveredRecord } from '../../core/span-record/record.ts';

/** The span-record shapes live with their contract (shared/core/span-record); carriers re-export them. */
export type { DeliveredRecord, TopicRecord } from '../../core/span-record/record.ts';

/** The slice of a partition one consumer call handles. */
export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly DeliveredRecord[];
}
