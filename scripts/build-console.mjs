#!/usr/bin/env node
// Bundles the xray-local console (services/xray-local/console/src → console/dist/app.js, app.css) for
// installs without the TypeScript sources (the Docker image). Run by `npm run build`. A source checkout
// does not need it: xray-local bundles the console in memory on first request.
// When tsc output exists (dist/services/…, or the output directory given as the first argument), the
// bundle is copied beside the compiled console too.
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { bundleConsole, CONSOLE_DIST_DIR } = await import('../services/xray-local/console/bundle-console.ts');
const started = Date.now();
const assets = await bundleConsole();
const targets = [CONSOLE_DIST_DIR];
const outDir = resolve(root, process.argv[2] ?? 'dist');
if (existsSync(join(outDir, 'services/xray-local/console'))) targets.push(join(outDir, 'services/xray-local/console/dist'));
for (const dir of targets) {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'app.js'), assets.js);
  await writeFile(join(dir, 'app.css'), assets.css);
}
console.log(`console bundled in ${Date.now() - started} ms: app.js ${assets.js.length} B, app.css ${assets.css.length} B → ${targets.map((t) => t.replace(`${root}/`, '')).join(', ')}`);
