import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { dlqEnv, kafkaEnv, kafkaNamesOf, KAFKA_NAME_DEFAULTS } from '../../../../../shared/edge/config/fragments.ts';
import { translatorEnvSchema } from '../../../../../services/translator/config.ts';

test('kafkaNamesOf gives the names the services default to, and what env sets', () => {
  const defaults = z.object({ SPANS_TOPIC: kafkaEnv.SPANS_TOPIC, DLQ_TOPIC: dlqEnv.DLQ_TOPIC }).parse({});
  const group = translatorEnvSchema.shape.TRANSLATOR_GROUP_ID.parse(undefined);
  assert.deepEqual(kafkaNamesOf({}), { spansTopic: defaults.SPANS_TOPIC, dlqTopic: defaults.DLQ_TOPIC, groupId: group });
  assert.deepEqual(kafkaNamesOf({}), { spansTopic: 'meshray.spans', dlqTopic: 'meshray.spans.dlq', groupId: 'meshray-translator' });
  assert.deepEqual(kafkaNamesOf({ SPANS_TOPIC: 'a', DLQ_TOPIC: 'b', TRANSLATOR_GROUP_ID: 'c' }), { spansTopic: 'a', dlqTopic: 'b', groupId: 'c' });
  assert.deepEqual(kafkaNamesOf({ SPANS_TOPIC: '', DLQ_TOPIC: '', TRANSLATOR_GROUP_ID: '' }), kafkaNamesOf({}));
  assert.ok(Object.isFrozen(KAFKA_NAME_DEFAULTS));
});
