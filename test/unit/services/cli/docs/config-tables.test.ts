import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { renderConfigTable, renderEnvHelp, spliceConfigSection, SERVICE_SCHEMAS } from '../../../../../services/cli/docs/config-tables.ts';
import { bytes, durationMs, formatBytes, formatDurationMs } from '../../../../../shared/edge/config/types.ts';

test('the README configuration tables match the env schemas (run npm run docs:config)', () => {
  const readme = readFileSync(new URL('../../../../../README.md', import.meta.url), 'utf8');
  assert.equal(spliceConfigSection(readme), readme);
});

test('tables mark required variables and show defaults', () => {
  const table = renderConfigTable(SERVICE_SCHEMAS.receiver);
  assert.match(table, /\| `KAFKA_BROKERS` \| \*\*required\*\* \|/);
  assert.match(table, /\| `RECEIVER_PORT` \| `9411` \|/);
  for (const schema of Object.values(SERVICE_SCHEMAS)) {
    for (const [name, field] of Object.entries(schema.shape)) {
      assert.ok((field as { description?: string }).description, `${name} has a description`);
    }
  }
});

test('durations and sizes show their defaults in their units, and each shown default reads back to the default', () => {
  const table = renderConfigTable(SERVICE_SCHEMAS.translator);
  assert.match(table, /\| `ASSEMBLY_IDLE` \| `5\.5s` \|/);
  assert.match(table, /\| `EPOCH_TTL` \| `1m` \|/);
  assert.match(table, /\| `XRAY_RETRY_BASE` \| `100ms` \|/);
  assert.match(renderConfigTable(SERVICE_SCHEMAS.receiver), /\| `MAX_BODY_BYTES` \| `5mb` \|/);
  assert.match(renderEnvHelp(SERVICE_SCHEMAS.translator), /^ {2}ASSEMBLY_IDLE=5\.5s$/m);
  let checked = 0;
  for (const schema of Object.values(SERVICE_SCHEMAS)) {
    const help = renderEnvHelp(schema);
    for (const [name, field] of Object.entries(schema.shape) as [string, z.ZodType][]) {
      const shown = new RegExp(`^ {2}${name}=(.*)$`, 'm').exec(help)?.[1];
      if (shown === undefined || shown === '') continue;
      assert.deepEqual(field.parse(shown), field.parse(undefined), `${name}=${shown} reads back to its default`);
      checked += 1;
    }
  }
  assert.ok(checked > 40, `${checked} defaults read back`);
});

test('formatDurationMs and formatBytes give text that durationMs and bytes read back', () => {
  for (const ms of [0, 1, 20, 100, 999, 1000, 1500, 5500, 1234, 60_000, 90_000, 120_000, 3_600_000]) {
    assert.equal(durationMs().parse(formatDurationMs(ms)), ms, formatDurationMs(ms));
  }
  for (const n of [0, 1, 1000, 1024, 1536, 128 * 1024, 5 * 1024 ** 2, 1024 ** 3]) {
    assert.equal(bytes().parse(formatBytes(n)), n, formatBytes(n));
  }
  assert.equal(formatDurationMs(5500), '5.5s');
  assert.equal(formatBytes(5 * 1024 ** 2), '5mb');
});
