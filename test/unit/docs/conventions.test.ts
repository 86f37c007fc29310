/**
 * docs/CONVENTIONS.md, "Tests": a unit test may listen only on 127.0.0.1, on an ephemeral port (port 0),
 * in its own process (an in-process server: xray-local's app for the real AWS SDK, a receiver stub for the
 * HTTP transports). Never a fixed port, another interface, Kafka or Redis: those are integration tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** The unit suite and the harnesses it shares with the other suites. */
const unitFiles = () => [...filesUnder(join(TEST_ROOT, 'unit')), ...filesUnder(join(TEST_ROOT, 'support'))];

test('every listen in a unit test or shared harness binds 127.0.0.1 on port 0 (or a port the caller passes)', () => {
  const offending: string[] = [];
  let seen = 0;
  for (const file of unitFiles()) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/\.listen\(([^;]*?)\)[;\s]/g)) {
      seen += 1;
      const args = match[1] ?? '';
      const loopback = args.includes("'127.0.0.1'");
      const ephemeral = /\bport: 0\b|^0,|port: wantedPort \?\? 0/.test(args);
      if (!loopback || !ephemeral) offending.push(`${relative(TEST_ROOT, file)}: listen(${args})`);
    }
  }
  assert.ok(seen >= 3, `found only ${seen} listen calls: the pattern no longer matches the code`);
  assert.deepEqual(offending, []);
});

test('no unit test reaches Kafka or Redis (the shared topic reader and real clients are for integration and e2e)', () => {
  const offending = filesUnder(join(TEST_ROOT, 'unit')).filter((file) => /support\/read-topic\.ts|new Redis\(|\.(?:producer|consumer|admin)\(\)\s*;?\s*\n\s*await [a-z]+\.connect\(\)/i.test(readFileSync(file, 'utf8')));
  assert.deepEqual(offending.map((f) => relative(TEST_ROOT, f)), []);
});
