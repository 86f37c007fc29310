import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { DEFAULT_NODE_OPTIONS, IMAGE_NODE_MAJOR, RUNNING_NODE_MAJOR, defaultNodeOptions, nodeOptionsFor } from '../../../../services/cli/node-options.ts';

test('the receiver, the translator and the all-in-one get a young generation size by default, per Node line; the others none', () => {
  assert.equal(nodeOptionsFor('receiver', {}, 20), '--max-semi-space-size=32');
  assert.equal(nodeOptionsFor('receiver', {}, 24), '--max-semi-space-size=16', 'Node 24: 16 MiB (docs/sizing.md §13)');
  assert.equal(nodeOptionsFor('receiver', {}, 22), '--max-semi-space-size=16', 'from 22 on, Node 24\'s');
  for (const major of [20, 24]) {
    assert.equal(nodeOptionsFor('translator', {}, major), '--max-semi-space-size=64');
    assert.equal(nodeOptionsFor('start', {}, major), '--max-semi-space-size=64');
    assert.equal(nodeOptionsFor('xray-local', {}, major), undefined);
    assert.equal(nodeOptionsFor('replay', {}, major), undefined);
  }
  assert.equal(nodeOptionsFor('receiver', {}), defaultNodeOptions(RUNNING_NODE_MAJOR)['receiver'], 'without a major: the running Node\'s');
  assert.deepEqual(DEFAULT_NODE_OPTIONS, defaultNodeOptions(RUNNING_NODE_MAJOR));
});

test('IMAGE_NODE_MAJOR is the Node.js the image runs (Dockerfile)', () => {
  const dockerfile = readFileSync(new URL('../../../../Dockerfile', import.meta.url), 'utf8');
  const majors = [...dockerfile.matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
  assert.ok(majors.length > 0);
  for (const major of majors) assert.equal(major, IMAGE_NODE_MAJOR);
});

test("npm start runs the all-in-one with its default NODE_OPTIONS, and the operator's own replaces it", () => {
  const scripts = (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const start = scripts['start'] ?? '';
  const launch = ' --import tsx services/cli/main.ts start';
  assert.ok(start.endsWith(launch), start);
  // The script as npm runs it (sh), the service swapped for a node that prints the NODE_OPTIONS it was given.
  const nodeOptionsSeen = (env: Record<string, string>): string => {
    const { NODE_OPTIONS: _ignored, ...base } = process.env;
    return execFileSync('sh', ['-c', `${start.slice(0, -launch.length)} -p "process.env.NODE_OPTIONS"`], { env: { ...base, ...env }, encoding: 'utf8' }).trim();
  };
  assert.equal(nodeOptionsSeen({}), nodeOptionsFor('start', {}));
  assert.equal(nodeOptionsSeen({ NODE_OPTIONS: '--max-old-space-size=512' }), '--max-old-space-size=512');
  assert.equal(nodeOptionsSeen({ NODE_OPTIONS: '' }), '');
});

test("the environment's own NODE_OPTIONS replaces the default, even when empty", () => {
  assert.equal(nodeOptionsFor('translator', { NODE_OPTIONS: '--max-old-space-size=512' }), '--max-old-space-size=512');
  assert.equal(nodeOptionsFor('receiver', { NODE_OPTIONS: '' }), '');
});

test('the defaults cannot be changed at run time', () => {
  assert.throws(() => { (DEFAULT_NODE_OPTIONS as Record<string, string>)['receiver'] = '--max-semi-space-size=1'; }, TypeError);
  assert.throws(() => { (defaultNodeOptions(24) as Record<string, string>)['receiver'] = '--max-semi-space-size=1'; }, TypeError);
});
