export type { TopicRecord, DeliveredRecord, RecordBatch } from './topic-record.ts';
export { InProcessTopic } from './in-process-topic.ts';
export { partitionForKey } from './partition.ts';
