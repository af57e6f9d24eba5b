// The script of a worker thread, for every pool (the training pool src/scaling/pool.ts, the language-model
// pool src/lm/train-family.ts, the k-means helper threads src/qdg/kmeans/threads.ts). Compiled (dist/) or
// bundled, the script is `<name>.js` beside the module that asks. Run from the TypeScript sources (vitest, a TS
// REPL), Node 20 cannot start a worker on a .ts file, so `<name>.ts` is bundled once with esbuild (a dev
// dependency, through vite) into a content-addressed file in the temp folder, written atomically. Node only
// when called; importing it is safe anywhere (its built-ins come from ./node-builtin.ts when it runs).
import { requireNodeBuiltin } from './node-builtin.js';

const bundled = new Map<string, string>();

/**
 * The path of the worker script `name` (without extension) beside the module whose `import.meta.url` is
 * `moduleUrl`: `name.js` when it exists, else `name.ts` bundled (see the file comment). Synchronous, so that a
 * synchronous caller (k-means) can use it; the bundle is made once per process.
 */
export function workerScript(moduleUrl: string, name: string): string {
  const { existsSync, mkdirSync, renameSync, writeFileSync } = requireNodeBuiltin('node:fs');
  const { dirname, join } = requireNodeBuiltin('node:path');
  const { fileURLToPath } = requireNodeBuiltin('node:url');
  const { createRequire } = requireNodeBuiltin('node:module');
  const { createHash } = requireNodeBuiltin('node:crypto');
  const { tmpdir } = requireNodeBuiltin('node:os');
  const here = dirname(fileURLToPath(moduleUrl));
  const js = join(here, `${name}.js`);
  if (existsSync(js)) return js;
  const ts = join(here, `${name}.ts`);
  const known = bundled.get(ts);
  if (known !== undefined) return known;
  if (!existsSync(ts)) throw new Error(`quanta: the worker script ${name}.js is missing beside ${here}`);
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const out = esbuild.buildSync({
    entryPoints: [ts],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const folder = join(tmpdir(), 'quanta-workers');
  const file = join(folder, `${name}-${hash}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(folder, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  bundled.set(ts, file);
  return file;
}
