/** The `meshray` entry point itself: --version, and a misspelled command named with its closest match. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/processes.ts';

const meshray = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'services/cli/main.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

test('meshray --version prints package.json\'s version and the Node it runs on', () => {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const r = meshray('--version');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `meshray ${version} (Node ${process.versions.node})\n`);
});

test('a misspelled command is refused naming the closest one; a far one gets the list only', () => {
  const typo = meshray('transalte');
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /^meshray: unknown command "transalte"; did you mean "translate"\?\n/);
  const far = meshray('frobnicate');
  assert.equal(far.status, 1);
  assert.match(far.stderr, /^meshray: unknown command "frobnicate"\n\nusage: meshray <command>/);
});

test('a misspelled top-level option is named with its closest one (--versio: --version)', () => {
  const r = meshray('--versio');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^meshray: unknown option "--versio"; did you mean "--version"\?\n/);
});

test('meshray help <command> is meshray <command> --help (it printed the general usage); meshray help alone, the general usage', () => {
  const r = meshray('help', 'send');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, meshray('send', '--help').stdout);
  assert.match(r.stdout, /^usage: meshray send /);
  const general = meshray('help');
  assert.equal(general.status, 0);
  assert.match(general.stdout, /^usage: meshray <command> \[options\]\n/);
});

test('meshray help <typo> names the command meant, as a misspelled command does', () => {
  const r = meshray('help', 'sned');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^meshray: unknown command "sned"; did you mean "send"\?\n/);
});
