/**
 * The all-in-one composition root (`meshray start`): receiver, translator and xray-local in one
 * process. An in-process topic takes Kafka's place behind the same ports (SpanPublisher, SpanSource),
 * so spans follow the same decode → publish → consume → translate → export → commit path.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { UpdateTraceSegmentDestinationCommand } from '@aws-sdk/client-xray';
import { KAFKA_NAME_DEFAULTS, loadConfig } from '../../shared/edge/config/index.ts';
import { assertPortsFree, listenOn } from '../../shared/edge/http/listen.ts';
import { createProcessLoggers, type Logger } from '../../shared/edge/log/index.ts';
import { createRegistry } from '../../shared/edge/metrics/registry.ts';
import { FileDeadLetterSink, traceIdsOf } from './dead-letter-file.ts';
import { InProcessTopic } from '../../shared/edge/transport/index.ts';
import { buildApp as buildReceiverApp, InProcessSpanPublisher, receiverEdge, receiverMetrics } from '../receiver/index.ts';
import {
  buildApp as buildTranslatorApp, ConsumerHealth, createTranslatorMetrics, createXRayClient, describeExportTarget, ExportHealth,
  exportSinkFromSettings, InProcessSpanSource, TransactionSearchCheck, translatorConfigOf, type DeadLetter, type TranslatorApp,
} from '../translator/index.ts';
import { buildXRayLocal, type EmbeddedXRayLocal } from '../xray-local/index.ts';
import { allInOneEnvSchema, chooseExportTarget, exportTargetWarning, unusedServiceEnv, type AllInOneConfig, type ExportTarget } from './config.ts';

export interface RunningAllInOne {
  readonly receiver: FastifyInstance;
  readonly xrayLocal: FastifyInstance | undefined;
  readonly translator: TranslatorApp;
  readonly topic: InProcessTopic;
  readonly target: ExportTarget;
  /** The configuration it was started with (parsed, frozen). */
  readonly config: AllInOneConfig;
  /**
   * Stops taking spans, drains the in-process topic into X-Ray (bounded by `drainTimeoutMs`), stops the
   * translator, appends what is still not exported to DEAD_LETTER_FILE (`unexported_at_shutdown`), closes.
   * Calling it again returns the same promise.
   */
  close(drainTimeoutMs?: number): Promise<void>;
  /** During close(): ends the drain now (a second Ctrl-C); what is not exported yet still goes to the file. */
  hurry(): void;
  /**
   * For a process about to exit at once (a third Ctrl-C): writes what the topic still holds, and what a
   * close() was still writing, to DEAD_LETTER_FILE synchronously; returns a line saying what became of it.
   * A span close() had written already may then be in the file twice (`meshray send` writes it once).
   */
  abandon(): string;
}

/** The TCP port `app` listens on; undefined when it does not listen. */
function boundPort(app: FastifyInstance): number | undefined {
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : undefined;
}

/** Trace ids named in the error line when the shutdown's dead letters cannot be written. */
const MAX_TRACE_IDS_LOGGED = 100;

/** Short enough that the drain, the translator's stop and the dead-letter write fit docker stop's 10 s grace. */
const DEFAULT_DRAIN_TIMEOUT_MS = 5_000;

