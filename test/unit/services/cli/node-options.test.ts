import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_NODE_OPTIONS, nodeOptionsFor } from '../../../../services/cli/node-options.ts';

test('the receiver, the translator and the all-in-one get a larger young generation by default; the others none', () => {
  assert.equal(nodeOptionsFor('receiver', {}), '--max-semi-space-size=32');
  assert.equal(nodeOptionsFor('translator', {}), '--max-semi-space-size=64');
  assert.equal(nodeOptionsFor('start', {}), '--max-semi-space-size=64');
  assert.equal(nodeOptionsFor('xray-local', {}), undefined);
  assert.equal(nodeOptionsFor('replay', {}), undefined);
});

test('npm start passes the all-in-one\'s default on node\'s command line', () => {
  const scripts = (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.equal(scripts['start'], `node ${nodeOptionsFor('start', {}) ?? ''} --import tsx services/cli/main.ts start`);
});

test("the environment's own NODE_OPTIONS replaces the default, even when empty", () => {
  assert.equal(nodeOptionsFor('translator', { NODE_OPTIONS: '--max-old-space-size=512' }), '--max-old-space-size=512');
  assert.equal(nodeOptionsFor('receiver', { NODE_OPTIONS: '' }), '');
});

test('the defaults cannot be changed at run time', () => {
  assert.throws(() => { (DEFAULT_NODE_OPTIONS as Record<string, string>)['receiver'] = '--max-semi-space-size=1'; }, TypeError);
});
