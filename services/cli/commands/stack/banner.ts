import { kafkaNamesOf, type ExportTarget } from '../../../../shared/edge/config/index.ts';
import { nodeOptionsFor } from '../../node-options.ts';
import { STACK_HOST as HOST } from './preflight.ts';

/** What the banner of a stack that is up names. */
export interface StackBannerInput {
  /** KAFKA_BROKERS as the services got it. */
  readonly brokers: string;
  /** The broker's line: `host:port (pid …, logs …)` or `… (KAFKA_BROKERS)`. */
  readonly brokersLine: string;
  /** The stack started its own broker (deleted, with its topics, when the stack stops); false with KAFKA_BROKERS. */
  readonly ownBroker?: boolean;
  /** REDIS_URL; undefined with --no-redis. */
  readonly redis: string | undefined;
  readonly receiverPort: number;
  /** One ops port per translator, in order. */
  readonly opsPorts: readonly number[];
  /** The stack's own xray-local, when it started one. */
  readonly xrayPort: number | undefined;
  readonly xrayEndpoint: string | undefined;
  readonly target: ExportTarget;
  /** `note:` lines: usual ports that were busy, a translator group that already had members. */
  readonly moved: readonly string[];
  /** The stack's environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly pidOf: (service: string) => number | undefined;
}

/** The lines `meshray stack` prints once every service is ready: endpoints, the environment used, what next. */
export function stackBanner(b: StackBannerInput): string {
  const env: Record<string, string> = {
    KAFKA_BROKERS: b.brokers,
    REDIS_URL: b.redis ?? '(not used: EPOCH_STORE=memory)',
    RECEIVER_PORT: String(b.receiverPort),
    TRANSLATOR_OPS_PORT: b.opsPorts.join(','),
    ...(b.xrayPort === undefined ? {} : { XRAY_LOCAL_PORT: String(b.xrayPort) }),
    XRAY_ENDPOINT: b.xrayEndpoint ?? b.env['XRAY_ENDPOINT'] ?? `(not set: AWS X-Ray in ${b.env['AWS_REGION'] ?? '?'})`,
    // What the translators export as: replay and capture read it too, and a replay as segments after OTLP translators
    // stored every trace again under another X-Ray id (newcomer trial: the block left it out).
    EXPORT_PROTOCOL: b.env['EXPORT_PROTOCOL'] || 'segments',
    SPANS_TOPIC: kafkaNamesOf(b.env).spansTopic,
    TRANSLATOR_GROUP_ID: kafkaNamesOf(b.env).groupId,
    NODE_OPTIONS: b.env['NODE_OPTIONS'] ?? `receiver ${nodeOptionsFor('receiver', {}) ?? ''}, translators ${nodeOptionsFor('translator', {}) ?? ''}`,
  };
  const pidOf = (name: string): string => `pid ${b.pidOf(name) ?? '?'}`;
  const lines = [
    'meshray stack is up',
    `  kafka        ${b.brokersLine}`,
    `  redis        ${b.redis ?? 'off (--no-redis)'}`,
    `  receiver     http://${HOST}:${b.receiverPort}/api/v2/spans   (${pidOf('receiver')}; /health/ready, /metrics)`,
    ...b.opsPorts.map((port, i) => `  translator-${i + 1} http://${HOST}:${port}/metrics   (${pidOf(`translator-${i + 1}`)}; /health/ready)`),
    b.xrayPort === undefined
      ? `  export       ${b.target.kind === 'endpoint' ? `${b.target.endpoint} (XRAY_ENDPOINT)` : `AWS X-Ray in ${b.target.kind === 'aws' ? b.target.region : '?'} (AWS_REGION)`}; xray-local not started`
      : `  xray-local   http://${HOST}:${b.xrayPort}/   (${pidOf('xray-local')}; console; X-Ray API for the AWS SDK and CLI)`,
    'env (TRANSLATOR_OPS_PORT: one port per translator; NODE_OPTIONS: by service, not one value to copy):',
    ...Object.entries(env).map(([k, v]) => `  ${k}=${v}`),
    ...b.moved.map((m) => `note: ${m}`),
    `send traffic:  npx meshray demo --target http://${HOST}:${b.receiverPort}`,
    // its broker goes with it, and the DLQ with it: a newcomer's 78 dead letters went without a word
    ...(b.ownBroker === true ? [`dead letters: ${kafkaNamesOf(b.env).dlqTopic} goes with this stack's broker when it stops; keep them first with npx meshray capture --dlq --all --output dlq.ndjson`] : []),
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
}
