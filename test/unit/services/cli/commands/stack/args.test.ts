import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStackArgs } from '../../../../../../services/cli/commands/stack/args.ts';

test('parseStackArgs: 2 translators with Redis by default; --translators N and =N; --no-redis', () => {
  assert.deepEqual(parseStackArgs([], {}), { translators: 2, redisEnabled: true, errors: [] });
  assert.deepEqual(parseStackArgs(['--translators', '3', '--no-redis'], {}), { translators: 3, redisEnabled: false, errors: [] });
  assert.deepEqual(parseStackArgs(['--translators=4'], {}), { translators: 4, redisEnabled: true, errors: [] });
});

test('parseStackArgs lists every problem at once: a bad count, an unknown option (with the one meant), more translators than partitions', () => {
  const { errors } = parseStackArgs(['--translators', 'x', '--no-reds'], {});
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(errors[0] ?? '', /translators/);
  assert.equal(errors[1], 'unknown option "--no-reds"; did you mean --no-redis?');
  assert.deepEqual(parseStackArgs(['--translators', '7'], {}).errors,
    ['--translators: at most 6 (SPANS_TOPIC_PARTITIONS): a member beyond the partition count gets no work']);
  assert.deepEqual(parseStackArgs(['--translators', '7'], { SPANS_TOPIC_PARTITIONS: '12' }).errors, []);
  assert.deepEqual(parseStackArgs([], { SPANS_TOPIC_PARTITIONS: '' }).errors, [], 'empty is unset (it was "at most 0")');
});
