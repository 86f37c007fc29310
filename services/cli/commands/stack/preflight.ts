/** `meshray stack`'s checks before it starts anything: every service's configuration, Kafka, Redis. */
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { CommandIo } from '../../commands.ts';
import { misdirectingTypos } from '../../command-args.ts';
import { kafkaEnv, kafkaNamesOf, parseConfig, requireSaslCredentials } from '../../../../shared/edge/config/index.ts';
import { createKafka, describeKafkaError } from '../../../../shared/edge/kafka/client.ts';
import { kafkaSecurityOf } from '../../../../shared/edge/kafka/from-config.ts';

/** The address every service of the stack listens on. */
export const STACK_HOST = '127.0.0.1';

const stackKafkaSchema = z.object(kafkaEnv).superRefine(requireSaslCredentials);

/**
 * Each service's configuration as the stack will start it (the environment, plus what the stack sets: brokers,
 * ports, the X-Ray endpoint, the epoch store; placeholders stand for values picked later), checked with the
 * service's own schema: one line per problem, `receiver: ACK_TIMEOUT: …`. A bad value was found only once the
 * broker had started and that service exited. `ownXray`: the stack starts its xray-local and points the translators
 * at it; else they export to the environment's XRAY_ENDPOINT or AWS_REGION, checked as given.
 */
export async function configProblems(env: CommandIo['env'], redisEnabled: boolean, ownXray: boolean): Promise<string[]> {
  const [{ receiverEnvSchema }, { translatorEnvSchema }, { xrayLocalConfigSchema }] = await Promise.all([
    import('../../../receiver/index.ts'), import('../../../translator/index.ts'), import('../../../xray-local/index.ts'),
  ]);
  const brokers = env['KAFKA_BROKERS'] || '127.0.0.1:9092';
  const services = [
    ...(ownXray ? [{ name: 'xray-local', schema: xrayLocalConfigSchema as z.ZodType, set: { XRAY_LOCAL_PORT: env['XRAY_LOCAL_PORT'] || '2000', XRAY_LOCAL_HOST: STACK_HOST } }] : []),
    { name: 'receiver', schema: receiverEnvSchema as z.ZodType, set: { KAFKA_BROKERS: brokers, RECEIVER_PORT: env['RECEIVER_PORT'] || '9411' } },
    { name: 'translator', schema: translatorEnvSchema as z.ZodType, set: { KAFKA_BROKERS: brokers, TRANSLATOR_OPS_PORT: env['TRANSLATOR_OPS_PORT'] || '9412', ...(ownXray ? { XRAY_ENDPOINT: `http://${STACK_HOST}:2000` } : {}), ...(redisEnabled ? { EPOCH_STORE: 'redis' } : { EPOCH_STORE: 'memory' }) } },
  ];
  // the same problem of a shared variable (KAFKA_BROKERS, LOG_LEVEL) is one line naming every service it stops
  const byProblem = new Map<string, string[]>();
  for (const { name, schema, set } of services) {
    const parsed = parseConfig(schema, { ...env, ...set });
    if (parsed.ok) continue;
    for (const i of parsed.issues) {
      const problem = `${i.path === '' ? '' : `${i.path}: `}${i.message}`;
      byProblem.set(problem, [...(byProblem.get(problem) ?? []), name]);
    }
  }
  return [...byProblem].map(([problem, names]) => `${names.join(', ')}: ${problem}`);
}

/** The stack's short-lived admin client for its checks: the services' security settings, seconds of patience. */
function checkAdmin(c: Parameters<typeof kafkaSecurityOf>[0], brokers: readonly string[], retries: number): ReturnType<ReturnType<typeof createKafka>['admin']> {
  return createKafka({
    brokers: [...brokers], clientId: 'meshray-stack-check', logLevel: 'nothing', ...kafkaSecurityOf(c),
    connectionTimeoutMs: 3000, requestTimeoutMs: 5000, retry: { retries },
  }).admin();
}

/**
 * Whether the Kafka of KAFKA_BROKERS answers as Kafka (kafkajs connects and reads the cluster's metadata, with
 * KAFKA_SSL and KAFKA_SASL_*): undefined, or why not in one line. Without it a wrong KAFKA_BROKERS was found
 * only when the services were not ready after 120 s; an endpoint that is not Kafka (a Redis port, say)
 * accepts the connection and fails the first request.
 */
