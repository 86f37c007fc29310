/**
 * The floor a Node.js server cannot go below (bench only): node's own http server doing the least work that
 * each meshray service's request must do, and nothing else. No framework, no validation, no Kafka, no metrics.
 *
 * `node node-floor-server.mjs zipkin PORT`: POST /api/v2/spans collects the body, `JSON.parse`s it (a Zipkin
 * v2 list) and answers 202; what meshray's receiver does before it validates and publishes.
 * `node node-floor-server.mjs xray PORT [MAX_DOCUMENTS]`: POST /TraceSegments collects the body, parses it,
 * parses each of its TraceSegmentDocuments (X-Ray's PutTraceSegments must: an unparsable document is answered in
 * UnprocessedTraceSegments) and keeps each document's string, at most MAX_DOCUMENTS (default 200,000, as
 * XRAY_LOCAL_MAX_SEGMENTS) with the oldest dropped first (no index by id: a floor), then answers
 * `{"UnprocessedTraceSegments":[]}`.
 * Both answer 200 to GET /health and /health/ready.
 */
import http from 'node:http';

const [mode, portArg, maxArg] = process.argv.slice(2);
if (mode !== 'zipkin' && mode !== 'xray') throw new Error('usage: node-floor-server.mjs zipkin|xray PORT [MAX_DOCUMENTS]');
const maxDocuments = Number(maxArg ?? 200_000);
// A ring of the last MAX_DOCUMENTS strings: O(1) per document. (A Map evicting its first key walks every entry
// deleted before it, docs/sizing.md §10: 60+ µs per document once full, which is no floor.)
const documents = new Array(maxDocuments);
let stored = 0;
const EMPTY_ANSWER = '{"UnprocessedTraceSegments":[]}';

function handle(body, res) {
  if (mode === 'zipkin') {
    JSON.parse(body);
    res.writeHead(202, { 'content-length': 0 });
    res.end();
    return;
  }
  for (const document of JSON.parse(body).TraceSegmentDocuments) {
    const parsed = JSON.parse(document);
    if (typeof parsed.trace_id !== 'string' || typeof parsed.id !== 'string') throw new Error('a document without trace_id or id');
    documents[stored++ % maxDocuments] = document;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': EMPTY_ANSWER.length });
  res.end(EMPTY_ANSWER);
}

http.createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(req.url?.startsWith('/health') ? 200 : 404, { 'content-length': 0 });
    res.end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    try {
      handle(Buffer.concat(chunks).toString('utf8'), res);
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(String(error));
    }
  });
}).listen(Number(portArg), '127.0.0.1');
