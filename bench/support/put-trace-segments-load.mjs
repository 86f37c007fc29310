/**
 * A closed-loop PutTraceSegments load (bench only): `node put-trace-segments-load.mjs URL DOCUMENTS_FILE SECONDS
 * CONNECTIONS [PER_CALL]` posts the segment documents of DOCUMENTS_FILE (one JSON document per line) PER_CALL
 * (48) per call over CONNECTIONS keep-alive connections for SECONDS, each connection posting its next call as
 * soon as the last is answered. Every pass over the file rewrites the trace ids (8 hex digits of their random
 * part: a tag of this process and the pass) as each body is sent, so each call stores new traces, as a
 * translator's would (the store fills and then evicts). Prints
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

// Bodies hold a placeholder where 8 hex digits of each trace id go; every pass over them puts its own tag there,
// when each body is sent: no call repeats another's ids, so the store keeps filling and evicting.
const PLACEHOLDER = 'PPPPPPPP'; // not hex: it cannot stand for anything else in a document
const bodies = [];
for (let i = 0; i + perCall <= lines.length; i += perCall) {
  const documents = lines.slice(i, i + perCall).map((l) => l.replace(TRACE_ID, `"trace_id":"1-$1-${PLACEHOLDER}`));
  bodies.push(JSON.stringify({ TraceSegmentDocuments: documents }));
}
if (bodies.length === 0) throw new Error(`${file}: fewer than ${perCall} documents`);
const tagOf = (pass) => ((process.pid * 65536 + pass) >>> 0).toString(16).padStart(8, '0').slice(-8);

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
  const body = Buffer.from(bodies[next % bodies.length].replaceAll(PLACEHOLDER, tagOf(Math.floor(next / bodies.length))));
  next += 1;
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
