import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { parseCommandArgs } from '../../../../services/cli/command-args.ts';

const OPTIONS = { 'from-beginning': { type: 'boolean' }, topic: { type: 'string' }, to: { type: 'string' } } as const;

function parse(args: readonly string[]): { result: unknown; failure: string | undefined } {
  let failure: string | undefined;
  const io = { stdin: Readable.from([]), stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
  const result = parseCommandArgs(args, OPTIONS, { help: 'usage: meshray x [options]\n', io, fail: (message) => { failure = message; return 1; } });
  return { result, failure };
}

test('a misspelled long flag is refused with the command flag it is closest to', () => {
  const { result, failure } = parse(['--form-beginning']);
  assert.equal(result, 1);
  assert.match(failure ?? '', /^Unknown option '--form-beginning'; did you mean --from-beginning\?\n\nusage: meshray x/);
  assert.match(parse(['--topics=spans']).failure ?? '', /'--topics'; did you mean --topic\?/);
  assert.match(parse(['--hepl']).failure ?? '', /did you mean --help\?/);
});

test('an unknown flag far from every flag, or a short one, is refused without a guess', () => {
  for (const args of [['--partition-count'], ['-x']]) {
    const { result, failure } = parse(args);
    assert.equal(result, 1);
    assert.match(failure ?? '', /^Unknown option '-/);
    assert.doesNotMatch(failure ?? '', /did you mean/);
  }
});

test('known flags parse', () => {
  const { result, failure } = parse(['--from-beginning', '--topic', 'spans']);
  assert.equal(failure, undefined);
  assert.deepEqual({ ...(result as { values: object }).values }, { 'from-beginning': true, topic: 'spans' });
});
