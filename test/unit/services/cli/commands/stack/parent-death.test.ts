// parentDeathPrefix: where setpriv is found on PATH (Linux only), the prefix that gives a child the kernel's
// parent-death signal; nothing otherwise. The signal itself is tested end to end (test/e2e/stack.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parentDeathPrefix } from '../../../../../../services/cli/commands/stack/parent-death.ts';

test('the first executable setpriv on PATH, on Linux only; none: no prefix', () => {
  const empty = mkdtempSync(join(tmpdir(), 'meshray-path-'));
  const notExecutable = mkdtempSync(join(tmpdir(), 'meshray-path-'));
  const withSetpriv = mkdtempSync(join(tmpdir(), 'meshray-path-'));
  try {
    writeFileSync(join(notExecutable, 'setpriv'), '#!/bin/sh\n');
    chmodSync(join(notExecutable, 'setpriv'), 0o644);
    writeFileSync(join(withSetpriv, 'setpriv'), '#!/bin/sh\n');
    chmodSync(join(withSetpriv, 'setpriv'), 0o755);
    const path = [empty, notExecutable, withSetpriv].join(delimiter);
    assert.deepEqual(parentDeathPrefix(path, 'linux'), [join(withSetpriv, 'setpriv'), '--pdeathsig', 'TERM', '--']);
    assert.deepEqual(parentDeathPrefix(path, 'darwin'), [], 'prctl is Linux\'s');
    assert.deepEqual(parentDeathPrefix([empty, notExecutable].join(delimiter), 'linux'), []);
    assert.deepEqual(parentDeathPrefix(undefined, 'linux'), []);
  } finally {
    for (const dir of [empty, notExecutable, withSetpriv]) rmSync(dir, { recursive: true, force: true });
  }
});
