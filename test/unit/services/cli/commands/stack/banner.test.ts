import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stackBanner, type StackBannerInput } from '../../../../../../services/cli/commands/stack/banner.ts';

const base: StackBannerInput = {
  brokers: '127.0.0.1:9092', brokersLine: '127.0.0.1:9092 (pid 10, logs /tmp/k/server.log)', redis: 'redis://127.0.0.1:6379',
  receiverPort: 9411, opsPorts: [9412, 9413], xrayPort: 2000, xrayEndpoint: 'http://127.0.0.1:2000', target: { kind: 'embedded' },
  moved: [], env: {}, pidOf: (name) => ({ receiver: 11, 'translator-1': 12, 'translator-2': 13, 'xray-local': 14 } as Record<string, number>)[name],
};

test('stackBanner names every endpoint with its pid, the environment the services got, and how to send traffic', () => {
  const lines = stackBanner(base).split('\n');
  assert.equal(lines[0], 'meshray stack is up');
  assert.ok(lines.includes('  receiver     http://127.0.0.1:9411/api/v2/spans   (pid 11; /health/ready, /metrics)'), lines.join('\n'));
  assert.ok(lines.includes('  translator-2 http://127.0.0.1:9413/metrics   (pid 13; /health/ready)'));
  assert.ok(lines.includes('  xray-local   http://127.0.0.1:2000/   (pid 14; console; X-Ray API for the AWS SDK and CLI)'));
  for (const line of ['  KAFKA_BROKERS=127.0.0.1:9092', '  TRANSLATOR_OPS_PORT=9412,9413', '  XRAY_ENDPOINT=http://127.0.0.1:2000', '  SPANS_TOPIC=meshray.spans', '  EXPORT_PROTOCOL=segments']) {
    assert.ok(lines.includes(line), `${line} missing:\n${lines.join('\n')}`);
  }
  assert.ok(lines.includes('send traffic:  npx meshray demo --target http://127.0.0.1:9411'));
  assert.ok(!lines.some((l) => l.startsWith('dead letters:')), 'a broker of KAFKA_BROKERS stays');
  // its own broker, with the DLQ, goes when the stack stops: say how to keep the dead letters (newcomer trial)
  assert.ok(stackBanner({ ...base, ownBroker: true }).split('\n').includes('dead letters: meshray.spans.dlq goes with this stack\'s broker when it stops; keep them first with npx meshray capture --dlq --all --output dlq.ndjson'));
});

test('stackBanner: an export target of the user\'s own, no Redis, and a moved port', () => {
  const text = stackBanner({
    ...base, redis: undefined, xrayPort: undefined, xrayEndpoint: undefined, target: { kind: 'endpoint', endpoint: 'http://xray.test:2000' },
    env: { XRAY_ENDPOINT: 'http://xray.test:2000', EXPORT_PROTOCOL: 'otlp' }, moved: ['RECEIVER_PORT: 9411 is busy, took 9500'],
  });
  assert.match(text, /^ {2}export {7}http:\/\/xray\.test:2000 \(XRAY_ENDPOINT\); xray-local not started$/m);
  assert.match(text, /^ {2}redis {8}off \(--no-redis\)$/m);
  assert.match(text, /^ {2}REDIS_URL=\(not used: EPOCH_STORE=memory\)$/m);
  assert.match(text, /^ {2}XRAY_ENDPOINT=http:\/\/xray\.test:2000$/m);
  assert.doesNotMatch(text, /XRAY_LOCAL_PORT/);
  assert.match(text, /^ {2}EXPORT_PROTOCOL=otlp$/m, 'replay reads it: as segments it stored every OTLP-exported trace again');
  assert.match(text, /^note: RECEIVER_PORT: 9411 is busy, took 9500$/m);
});
