/** A span-topic record as the receiver writes it and the translator reads it, whatever carries it. */
export interface TopicRecord {
  /** Partitioning key: the span's trace id (low 64 bits, so mixed-length ids of one trace co-locate). */
  readonly key: string;
  /** Avro-encoded span (shared/avro). */
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestampMs: number;
}

/** A record as delivered to a consumer: where it sits in the topic. */
export interface DeliveredRecord extends TopicRecord {
  readonly partition: number;
  /** Offset as a decimal string, as kafkajs gives it. */
  readonly offset: string;
}

/** The slice of a partition one consumer call handles. */
export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly DeliveredRecord[];
}
