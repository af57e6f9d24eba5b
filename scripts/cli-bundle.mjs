// The `quanta` CLI and its worker scripts bundled from the sources with esbuild (packages stay external,
// resolved from node_modules), so that tests (test/cli-bundle.ts) and scripts/readme-outputs.mjs run the
// current sources, not a possibly stale dist/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles the CLI into a fresh folder under node_modules/.cache; `cli` is the script to run with `node`. */
export async function bundleCli(prefix = 'quanta-cli-') {
  const esbuild = await import('esbuild');
  mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'node_modules/.cache', prefix));
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: {
      main: 'src/cli/main.ts',
      'pool-worker': 'src/scaling/pool-worker.ts',
      worker: 'src/qdg/kmeans/worker.ts',
    },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  // pool.ts looks for pool-worker.js beside the script
  writeFileSync(join(dir, 'pool-worker.js'), `export { default } from './pool-worker.mjs';\n`);
  // the k-means helper threads (src/qdg/kmeans/threads.ts) look for worker.js beside the script (else they
  // bundle a .ts that is not there)
  writeFileSync(join(dir, 'worker.js'), `import './worker.mjs';\n`);
  return { cli: join(dir, 'main.mjs'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
