import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../../shared/edge/config/index.ts';
import { receiverEnvSchema } from '../../../../services/receiver/config.ts';

describe('receiver config', () => {
  it('has the documented defaults', () => {
    const r = parseConfig(receiverEnvSchema, { KAFKA_BROKERS: '127.0.0.1:9092' });
    assert.ok(r.ok);
    const c = r.value;
    assert.equal(c.RECEIVER_PORT, 9411);
    assert.equal(c.MAX_BODY_BYTES, 5 * 1024 * 1024);
    assert.equal(c.MAX_SPANS_PER_REQUEST, 10_000);
    assert.equal(c.ACK_MODE, 'kafka');
    assert.equal(c.ACK_TIMEOUT, 3000);
    assert.equal(c.BUFFER_MAX_SPANS, 50_000);
    assert.equal(c.BATCH_LINGER, 5);
    assert.equal(c.BATCH_MAX_MESSAGES, 1000);
    assert.equal(c.SPANS_TOPIC_PARTITIONS, 6);
    assert.equal(c.HEAP_GROWING_PERCENT, 300);
  });

  it('refuses a BATCH_LINGER over 1s, or over half of ACK_TIMEOUT with ACK_MODE=kafka (a lone request waited it out: 503 ACK_TIMEOUT at every quiet moment)', () => {
    const of = (env: Record<string, string>) => parseConfig(receiverEnvSchema, { KAFKA_BROKERS: '127.0.0.1:9092', ...env });
    const tooLong = of({ BATCH_LINGER: '2s', ACK_MODE: 'buffer' });
    assert.ok(!tooLong.ok);
    assert.deepEqual(tooLong.issues.map((i) => [i.path, i.message]), [['BATCH_LINGER', 'at most 1s: every span waits this long for Kafka, and Envoy times out its POST, got "2s"']]);
    for (const [linger, ack] of [['500ms', '500ms'], ['99ms', '100ms'], ['251ms', '500ms']]) {
      const pastAck = of({ BATCH_LINGER: linger as string, ACK_TIMEOUT: ack as string });
      assert.ok(!pastAck.ok, `${linger} of ${ack}`);
      assert.deepEqual(pastAck.issues.map((i) => i.path), ['BATCH_LINGER']);
      assert.match(pastAck.issues[0]?.message ?? '', /^must be at most half of ACK_TIMEOUT \(\d+ ms\) with ACK_MODE=kafka/);
    }
    const half = of({ BATCH_LINGER: '250ms', ACK_TIMEOUT: '500ms' });
    assert.ok(half.ok, 'half is fine');
    const buffered = of({ BATCH_LINGER: '500ms', ACK_TIMEOUT: '500ms', ACK_MODE: 'buffer' });
    assert.ok(buffered.ok && buffered.value.BATCH_LINGER === 500, 'ACK_MODE=buffer answers before Kafka: no ACK_TIMEOUT to pass');
    const fine = of({ BATCH_LINGER: '1s', ACK_TIMEOUT: '2s' });
    assert.ok(fine.ok && fine.value.BATCH_LINGER === 1000);
  });

  it('takes V8\'s growing factor as a whole percent, 0–1000', () => {
    const ok = parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1', HEAP_GROWING_PERCENT: '0' });
    assert.ok(ok.ok);
    assert.equal(ok.value.HEAP_GROWING_PERCENT, 0);
    for (const bad of ['1001', '-5', '2.5', 'lots']) {
      const r = parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1', HEAP_GROWING_PERCENT: bad });
      assert.ok(!r.ok, bad);
      assert.deepEqual(r.issues.map((i) => i.path), ['HEAP_GROWING_PERCENT'], bad);
    }
  });

  it('holds SPANS_TOPIC_CHECK_INTERVAL to 100ms–24h (1000h overflowed setTimeout: a metadata request every millisecond)', () => {
    const of = (v: string) => parseConfig(receiverEnvSchema, { KAFKA_BROKERS: '127.0.0.1:9092', SPANS_TOPIC_CHECK_INTERVAL: v });
    const day = of('24h');
    assert.ok(day.ok && day.value.SPANS_TOPIC_CHECK_INTERVAL === 86_400_000);
    const dflt = parseConfig(receiverEnvSchema, { KAFKA_BROKERS: '127.0.0.1:9092' });
    assert.ok(dflt.ok && dflt.value.SPANS_TOPIC_CHECK_INTERVAL === 15_000);
    const long = of('1000h');
    assert.ok(!long.ok && long.issues.some((i) => i.path === 'SPANS_TOPIC_CHECK_INTERVAL' && /at most 24h/.test(i.message)), JSON.stringify(long));
    assert.ok(!of('10ms').ok);
  });

  it('parses units', () => {
    const r = parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1', MAX_BODY_BYTES: '512kb', ACK_TIMEOUT: '2500ms', BATCH_LINGER: '1s' });
    assert.ok(r.ok);
    assert.equal(r.value.MAX_BODY_BYTES, 512 * 1024);
    assert.equal(r.value.ACK_TIMEOUT, 2500);
    assert.equal(r.value.BATCH_LINGER, 1000);
  });

  it('lists every problem at once', () => {
    const r = parseConfig(receiverEnvSchema, { ACK_MODE: 'sometimes', MAX_BODY_BYTES: 'huge', RECEIVER_PORT: '70000' });
    assert.ok(!r.ok);
    const paths = r.issues.map((i) => i.path).sort();
    assert.deepEqual(paths, ['ACK_MODE', 'KAFKA_BROKERS', 'MAX_BODY_BYTES', 'RECEIVER_PORT']);
  });

  it('refuses a per-request span limit the buffer could never hold', () => {
    const r = parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1', MAX_SPANS_PER_REQUEST: '100', BUFFER_MAX_SPANS: '50' });
    assert.ok(!r.ok);
    assert.ok(r.issues.some((i) => i.path === 'MAX_SPANS_PER_REQUEST'));
  });

  it('edge keys (issue 10): auth and TLS off, timeouts at their defaults; tokens parsed; conflicting or half settings refused', () => {
    const d = parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1' });
    assert.ok(d.ok);
    assert.equal(d.value.RECEIVER_AUTH_TOKENS, undefined);
    assert.equal(d.value.RECEIVER_TLS_CERT, undefined);
    assert.deepEqual([d.value.RECEIVER_HEADERS_TIMEOUT, d.value.RECEIVER_REQUEST_TIMEOUT, d.value.RECEIVER_KEEP_ALIVE_TIMEOUT, d.value.RECEIVER_CONNECTION_TIMEOUT, d.value.RECEIVER_FILE_RELOAD_INTERVAL],
      [10_000, 30_000, 72_000, 0, 10_000]);
    const t = parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1', RECEIVER_AUTH_TOKENS: ' abc , def,', RECEIVER_HEADERS_TIMEOUT: '2s' });
    assert.ok(t.ok);
    assert.deepEqual(t.value.RECEIVER_AUTH_TOKENS, ['abc', 'def']);
    assert.equal(t.value.RECEIVER_HEADERS_TIMEOUT, 2000);
    const bad = parseConfig(receiverEnvSchema, {
      KAFKA_BROKERS: 'a:1', RECEIVER_AUTH_TOKENS: 'abc', RECEIVER_AUTH_TOKENS_FILE: '/t', RECEIVER_TLS_CERT: '/c.pem',
      RECEIVER_HEADERS_TIMEOUT: '40s', RECEIVER_REQUEST_TIMEOUT: '30s',
    });
    assert.ok(!bad.ok);
    assert.deepEqual(bad.issues.map((i) => i.path).sort(), ['RECEIVER_AUTH_TOKENS_FILE', 'RECEIVER_HEADERS_TIMEOUT', 'RECEIVER_TLS_KEY']);
    assert.equal(parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1', RECEIVER_AUTH_TOKENS: 'has space' }).ok, false);
  });

  it('describes every key', () => {
    for (const [key, schema] of Object.entries(receiverEnvSchema.shape)) assert.ok(schema.description, key);
  });
});

it('MAX_BODY_BYTES is refused above 512mb (a body is held in memory whole)', () => {
  const r = parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1', MAX_BODY_BYTES: '5gb' });
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.path), ['MAX_BODY_BYTES']);
  assert.match(r.issues[0]?.message ?? '', /at most 512mb/);
  assert.ok(parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1', MAX_BODY_BYTES: '512mb' }).ok);
});

