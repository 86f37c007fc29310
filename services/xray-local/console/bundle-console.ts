import { fileURLToPath } from 'node:url';

/** The console's browser sources and where `scripts/build-console.mjs` writes the bundle. */
export const CONSOLE_ENTRY = fileURLToPath(new URL('./src/main.ts', import.meta.url));
export const CONSOLE_DIST_DIR = fileURLToPath(new URL('./dist/', import.meta.url));

export interface ConsoleAssets {
  readonly js: string;
  readonly css: string;
}

/**
 * Bundles `src/main.ts` (and the CSS it imports, and @dagrejs/dagre) with esbuild into one ES module and
 * one stylesheet, in memory. esbuild is a development dependency: this runs from a source checkout, and
 * `npm run build` writes the result to `dist/` for installs that have no sources (the Docker image).
 */
export async function bundleConsole(options: { minify?: boolean } = {}): Promise<ConsoleAssets> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [CONSOLE_ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: options.minify ?? true,
    legalComments: 'eof',
    outdir: CONSOLE_DIST_DIR,
    entryNames: 'app',
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!js || !css) throw new Error('esbuild produced no app.js/app.css for the console');
  return { js: js.text, css: css.text };
}
