import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONSOLE_DIST_DIR, CONSOLE_ENTRY, type ConsoleAssets, bundleConsole } from './bundle-console.ts';

export interface LoadedConsoleAssets extends ConsoleAssets {
  /** `source`: bundled in memory from src/ (a checkout); `prebuilt`: read from dist/ (`npm run build`). */
  readonly origin: 'source' | 'prebuilt';
}

/**
 * The console's app.js and app.css. From a source checkout (src/main.ts present) they are bundled in
 * memory, so `npm start` and the tests need no build step and never serve a stale bundle; without the
 * sources (compiled install, Docker image) the files `scripts/build-console.mjs` wrote to dist/ are read.
 */
export async function loadConsoleAssets(): Promise<LoadedConsoleAssets> {
  if (existsSync(CONSOLE_ENTRY)) return { ...(await bundleConsole()), origin: 'source' };
  const jsPath = join(CONSOLE_DIST_DIR, 'app.js');
  const cssPath = join(CONSOLE_DIST_DIR, 'app.css');
  if (!existsSync(jsPath) || !existsSync(cssPath)) {
    throw new Error(`console assets missing: neither ${CONSOLE_ENTRY} nor ${jsPath} exists (run npm run build)`);
  }
  const [js, css] = await Promise.all([readFile(jsPath, 'utf8'), readFile(cssPath, 'utf8')]);
  return { js, css, origin: 'prebuilt' };
}
