import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run as receiver } from '../../../../../services/cli/commands/receiver.ts';
import { run as translator } from '../../../../../services/cli/commands/translator.ts';
import { run as xrayLocal } from '../../../../../services/cli/commands/xray-local.ts';
import { run as start } from '../../../../../services/cli/commands/start.ts';
import { receiverEnvSchema } from '../../../../../services/receiver/config.ts';
import { translatorEnvSchema } from '../../../../../services/translator/config.ts';
import { xrayLocalConfigSchema } from '../../../../../services/xray-local/config.ts';
import { runCommand } from '../io.ts';
import { PassThrough, Readable } from 'node:stream';
import { serviceArgsExit } from '../../../../../services/cli/command-args.ts';

const cases = [
  { name: 'receiver', run: receiver, schema: receiverEnvSchema, expect: ['  RECEIVER_PORT=9411', '  KAFKA_BROKERS (required)', '  ACK_MODE=kafka'] },
  { name: 'translator', run: translator, schema: translatorEnvSchema, expect: ['  TRANSLATOR_OPS_PORT=9412', '  KAFKA_BROKERS (required)', '  REDIS_URL=redis://127.0.0.1:6379'] },
  { name: 'xray-local', run: xrayLocal, schema: xrayLocalConfigSchema, expect: ['  XRAY_LOCAL_PORT=2000', '  XRAY_LOCAL_HOST=127.0.0.1'] },
];

for (const c of cases) {
  test(`meshray ${c.name} --help lists every environment variable with its default and meaning`, async () => {
    const { code, stdout, stderr } = await runCommand(c.run, ['--help']);
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.match(stdout, new RegExp(`^usage: meshray ${c.name}\\n`));
    const lines = stdout.split('\n');
    for (const [name, field] of Object.entries(c.schema.shape)) {
      const at = lines.findIndex((l) => l.startsWith(`  ${name}=`) || l.startsWith(`  ${name} (`));
      assert.ok(at >= 0, `${name} is listed`);
      const meaning = (field as { description?: string }).description ?? '';
      assert.ok(meaning.length > 0, `${name} has a meaning`);
      assert.equal(lines[at + 1], `      ${meaning}`, `${name}'s meaning follows it`);
    }
    for (const line of c.expect) assert.ok(lines.includes(line), `${line.trim()} in --help`);
  });
}

for (const [name, run] of [['receiver', receiver], ['translator', translator], ['xray-local', xrayLocal], ['start', start]] as const) {
  test(`meshray ${name} refuses any argument but --help, before starting anything: it is configured by the environment`, async () => {
    for (const args of [['--bogus'], ['--port', '9999'], ['extra']]) {
      const { code, stdout, stderr } = await runCommand(run, args);
      assert.equal(code, 1, args.join(' '));
      assert.equal(stdout, '');
      assert.equal(stderr, `meshray ${name}: unexpected argument '${args[0]}': it is configured by environment variables only (\`meshray ${name} --help\` lists them)\n`);
    }
  });
}

test('a service command names each misspelled variable (it would be ignored) before it starts, and what was meant', async () => {
  const err: Buffer[] = [];
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  const io = { stdin: Readable.from([]), stdout: new PassThrough(), stderr, env: { EXPORT_PROTCOL: 'otlp', ASSEMBLY_IDEL: '1s', KAFKA_BROKERS: 'k:9092', HOME: '/root' } };
  const exit = await serviceArgsExit([], io, { name: 'translator', usage: '', loadSchema: async () => translatorEnvSchema });
  assert.equal(exit, undefined, 'it starts all the same');
  assert.equal(Buffer.concat(err).toString(), [
    'meshray translator: warning: ASSEMBLY_IDEL is not a variable of meshray translator and is ignored; did you mean ASSEMBLY_IDLE?',
    'meshray translator: warning: EXPORT_PROTCOL is not a variable of meshray translator and is ignored; did you mean EXPORT_PROTOCOL?',
    '',
  ].join('\n'));
});

test('meshray start names a typo of another service\'s variable too (KAFKA_BROKER was ignored without a word)', async () => {
  const { START_ARGS } = await import('../../../../../services/cli/commands/start.ts');
  const err: Buffer[] = [];
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  const io = { stdin: Readable.from([]), stdout: new PassThrough(), stderr, env: { KAFKA_BROKER: 'k:9092', RECEIVER_PROT: '1' } };
  assert.equal(await serviceArgsExit([], io, START_ARGS), undefined);
  assert.equal(Buffer.concat(err).toString(), [
    'meshray start: warning: KAFKA_BROKER is not a variable of meshray start and is ignored; did you mean KAFKA_BROKERS?',
    'meshray start: warning: RECEIVER_PROT is not a variable of meshray start and is ignored; did you mean RECEIVER_PORT?',
    '',
  ].join('\n'));
});

test('meshray start refuses a typo of XRAY_ENDPOINT while it would export to the embedded xray-local (spans meant for X-Ray went to memory), and names the other typos as warnings', async () => {
  const { START_ARGS } = await import('../../../../../services/cli/commands/start.ts');
  const startWith = async (env: Record<string, string>): Promise<[number | undefined, string]> => {
    const err: Buffer[] = [];
    const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
    const exit = await serviceArgsExit([], { stdin: Readable.from([]), stdout: new PassThrough(), stderr, env }, START_ARGS);
    return [exit, Buffer.concat(err).toString()];
  };
  assert.deepEqual(await startWith({ XRAY_ENDPIONT: 'https://xray.us-east-1.amazonaws.com', RECEIVER_PROT: '1' }), [1, [
    'meshray start: warning: RECEIVER_PROT is not a variable of meshray start and is ignored; did you mean RECEIVER_PORT?',
    'meshray start: XRAY_ENDPIONT is not a variable meshray reads; did you mean XRAY_ENDPOINT? without it the spans go to the embedded xray-local, which keeps traces in memory only: rename it, or unset it',
    '',
  ].join('\n')]);
  // With XRAY_ENDPOINT set the near-miss changes nothing where spans go: a warning, as before.
  const [exit, said] = await startWith({ XRAY_ENDPOINT: 'http://127.0.0.1:2000', XRAY_ENDPIONT: 'x' });
  assert.equal(exit, undefined);
  assert.match(said, /^meshray start: warning: XRAY_ENDPIONT is not a variable/);
});
