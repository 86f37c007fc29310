import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderConfigTable, spliceConfigSection, SERVICE_SCHEMAS } from '../../../../../services/cli/docs/config-tables.ts';

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
