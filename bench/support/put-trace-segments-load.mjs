/**
 * A closed-loop PutTraceSegments load (bench only): `node put-trace-segments-load.mjs URL DOCUMENTS_FILE SECONDS
 * CONNECTIONS [PER_CALL]` posts the segment documents of DOCUMENTS_FILE (one JSON document per line) PER_CALL
 * (48) per call over CONNECTIONS keep-alive connections for SECONDS, each connection posting its next call as
 * soon as the last is answered. Every pass over the file rewrites the trace ids (8 hex digits of their random
 * part: a tag of this process and the pass), so each call stores new traces, as a translator's would. Prints
 * one JSON line: calls answered with every document accepted, calls with anything else, documents accepted.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';

const [url, file, secondsArg, connectionsArg, perCallArg] = process.argv.slice(2);
const seconds = Number(secondsArg);
const connections = Number(connectionsArg);
const perCall = Number(perCallArg ?? 48);
const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
const target = new URL('/TraceSegments', url);
const TRACE_ID = /"trace_id":"1-([0-9a-f]{8})-[0-9a-f]{8}/;

let pass = 0;
const bodies = [];
while (bodies.length < 1000) {
  const tag = ((process.pid * 4096 + pass++) >>> 0).toString(16).padStart(8, '0').slice(-8);
  const documents = lines.map((l) => l.replace(TRACE_ID, `"trace_id":"1-$1-${tag}`));
  for (let i = 0; i + perCall <= documents.length; i += perCall) {
    bodies.push(Buffer.from(JSON.stringify({ TraceSegmentDocuments: documents.slice(i, i + perCall) })));
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const endAt = Date.now() + seconds * 1000;
let next = 0;
let accepted = 0;
let failed = 0;
let firstFailure = '';
let open = connections;

function post() {
  if (Date.now() >= endAt) {
    if (--open === 0) {
      agent.destroy();
      process.stdout.write(`${JSON.stringify({ calls: accepted, failed, documents: accepted * perCall, firstFailure })}\n`);
    }
    return;
  }
  const body = bodies[next++ % bodies.length];
  const req = http.request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
    let answer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => { answer += chunk; });
    res.on('end', () => {
      if (res.statusCode === 200 && !answer.includes('ErrorCode')) accepted += 1;
      else { failed += 1; firstFailure ||= `${res.statusCode}: ${answer.slice(0, 300)}`; }
      post();
    });
  });
  req.on('error', (error) => { process.stderr.write(`${error.message}\n`); process.exit(1); });
  req.end(body);
}
for (let c = 0; c < connections; c++) post();
