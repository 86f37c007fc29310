/**
 * A child process that opens COUNT idle TCP connections to 127.0.0.1:PORT and holds them (never writing a
 * byte), so a test's receiver and the connections' client ends do not share one process's file
 * descriptor limit (10,000 connections with both ends in one process need 20,000+ descriptors).
 *   node --import tsx test/support/hold-connections.ts PORT COUNT
 * Prints one JSON line when all are connected (or failed): {"open":n,"failed":n,"firstError":"…"}; then
 * holds them until its stdin ends, and prints {"closedByPeer":n} (connections the server closed) before
 * it exits.
 */
import { connect, type Socket } from 'node:net';

const [port, count] = process.argv.slice(2).map(Number);
if (!Number.isInteger(port) || !Number.isInteger(count)) throw new Error('usage: hold-connections.ts PORT COUNT');

const BATCH = 500;
const sockets: Socket[] = [];
let failed = 0;
let firstError = '';
let closedByPeer = 0;
let exiting = false;

const open = (): Promise<void> => new Promise((resolve) => {
  const s = connect(port as number, '127.0.0.1', () => {
    sockets.push(s);
    s.once('close', () => { if (!exiting) closedByPeer += 1; });
    resolve();
  });
  s.once('error', (e) => { if (!sockets.includes(s)) { failed += 1; firstError ||= e.message; resolve(); } });
});

for (let i = 0; i < (count as number); i += BATCH) {
  await Promise.all(Array.from({ length: Math.min(BATCH, (count as number) - i) }, open));
}
process.stdout.write(`${JSON.stringify({ open: sockets.length, failed, firstError })}\n`);

process.stdin.resume();
process.stdin.once('end', () => {
  process.stdout.write(`${JSON.stringify({ closedByPeer })}\n`);
  exiting = true;
  for (const s of sockets) s.destroy();
  process.exit(0);
});
