// The `quanta` CLI and its pool worker bundled from the sources with esbuild (packages stay external, resolved
// from node_modules), as test/sweep.test.ts does: tests run the current sources, not a possibly stale dist/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface CliBundle {
  /** The bundled main script: `node <cli> sweep ...`. */
  cli: string;
  /** Removes the bundle's folder. */
  cleanup(): void;
}

export async function bundleCli(prefix = 'quanta-cli-'): Promise<CliBundle> {
  const esbuild = await import('esbuild');
  mkdirSync(resolve('node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(resolve('node_modules/.cache'), prefix));
  await esbuild.build({
    entryPoints: {
      main: 'src/cli/main.ts',
      'pool-worker': 'src/scaling/pool-worker.ts',
      'kmeans-worker': 'src/qdg/kmeans-worker.ts',
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
  // kmeans-parallel.ts looks for kmeans-worker.js beside the script (else it bundles a .ts that is not there)
  writeFileSync(join(dir, 'kmeans-worker.js'), `import './kmeans-worker.mjs';\n`);
  return { cli: join(dir, 'main.mjs'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
