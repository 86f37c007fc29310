import type { CommandIo } from '../commands.ts';
import { serviceArgsExit } from '../command-args.ts';
import { runUntilSignal } from '../run-until-signal.ts';

const USAGE = `usage: meshray xray-local

An X-Ray-compatible API (PutTraceSegments, GetTraceSummaries, BatchGetTraces, GetServiceGraph,
GetTraceGraph; the OTLP endpoint POST /v1/traces with Transaction Search's Get/UpdateTraceSegmentDestination,
StartTraceRetrieval, ListRetrievedTraces, GetRetrievedTracesGraph) and its console at /, with /health/* and
/metrics, on XRAY_LOCAL_PORT. Point a translator's
XRAY_ENDPOINT at it. Configured by environment variables only:

`;

/** `meshray xray-local`: the X-Ray-compatible API and console (config from env, listed by --help). */
export async function run(args: readonly string[], io: CommandIo): Promise<number> {
  const exit = await serviceArgsExit(args, io, { name: 'xray-local', usage: USAGE, loadSchema: async () => (await import('../../xray-local/index.ts')).xrayLocalConfigSchema });
  if (exit !== undefined) return exit;
  const { main } = await import('../../xray-local/index.ts');
  return runUntilSignal(await main(io.env));
}