export async function main(env: Record<string, string | undefined> = process.env, logger?: Logger): Promise<RunningAllInOne> {
  const config = loadConfig(allInOneEnvSchema, env);
  FileDeadLetterSink.checkWritable(config.DEAD_LETTER_FILE); // before anything listens
  // One logger per embedded service, so every line names the service it comes from, as in a cluster.
  const loggerFor: (service: string) => Logger = logger === undefined ? createProcessLoggers(config.LOG_LEVEL) : (service) => logger.child({ service });
  const lifecycle = loggerFor('meshray').child({ component: 'all-in-one' });
  const target = chooseExportTarget(config, env);
  const targetWarning = exportTargetWarning(config, env, target);
  if (targetWarning !== undefined) lifecycle.warn(targetWarning);
  const unused = unusedServiceEnv(env);
  if (unused.length > 0) {
    lifecycle.warn({ unused }, `meshray start does not use ${unused.join(', ')}: ${unused.length === 1 ? 'it configures' : 'they configure'} the standalone receiver, translator or xray-local (\`meshray stack\`, or each service)`);
  }

  // Both ports at once, so that a start with both taken names both (listenOn below names only its own).
  await assertPortsFree([
    ...(target.kind === 'embedded' ? [{ port: config.XRAY_LOCAL_PORT, host: config.XRAY_LOCAL_HOST, portVariable: 'XRAY_LOCAL_PORT', hostVariable: 'XRAY_LOCAL_HOST' }] : []),
    { port: config.RECEIVER_PORT, host: config.RECEIVER_HOST, portVariable: 'RECEIVER_PORT', hostVariable: 'RECEIVER_HOST' },
  ]);
  // xray-local first, so the translator's X-Ray client has somewhere to talk to.
  let xrayLocal: FastifyInstance | undefined;
  let embeddedClient: EmbeddedXRayLocal['client'] | undefined;
  let endpoint: string | undefined;
  if (target.kind === 'embedded') {
    ({ app: xrayLocal, client: embeddedClient } = buildXRayLocal({
      logger: loggerFor('xray-local'),
      registry: createRegistry(),
      maxSegments: config.XRAY_LOCAL_MAX_SEGMENTS,
      throttleSegmentsPerSecond: config.XRAY_LOCAL_THROTTLE_SEGMENTS_PER_SECOND,
    }));
    // A port in use (or not bindable) is one PORT_UNAVAILABLE line naming the variable, as the services say it.
    await listenOn(xrayLocal, { port: config.XRAY_LOCAL_PORT, host: config.XRAY_LOCAL_HOST, portVariable: 'XRAY_LOCAL_PORT', hostVariable: 'XRAY_LOCAL_HOST' });
    endpoint = `http://127.0.0.1:${boundPort(xrayLocal) ?? config.XRAY_LOCAL_PORT}`;
  } else if (target.kind === 'endpoint') {
    endpoint = target.endpoint;
  }

  const registry = createRegistry({ defaultMetrics: true });
  const topic = new InProcessTopic({ name: KAFKA_NAME_DEFAULTS.SPANS_TOPIC, partitions: config.IN_PROCESS_PARTITIONS, maxRecords: config.BUFFER_MAX_SPANS });
  const publisher = new InProcessSpanPublisher({ topic, metrics: receiverMetrics(registry) });

  const metrics = createTranslatorMetrics(registry);
  const translatorLog = loggerFor('translator');
  const deadLetters = new FileDeadLetterSink({ path: config.DEAD_LETTER_FILE, logger: translatorLog, protocol: config.EXPORT_PROTOCOL });
  const exportHealth = new ExportHealth({ failureTimeoutMs: config.EXPORT_FAILURE_TIMEOUT, now: Date.now });
  const health = new ConsumerHealth({ stallTimeoutMs: config.LIVENESS_STALL_TIMEOUT, now: Date.now, exportState: exportHealth });
  const region = target.kind === 'aws' ? target.region : config.AWS_REGION;
  // The SDK client: any target but the embedded xray-local's PutTraceSegments, which is answered in process
  // (embeddedClient: no loopback HTTP, signing or JSON); the OTLP path signs with it and reads Transaction Search.
  const xray = createXRayClient({ region, endpoint, env });
  const exportTarget = target.kind === 'embedded'
    ? { ...describeExportTarget({ region, endpoint, env }), credentials: 'none (the embedded xray-local, answered in process)' }
    : describeExportTarget({ region, endpoint, env });
  const transactionSearch = config.EXPORT_PROTOCOL === 'otlp' ? new TransactionSearchCheck({ client: xray, logger: translatorLog }) : undefined;
  if (transactionSearch && target.kind === 'embedded') {
    // The embedded xray-local plays an account with Transaction Search on, as the OTLP path needs.
    await xray.send(new UpdateTraceSegmentDestinationCommand({ Destination: 'CloudWatchLogs' }));
  }
  await transactionSearch?.start();
  const translator = buildTranslatorApp({
    translatorConfig: translatorConfigOf(config),
    poisonMaxAttempts: config.POISON_MAX_ATTEMPTS,
    logger: translatorLog,
    registry,
    metrics,
    health,
    exportHealth,
    source: new InProcessSpanSource({
      topic,
      partitionsConcurrency: config.PARTITIONS_CONCURRENCY,
      maxBatch: 500,
      logger: translatorLog,
      health,
      metrics,
    }),
    ...exportSinkFromSettings(config, { client: xray, ...(embeddedClient ? { segmentsClient: embeddedClient } : {}), endpoint, region: exportTarget.region, metrics, health: exportHealth }),
    ...(transactionSearch ? { transactionSearch } : {}),
    deadLetters,
    clock: Date.now,
  });

  let closing: Promise<void> | undefined;
  let hurried = false;
  /** The shutdown's dead letters while close() writes them. */
  let saving: DeadLetter[] | undefined;
  /** The dead letters' message for what was not confirmed exported when `how` (meshray start stopped …). */
  const unexportedMessage = (how: string): string => `not confirmed exported when meshray start ${how}; some may have reached X-Ray already (README: Shutdown)`;
  const receiverLog = loggerFor('receiver');
  const edge = receiverEdge(config, receiverLog); // token file and TLS pair read now: a bad one fails the start
  const receiver = buildReceiverApp({
    config,
    publisher,
    logger: receiverLog,
    registry,
    ...(edge.tokens ? { tokens: edge.tokens } : {}),
    ...(edge.tls ? { tls: edge.tls } : {}),
    timeouts: edge.timeouts,
    maxConnections: edge.maxConnections,
    isReady: () => publisher.readinessProblem() ?? exportHealth.ready() ?? transactionSearch?.ready() ?? true,
    // the translator's liveness is the process's: a partition that stopped moving (a record it cannot finish) fails it
    isLive: () => health.live() ?? true,
  });
  /** Stops the translator and what it exports to: the tail of close(), and of a start that failed. */
  const stopExport = async (): Promise<void> => {
    await translator.stop();
    transactionSearch?.stop();
    xray.destroy();
    await xrayLocal?.close();
  };
  await translator.start();
  try {
    await listenOn(receiver, { port: config.RECEIVER_PORT, host: config.RECEIVER_HOST, portVariable: 'RECEIVER_PORT', hostVariable: 'RECEIVER_HOST' });
  } catch (error) {
    // Nothing was accepted yet: stop what started, so the process can exit with the one-line error.
    await stopExport();
    throw error;
  }
  edge.start(receiver.server);
  lifecycle.info({
    // the ports bound (RECEIVER_PORT=0 or XRAY_LOCAL_PORT=0 pick a free one)
    receiverPort: boundPort(receiver) ?? config.RECEIVER_PORT,
    xrayLocalPort: xrayLocal ? boundPort(xrayLocal) ?? config.XRAY_LOCAL_PORT : undefined,
    // xray-local has no authentication: say who can reach it (loopback unless XRAY_LOCAL_HOST says otherwise).
    xrayLocalHost: xrayLocal ? config.XRAY_LOCAL_HOST : undefined,
    receiverEdge: edge.description,
    export: { kind: target.kind, protocol: config.EXPORT_PROTOCOL, ...exportTarget },
  }, 'meshray started');

  return {
    receiver,
    xrayLocal,
    translator,
    topic,
    target,
    config,
    hurry() {
      hurried = true;
    },
    abandon() {
      const message = unexportedMessage('exited at once (a third signal, before its shutdown finished)');
      const letters = [...(saving ?? []), ...translator.unexportedLetters(topic.name, topic.removeAll(), { reason: 'unexported_at_shutdown', message })];
      saving = undefined;
      if (letters.length === 0) return 'nothing held was lost';
      try {
        const spans = deadLetters.sendSync(letters);
        return `${spans} spans not exported were written to ${deadLetters.path}: meshray send FILE sends them again`;
      } catch (err) {
        const { traceIds, more } = traceIdsOf(letters, MAX_TRACE_IDS_LOGGED);
        return `spans not confirmed exported are lost (${(err as Error).message}); their traces: ${traceIds.join(' ')}${more > 0 ? ` and ${more} more` : ''}`;
      }
    },
    close(drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS) {
      closing ??= shutDown(drainTimeoutMs);
      return closing;
    },
  };

  async function shutDown(drainTimeoutMs: number): Promise<void> {
    lifecycle.info({ held: topic.size }, 'shutting down');
    publisher.close();
    edge.stop();
    await receiver.close();
    const deadline = Date.now() + drainTimeoutMs;
    while (topic.size > 0 && Date.now() < deadline && !hurried) await sleep(50);
    try {
      await stopExport();
    } catch (err) {
      lifecycle.error({ err }, 'stopping the export failed; what it did not commit is saved below');
    }
    // Nothing consumes the topic now: what it still holds was answered 202 but not confirmed exported
    // (X-Ray throttling, unreachable, or just behind). It goes to the dead-letter file, for `meshray send`.
    const unexported = topic.removeAll();
    const before = deadLetters.written;
    if (unexported.length > 0) {
      // a poison record still under POISON_MAX_ATTEMPTS keeps its own reason (its poison spans, alone)
      const letters = translator.unexportedLetters(topic.name, unexported, { reason: 'unexported_at_shutdown', message: unexportedMessage(`stopped (the shutdown drain waits ${drainTimeoutMs} ms)`) });
      saving = letters; // until written: a third Ctrl-C (abandon) writes them itself
      try {
        await deadLetters.send(letters);
        saving = undefined;
        lifecycle.warn({ spans: deadLetters.written - before, file: deadLetters.path },
          'spans not confirmed exported at shutdown were written to the dead-letter file: meshray send FILE sends them again');
      } catch (err) {
        // the last trace of them: which traces may be incomplete in X-Ray
        const { traceIds, more } = traceIdsOf(letters, MAX_TRACE_IDS_LOGGED);
        lifecycle.error({ err, records: unexported.length, file: deadLetters.path, traceIds, ...(more > 0 ? { moreTraces: more } : {}) },
          'spans not confirmed exported at shutdown are lost: the dead-letter file could not be written (traceIds: the traces they belong to)');
      }
    }
    if (before > 0) lifecycle.warn({ spans: before, file: deadLetters.path }, 'spans were dead-lettered during this run');
    lifecycle.info('stopped');
  }
}