it('RECEIVER_AUTH_TOKENS (or its file, or a TLS file) set but empty is refused: a secret that did not render must not turn authentication off', () => {
  const r = parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1', RECEIVER_AUTH_TOKENS: '', RECEIVER_TLS_CERT: '' });
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => `${i.path}: ${i.message}`), [
    'RECEIVER_AUTH_TOKENS: is set but empty: authentication would be off; give the tokens, or unset it to turn authentication off',
    'RECEIVER_TLS_CERT: is set but empty: TLS would be off; give the file, or unset it to serve plain HTTP',
  ]);
  assert.ok(parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1', RECEIVER_AUTH_TOKENS: undefined, SPANS_TOPIC: '' }).ok, 'unset, and other variables set empty, are as before');
});

it('MAX_BODY_BYTES below 1kb is refused, saying a bare number is bytes (found by the newcomer trial: MAX_BODY_BYTES=5 answered every request 413)', () => {
  const r = parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1', MAX_BODY_BYTES: '5' });
  assert.equal(r.ok, false);
  assert.match(JSON.stringify(r), /MAX_BODY_BYTES.*at least 1kb: a bare number is bytes \(write 5mb for 5 MiB\)/);
  const ok = parseConfig(receiverEnvSchema, { KAFKA_BROKERS: 'a:1', MAX_BODY_BYTES: '1kb' });
  assert.ok(ok.ok);
});
