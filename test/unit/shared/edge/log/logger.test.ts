import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const MODULE = new URL('../../../../../shared/edge/log/logger.ts', import.meta.url).href;

/** Lines a child process prints when `make` (`createLogger` per service, or `createProcessLoggers`) logs 3,000 times by turns. */
async function linesOf(make: string): Promise<{ service: string; n: number }[]> {
  const script = `
    const { createLogger, createProcessLoggers } = await import(${JSON.stringify(MODULE)});
    const loggerFor = ${make};
    const loggers = ['receiver', 'translator', 'xray-local'].map(loggerFor);
    for (let n = 0; n < 3000; n++) loggers[n % 3].info({ n, pad: 'x'.repeat(200) }, 'line');`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as { service: string; n: number });
}

test('createProcessLoggers: the services of one process print their lines in the order they were logged', async () => {
  const lines = await linesOf('createProcessLoggers("info")');
  assert.equal(lines.length, 3000);
  assert.deepEqual(lines.map((l) => l.n), Array.from({ length: 3000 }, (_, n) => n));
  assert.deepEqual(lines.slice(0, 3).map((l) => l.service), ['receiver', 'translator', 'xray-local']);
});

test('a closed output (EPIPE, EIO, EBADF: a closed terminal or pipe) is ignored by the process loggers; any other write error is not', async () => {
  const { ignoreClosedOutput } = await import('../../../../../shared/edge/log/logger.ts');
  const error = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
  for (const code of ['EPIPE', 'EIO', 'EBADF']) assert.doesNotThrow(() => ignoreClosedOutput(error(code)), code);
  assert.throws(() => ignoreClosedOutput(error('ENOSPC')), /ENOSPC/);
});

test('a service logger whose stdout is closed (EIO, EBADF: its terminal gone) still lets the process exit: its flush at exit retried the lost line for ever', async () => {
  const { openSync, closeSync } = await import('node:fs');
  const script = `
    const { createLogger } = await import(${JSON.stringify(MODULE)});
    const log = createLogger({ level: 'info', service: 'receiver' });
    log.info('started');
    setTimeout(() => { log.info('stopping'); process.exit(0); }, 100);`;
  const readOnly = openSync('/dev/null', 'r'); // every write to it fails with EBADF
  try {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', readOnly, 'ignore'] });
    const exit = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); resolve('still running after 15 s'); }, 15_000);
      child.once('exit', (code) => { clearTimeout(timer); resolve(code ?? -1); });
    });
    assert.equal(exit, 0);
  } finally {
    closeSync(readOnly);
  }
});
