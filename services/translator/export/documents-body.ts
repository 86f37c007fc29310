import type { XRayClient } from '@aws-sdk/client-xray';

/** Where the documents wait, in the SDK's per-call handler context, between serialize and build. */
const DOCUMENTS = Symbol('meshray.traceSegmentDocuments');

type Context = Record<symbol, unknown>;
interface HttpRequestLike { body?: unknown; headers: Record<string, string> }

/**
 * The PutTraceSegments request body, as the SDK's restJson1 serializer writes it for the input
 * `{ TraceSegmentDocuments }`: `{"TraceSegmentDocuments":[<each document as a JSON string>]}` (Smithy
 * restJson1: a list of strings is a JSON array of JSON strings; the other members are absent).
 */
export function traceSegmentsBodyOf(documents: readonly string[]): string {
  return `{"TraceSegmentDocuments":${JSON.stringify(documents)}}`;
}

/**
 * Lets the SDK do everything for PutTraceSegments (endpoint, headers, user agent, SigV4 signing, retries,
 * error parsing) but write the body: the SDK's schema serializer walks the list of documents member by member
 * (@smithy/core's JSON serializer, `writeList`: ≈ 12 % of the translator's CPU in issue 9's profile) where one
 * native `JSON.stringify` of the array gives the same bytes. In the serialize step the documents are set
 * aside and the SDK serializes an empty list (the request line, headers and endpoint it decides); in the build
 * step, before content-length and signing, the body is replaced by the documents' (UTF-8 bytes, as the SDK's)
 * and its length set.
 * Other commands pass through untouched. test/unit/services/translator/export/documents-body.test.ts checks
 * the bytes against the SDK's own serializer.
 */
export function useDocumentsBody(client: Pick<XRayClient, 'middlewareStack'>): void {
  client.middlewareStack.add((next, context) => async (args) => {
    const input = args.input as { TraceSegmentDocuments?: unknown };
    if (!Array.isArray(input.TraceSegmentDocuments) || input.TraceSegmentDocuments.length === 0) return next(args);
    (context as Context)[DOCUMENTS] = input.TraceSegmentDocuments;
    return next({ ...args, input: { ...input, TraceSegmentDocuments: [] } });
  }, { step: 'serialize', priority: 'high', name: 'meshrayDocumentsAside' });
  client.middlewareStack.add((next, context) => async (args) => {
    const documents = (context as Context)[DOCUMENTS] as string[] | undefined;
    const request = args.request as HttpRequestLike | undefined;
    if (documents !== undefined && request?.body !== undefined) {
      const body = Buffer.from(traceSegmentsBodyOf(documents), 'utf8'); // encoded once: hashed, signed, written
      request.body = body;
      for (const name of Object.keys(request.headers)) if (name.toLowerCase() === 'content-length') delete request.headers[name];
      request.headers['content-length'] = String(body.length);
    }
    return next(args);
  }, { step: 'build', priority: 'high', name: 'meshrayDocumentsBody' });
}
