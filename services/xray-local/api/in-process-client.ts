import {
  InvalidRequestException, PutTraceSegmentsCommand, ThrottledException, type PutTraceSegmentsCommandOutput, type XRayClient,
} from '@aws-sdk/client-xray';
import type { ApiOutcome } from './api-outcome.ts';
import type { PutTraceSegmentsResult } from './put-trace-segments.ts';

/** xray-local's PutTraceSegments handler bound to its store, metrics and throttle. */
export type PutTraceSegmentsHandler = (input: unknown) => ApiOutcome<PutTraceSegmentsResult>;

/**
 * An X-Ray client that answers PutTraceSegments in the same process, from xray-local's own handler: what
 * the all-in-one gives its translator when it exports to its embedded xray-local. The documents reach the
 * same checks and store as over HTTP, and the answers take the SDK's shapes (the output's
 * UnprocessedTraceSegments; a refused call throws the SDK's ThrottledException or InvalidRequestException
 * with the HTTP status), so the export stages and the error policy judge them exactly as they judge X-Ray's.
 * What it leaves out is the loopback HTTP round trip, SigV4 signing and JSON encoding on both sides, about
 * half of the all-in-one's CPU per span (issue 9, BENCH=all-in-one). Other commands are not served.
 */
export function inProcessXRayClient(put: PutTraceSegmentsHandler): Pick<XRayClient, 'send'> {
  const send = async (command: unknown): Promise<PutTraceSegmentsCommandOutput> => {
    if (!(command instanceof PutTraceSegmentsCommand)) throw new Error('the in-process X-Ray client serves PutTraceSegments only');
    const outcome = put(command.input);
    if (outcome.ok) return { $metadata: { httpStatusCode: 200 }, UnprocessedTraceSegments: outcome.body.UnprocessedTraceSegments };
    const { type, status, message } = outcome.error;
    const options = { message, $metadata: { httpStatusCode: status } };
    throw type === 'ThrottledException' ? new ThrottledException(options) : new InvalidRequestException(options);
  };
  return { send } as unknown as Pick<XRayClient, 'send'>;
}
