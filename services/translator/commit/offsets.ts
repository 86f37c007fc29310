/** The offset after `offset` (what Kafka stores as a partition's committed position). */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

/** Records of a partition not yet committed: high watermark minus the committed position. */
export function lagOf(highWatermark: string, committedPosition: string): number {
  const lag = BigInt(highWatermark) - BigInt(committedPosition);
  return lag > 0n ? Number(lag) : 0;
}
