// The Node-only modules of src/ that browser-safe code still imports, and their browser stand-ins. Used by
// scripts/browser-build.mjs (the package's browser builds, through esbuild) and web/vite.config.ts (the
// explorer, through Vite): both bundle src/ for browsers with these files swapped in. A moved or renamed
// module must be moved here too; the browser build then fails loudly (a `node:` import it cannot resolve).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Node-only module (source path) -> browser stand-in (source path), both relative to the repository. */
export const BROWSER_STUBS = {
  'src/qdg/kmeans/threads.ts': 'src/entries/browser/kmeans-threads.ts', // worker_threads, os, fs
  'src/io/npy.ts': 'src/entries/browser/npy-file.ts', // fs (file reading and writing)
};

const byPath = new Map(
  Object.entries(BROWSER_STUBS).map(([from, to]) => [resolve(ROOT, from), resolve(ROOT, to)]),
);

/** The stand-in for a relative import `specifier` from the file `importer`, or undefined. */
export function browserStubFor(specifier, importer) {
  if (!specifier.startsWith('.') || !importer) return undefined;
  const target = resolve(dirname(importer), specifier).replace(/\.js$/, '.ts');
  return byPath.get(target);
}

/** The esbuild plugin that swaps the modules in. */
export function esbuildBrowserStubs() {
  return {
    name: 'quanta-browser-stubs',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        const path = browserStubFor(args.path, args.importer);
        return path ? { path } : undefined;
      });
    },
  };
}

/** The Vite (Rollup) plugin that swaps the modules in. */
export function viteBrowserStubs() {
  return {
    name: 'quanta-browser-stubs',
    enforce: 'pre',
    resolveId(source, importer) {
      return browserStubFor(source, importer?.split('?')[0]);
    },
  };
}

/** Subpath -> [browser source, Node source] of each package entry (package.json's exports, from src/). */
export const SOURCE_ENTRIES = {
  quanta: ['src/index.ts', 'src/entries/index.node.ts'],
  'quanta/qdg': ['src/entries/qdg.ts', 'src/entries/qdg.node.ts'],
  'quanta/scaling': ['src/entries/scaling.ts', 'src/entries/scaling.node.ts'],
  'quanta/theory': ['src/entries/theory.ts', 'src/entries/theory.ts'],
  'quanta/tokens': ['src/entries/tokens.ts', 'src/entries/tokens.node.ts'],
  'quanta/io': ['src/entries/io.ts', 'src/entries/io.node.ts'],
};

/**
 * Vite aliases that resolve `quanta` and its subpaths to their TypeScript sources (the explorer's dev server and
 * build, vitest), so that web/ imports the package entry as a user does but runs the current sources.
 */
export function sourceAliases(platform) {
  return Object.entries(SOURCE_ENTRIES).map(([id, files]) => ({
    find: new RegExp(`^${id.replace('/', '\\/')}$`),
    replacement: resolve(ROOT, files[platform === 'node' ? 1 : 0]),
  }));
}
