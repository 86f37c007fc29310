// parentDeathPrefix: where setpriv is found on PATH (Linux only), the prefix that gives a child the kernel's
// parent-death signal; nothing otherwise. The signal itself is tested end to end (test/e2e/stack.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parentDeathPrefix } from '../../../../../../services/cli/commands/stack/parent-death.ts';

test('the first executable setpriv on an absolute PATH entry that takes --pdeathsig, on Linux only; else no prefix', () => {
  const dirs = Array.from({ length: 4 }, () => mkdtempSync(join(tmpdir(), 'meshray-path-')));
  const [empty, notExecutable, tooOld, works] = dirs as [string, string, string, string];
  const fake = (dir: string, script: string, mode: number): void => {
    writeFileSync(join(dir, 'setpriv'), script);
    chmodSync(join(dir, 'setpriv'), mode);
  };
  try {
    fake(notExecutable, '#!/bin/sh\nexit 0\n', 0o644);
    fake(tooOld, '#!/bin/sh\necho "setpriv: unrecognized option \'--pdeathsig\'" >&2; exit 1\n', 0o755); // util-linux < 2.33
    fake(works, '#!/bin/sh\n[ "$1 $2 $3 $4" = "--pdeathsig TERM -- true" ] && exit 0; exit 1\n', 0o755);
    assert.deepEqual(parentDeathPrefix([empty, notExecutable, works].join(delimiter), 'linux'), [join(works, 'setpriv'), '--pdeathsig', 'TERM', '--']);
    assert.deepEqual(parentDeathPrefix([empty, tooOld, works].join(delimiter), 'linux'), [], 'the first setpriv decides, as PATH would');
    assert.deepEqual(parentDeathPrefix(works, 'darwin'), [], 'prctl is Linux\'s');
    assert.deepEqual(parentDeathPrefix([empty, notExecutable].join(delimiter), 'linux'), []);
    assert.deepEqual(parentDeathPrefix(['bin', '.'].join(delimiter), 'linux'), [], 'relative entries: the children start elsewhere');
    assert.deepEqual(parentDeathPrefix(undefined, 'linux'), []);
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});
