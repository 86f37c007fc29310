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

test('an unknown flag of a command that takes a FILE is named without node\'s advice on positionals (found by the newcomer trial: it buried the suggestion)', () => {
  let failure: string | undefined;
  const io = { stdin: Readable.from([]), stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
  parseCommandArgs(['--form-beginning', 'file.json'], OPTIONS, { help: 'usage: meshray x [options] FILE\n', io, maxPositionals: 1, fail: (message) => { failure = message; return 1; } });
  assert.match(failure ?? '', /^Unknown option '--form-beginning'; did you mean --from-beginning\?\n\nusage: meshray x/);
});

test('a named command warns of an environment variable a typo away from one meshray reads (found by the newcomer trial: MESHRAY_TOKN gave a bare 401)', () => {
  const stderr = new PassThrough();
  const io = { stdin: Readable.from([]), stdout: new PassThrough(), stderr, env: { MESHRAY_TOKN: 's3cret', XRAY_ENDPIONT: 'http://x', HOME: '/root' } };
  const result = parseCommandArgs([], OPTIONS, { name: 'send', help: 'usage\n', io, fail: () => 1 });
  assert.notEqual(result, 1);
  const text = String(stderr.read() ?? '');
  assert.match(text, /meshray send: warning: MESHRAY_TOKN is not a variable meshray reads and is ignored; did you mean MESHRAY_TOKEN\?/);
  assert.match(text, /XRAY_ENDPIONT .* did you mean XRAY_ENDPOINT\?/);
  assert.doesNotMatch(text, /HOME/);
});