export async function checkKafka(env: CommandIo['env']): Promise<string | undefined> {
  const parsed = parseConfig(stackKafkaSchema, env);
  if (!parsed.ok) return undefined; // configProblems names it, for each service
  const c = parsed.value;
  // Each seed broker in turn, as the services' clients do with their retries: one down (a rolling restart) while
  // another answers is a working cluster (found by the second diff review: only the first was ever tried).
  const causes: string[] = [];
  for (const broker of c.KAFKA_BROKERS) {
    const admin = checkAdmin(c, [broker], 0);
    try {
      await admin.connect();
      await admin.describeCluster();
      return undefined;
    } catch (e) {
      causes.push(c.KAFKA_BROKERS.length === 1 ? describeKafkaError(e) : `${broker}: ${describeKafkaError(e)}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  return `Kafka at ${c.KAFKA_BROKERS.join(',')} (KAFKA_BROKERS) does not answer as Kafka: ${causes.join('; ')}; start it, correct KAFKA_BROKERS, or unset it for a broker of the stack's own`;
}

/**
 * The members the translators' consumer group (TRANSLATOR_GROUP_ID) already has on the Kafka of KAFKA_BROKERS: a
 * note in one line, or undefined when it has none (or the group cannot be read: checkKafka names a broker that
 * does not answer). The stack's translators join that group and share its partitions with those members, and
 * what those take goes to their own export target: a newcomer trial's stack showed a third of its traffic in
 * another xray-local, as OTLP, without a word.
 */
export async function translatorGroupNote(env: CommandIo['env']): Promise<string | undefined> {
  const parsed = parseConfig(stackKafkaSchema, env);
  if (!parsed.ok) return undefined;
  const c = parsed.value;
  const { groupId } = kafkaNamesOf(env);
  const admin = checkAdmin(c, c.KAFKA_BROKERS, 1);
  try {
    await admin.connect();
    const { groups } = await admin.describeGroups([groupId]);
    const members = groups[0]?.members ?? [];
    if (members.length === 0) return undefined;
    const who = [...new Set(members.map((m) => `${m.clientId}@${m.clientHost.replace(/^\//, '')}`))].slice(0, 5).join(', ');
    return `consumer group ${groupId} (TRANSLATOR_GROUP_ID) already has ${members.length} member${members.length === 1 ? '' : 's'} on this Kafka (${who}): this stack's translators share the partitions with ${members.length === 1 ? 'it' : 'them'}, and the spans ${members.length === 1 ? 'it takes go' : 'they take go'} to ${members.length === 1 ? 'its' : 'their'} own export target; stop ${members.length === 1 ? 'it' : 'them'}, or set TRANSLATOR_GROUP_ID to a new group to run apart (a new group reads SPANS_TOPIC from its start)`;
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Whether Redis at `url` answers PING: undefined, or why not in one line. */
export async function checkRedis(url: string): Promise<string | undefined> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  // ioredis rejects connect() with "Connection is closed."; the cause (ECONNREFUSED, ENOTFOUND…) comes as an 'error' event.
  let cause: unknown;
  redis.on('error', (e: unknown) => { cause ??= e; });
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (e) {
    const error = cause ?? e;
    return error instanceof Error ? error.message : String(error);
  } finally {
    redis.disconnect();
  }
}

/**
 * The variables (with a value) a typo away from KAFKA_BROKERS, or from XRAY_ENDPOINT while the stack would start its
 * own xray-local (`ownXray`), while that one is not set: the spans would go to the stack's own broker (deleted with
 * its topics when it stops) or in-memory xray-local. One problem each, by the given name.
 */
export function throwawayTypos(env: CommandIo['env'], ownXray: boolean): Map<string, string> {
  return misdirectingTypos(env, {
    KAFKA_BROKERS: 'without it the stack starts a broker of its own, deleted with its topics when the stack stops',
    ...(ownXray ? { XRAY_ENDPOINT: 'without it the translators export to the stack\'s own xray-local, which keeps traces in memory only' } : {}),
  });
}
