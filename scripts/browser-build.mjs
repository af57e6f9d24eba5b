// The package's browser builds (the `browser` and `default` conditions of package.json's exports): every
// browser entry bundled by esbuild into dist/browser/ as ES modules that share chunks (one Wasm core, one
// ConfigError class across subpaths), with the Node-only modules of scripts/browser-stubs.mjs swapped out.
// platform 'browser' makes any `node:` import that is left an error, so a build that succeeds imports no
// Node module. The types are tsc's (dist/index.d.ts, dist/entries/*.d.ts).
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { esbuildBrowserStubs } from './browser-stubs.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'browser');

/** Subpath -> browser entry source. */
export const BROWSER_ENTRIES = {
  index: 'src/index.ts',
  qdg: 'src/entries/qdg.ts',
  scaling: 'src/entries/scaling.ts',
  theory: 'src/entries/theory.ts',
  tokens: 'src/entries/tokens.ts',
  io: 'src/entries/io.ts',
};

rmSync(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: Object.fromEntries(Object.entries(BROWSER_ENTRIES).map(([k, v]) => [k, join(ROOT, v)])),
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [esbuildBrowserStubs()],
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((a, o) => a + o.bytes, 0);
console.error(
  `browser-build: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} kB in dist/browser`,
);
