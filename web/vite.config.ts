// Vite config of the explorer page: root web/, the training worker bundled as an ES module worker. The page
// imports the package entry (`quanta`, `quanta/scaling`, ...) as a user does; the aliases resolve those to the
// TypeScript sources of the browser entries (scripts/browser-stubs.mjs, which also swaps in the browser
// stand-ins of the few Node-only modules), so `npm run web` and the dev server run the current sources.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { sourceAliases, viteBrowserStubs } from '../scripts/browser-stubs.mjs';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: webRoot,
  base: './',
  resolve: { alias: sourceAliases('browser') },
  plugins: [viteBrowserStubs()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
  },
  worker: { format: 'es', plugins: () => [viteBrowserStubs()] },
  server: { host: '127.0.0.1', fs: { allow: [repoRoot] } },
  preview: { host: '127.0.0.1' },
  clearScreen: false,
});
