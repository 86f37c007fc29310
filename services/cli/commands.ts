/**
 * The `meshray` CLI's command table. Each command's module is loaded only when it runs, so
 * `meshray translate` does not load Kafka or the AWS SDK.
 */
export interface CommandModule {
  /** Runs the command; resolves with the process exit code. */
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

export interface CommandIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<CommandModule>;
}

export const COMMANDS = {
  translate: { summary: 'dry run: Zipkin spans (v2 JSON, v1 JSON or protobuf) in, X-Ray segment documents (or, with --protocol otlp, OTLP spans) out as ndjson', load: () => import('./commands/translate.ts') },
  start: { summary: 'all-in-one: receiver :9411, translator and xray-local :2000 in one process, no Kafka needed', load: () => import('./commands/start.ts') },
  receiver: { summary: 'run the Zipkin receiver (publishes to Kafka)', load: () => import('./commands/receiver.ts') },
  translator: { summary: 'run a translator (Kafka consumer group member exporting to X-Ray)', load: () => import('./commands/translator.ts') },
  stack: { summary: 'the split services without Docker: a Kafka broker, receiver, N translators, xray-local; Ctrl-C stops all', load: () => import('./commands/stack.ts') },
  'xray-local': { summary: 'run the X-Ray-compatible API and console on :2000', load: () => import('./commands/xray-local.ts') },
  replay: { summary: 're-translate part of a span topic (time range, offsets or the DLQ) into X-Ray', load: () => import('./commands/replay.ts') },
  capture: { summary: 'write a time range of the span topic to a file (Zipkin v2 JSON or ndjson)', load: () => import('./commands/capture.ts') },
  send: { summary: 'post captured spans to a receiver in Envoy-sized batches', load: () => import('./commands/send.ts') },
  demo: { summary: 'Bookinfo traffic simulator: sends what Istio\'s Envoys send', load: () => import('./commands/demo.ts') },
} as const satisfies Record<string, CommandEntry>;

export type CommandName = keyof typeof COMMANDS;
export const isCommandName = (s: string): s is CommandName => Object.hasOwn(COMMANDS, s);
