/**
 * The export target is explicit: without XRAY_ENDPOINT or an AWS region the translator and replay refuse
 * to start with one line naming what to set; with a region but no credentials anywhere, replay stops at
 * once, saying X-Ray refused the caller (not 8 rounds of retries, not "100 %" with nothing written).
 * Each runs the real CLI (bin/meshray.mjs) in a child process with a controlled environment.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createKafka, parseBrokers } from '../../../../shared/edge/kafka/client.ts';
import { ensureTopics } from '../../../../shared/edge/kafka/topics.ts';
import { toSpanRecords } from '../../../../shared/core/span-record/record.ts';
import type { Span } from '../../../../shared/core/zipkin/span.ts';
import { IDEMPOTENT } from '../../../support/idempotent-producer.ts';

const BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
const CLI = new URL('../../../../bin/meshray.mjs', import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), 'meshray-no-aws-'));
const kafka: Kafka = createKafka({ brokers: parseBrokers(BROKERS), clientId: 'export-target-it', logLevel: 'nothing' });
const producer = kafka.producer(IDEMPOTENT);

before(async () => { await producer.connect(); });
after(async () => {
  await producer.disconnect();
  rmSync(home, { recursive: true, force: true });
});

/** An environment with no AWS configuration at all: no variables, an empty home, no instance metadata. */
const bareEnv = (extra: Record<string, string>): Record<string, string> => ({
  PATH: process.env['PATH'] ?? '', HOME: home, AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: join(home, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'), ...extra,
});

function cli(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('translator without XRAY_ENDPOINT or AWS_REGION: one line naming both, exit code 1, no stack', async () => {
  const r = await cli(['translator'], bareEnv({ KAFKA_BROKERS: BROKERS, LOG_LEVEL: 'info' }));
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'meshray translator: invalid configuration: no X-Ray export target: set XRAY_ENDPOINT (e.g. http://127.0.0.1:2000 for xray-local) or AWS_REGION (real X-Ray)\n');
  assert.equal(r.stdout, '', 'nothing logged: it never started');
});

test('replay without a target: one line naming the flags and variables, exit code 1', async () => {
  const r = await cli(['replay', '--all', '--topic', 'whatever'], bareEnv({ KAFKA_BROKERS: BROKERS }));
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'meshray replay: no X-Ray export target: give --xray-endpoint URL (XRAY_ENDPOINT, e.g. http://127.0.0.1:2000 for xray-local) or --region REGION (AWS_REGION, real X-Ray), or --dry-run (a running meshray stack\'s own xray-local is used when its Kafka is read without --brokers or KAFKA_BROKERS)\n');
});

test('replay to a region without any credentials: stops at once naming the refused caller; nothing counted as replayed', async () => {
  const topic = `it-export-target-${randomUUID().slice(0, 8)}`;
  await ensureTopics(kafka, [{ topic, numPartitions: 1, replicationFactor: -1 }]);
  const spans: Span[] = Array.from({ length: 5 }, (_, i) => ({
    traceId: `5af7183fb1d4cf5f5af7183fb1d4cf${(16 + i).toString(16)}`, id: `6b221d5bc9e6496${i}`, name: 'get /ratings', kind: 'SERVER',
    timestampMicros: Date.now() * 1000, durationMicros: 1200, localEndpoint: { serviceName: 'ratings' }, annotations: [], tags: {},
  }));
  await producer.send({ topic, acks: -1, messages: toSpanRecords(spans, Date.now()).map((r) => ({ key: r.key, value: r.value, headers: { ...r.headers } })) });

  const r = await cli(['replay', '--all', '--topic', topic, '--region', 'eu-west-1', '--epoch-store', 'memory', '--quiet'], bareEnv({ KAFKA_BROKERS: BROKERS }));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /exporting to https:\/\/xray\.eu-west-1\.amazonaws\.com \(region eu-west-1; credentials: default chain: shared files .*instance metadata is disabled\)/);
  assert.match(r.stderr, /meshray replay: stopped: 0\/5 records \(0%\), 0 spans exported, 0 documents written/, 'nothing shown as replayed');
  assert.match(r.stderr, /meshray replay: failed: XRAY_ACCESS_DENIED: X-Ray refused the caller, not the documents \(partition 0, first at offset 0\): PutTraceSegments refused: CredentialsProviderError: .*; fix the credentials or permissions and rerun/);
  assert.doesNotMatch(r.stderr, /100%|after \d+ retries/);
  assert.match(r.stderr, /to finish, rerun with --offsets 0:0-4 --topic /);
});
