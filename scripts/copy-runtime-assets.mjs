#!/usr/bin/env node
// Part of `npm run build`: tsc emits JavaScript (and the JSON it imports) only, so the other files the
// compiled services read at run time beside their modules (protobuf descriptors, the X-Ray JSON schema, Avro
// schemas, the console's sources) are copied into the output tree at the same relative paths: every file
// under services/ and shared/ that is not TypeScript. Usage: node scripts/copy-runtime-assets.mjs [outDir]
// (default dist, relative to the repository root).
import { cpSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(root, process.argv[2] ?? 'dist');

/** Every file under `dir` (relative to the root) whose name does not end in .ts. */
function assetsUnder(dir) {
  const out = [];
  for (const name of readdirSync(join(root, dir)).sort()) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...assetsUnder(path));
    else if (!name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const assets = ['services', 'shared'].flatMap(assetsUnder);
for (const path of assets) cpSync(join(root, path), join(outDir, path));
console.log(`copied ${assets.length} runtime assets → ${relative(root, outDir) || '.'}/`);
