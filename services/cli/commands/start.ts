import type { CommandIo } from '../commands.ts';
import { runUntilSignal } from '../run-until-signal.ts';

const HELP = `usage: meshray start

All-in-one: the Zipkin receiver on :9411, the translator and xray-local (X-Ray API and console) on :2000
in one process. An in-process topic stands in for Kafka. Set XRAY_ENDPOINT, or AWS_REGION with AWS
credentials, to export to that X-Ray instead of the embedded xray-local. EXPORT_PROTOCOL=otlp sends OTLP
spans to <endpoint>/v1/traces (SigV4; the embedded xray-local plays an account with Transaction Search on)
instead of PutTraceSegments. Other settings come from environment variables (see the README).
`;

export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  if (args.includes('--help')) {
    io.stdout.write(HELP);
    return 0;
  }
  const { main } = await import('../../all-in-one/index.ts');
  const running = await main(io.env);
  return runUntilSignal(running);
}
