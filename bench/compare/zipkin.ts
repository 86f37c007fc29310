/**
 * The reference: Zipkin's own server (`io.zipkin:zipkin-server:3.5.1:exec`, in-memory storage), resolved from
 * Maven Central with `mvn dependency:copy` into bench/.scratch/zipkin/ (gitignored; nothing committed), as
 * tools/kafka resolves the broker.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, tailOutput, waitHttpOk } from '../support/processes.ts';
import type { CompareTarget } from './measure.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ZIPKIN_ARTIFACT = 'io.zipkin:zipkin-server:3.5.1:jar:exec';
const JAR_DIR = join(ROOT, 'bench', '.scratch', 'zipkin');
const JAR = join(JAR_DIR, 'zipkin-server-3.5.1-exec.jar');

/** The exec jar's path, fetched with Maven (MVN overrides the command) when not there yet. */
export function resolveZipkinJar(log: (m: string) => void): string {
  if (existsSync(JAR)) return JAR;
  mkdirSync(JAR_DIR, { recursive: true });
  const mvn = process.env['MVN'] ?? 'mvn';
  log(`resolving ${ZIPKIN_ARTIFACT} with ${mvn} dependency:copy`);
  const res = spawnSync(mvn, ['-q', '-B', '-Dstyle.color=never', 'dependency:copy', `-Dartifact=${ZIPKIN_ARTIFACT}`, `-DoutputDirectory=${JAR_DIR}`],
    { cwd: JAR_DIR, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  // Maven 3.8's -q still writes ANSI resets (ESC[0m): print only what is left once they are gone.
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '').trim();
  if (output !== '') log(output);
  if (res.error) throw new Error(`cannot run ${mvn} (install Maven 3, or set MVN): ${res.error.message}`);
  if (res.status !== 0 || !existsSync(JAR)) throw new Error(`${mvn} dependency:copy ${ZIPKIN_ARTIFACT} failed (exit ${res.status ?? res.signal})`);
  return JAR;
}

/** Starts the Zipkin server pinned to `core` (taskset), in-memory storage, on a free port; resolves once /health answers. */
export async function startZipkin(core: number, log: (m: string) => void): Promise<CompareTarget> {
  const jar = resolveZipkinJar(log);
  const port = await freePort();
  const javaBin = process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java';
  const child = spawn('taskset', ['-c', String(core), javaBin, '-jar', jar], {
    env: { ...process.env, STORAGE_TYPE: 'mem', QUERY_PORT: String(port), LOGGING_LEVEL_ROOT: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = tailOutput(child);
  const url = `http://127.0.0.1:${port}`;
  await waitHttpOk(`${url}/health`, child, 120_000, output);
  return { label: 'zipkin-server 3.5.1', url, child, pids: { 'zipkin-server': child.pid } };
}
