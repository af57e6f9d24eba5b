// The `quanta` CLI and its pool worker bundled from the sources with esbuild (packages stay external, resolved
// from node_modules), as test/scaling/sweep.test.ts does: tests run the current sources, not a possibly stale dist/.
import { afterAll, beforeAll } from 'vitest';
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

/**
 * For a test file that spawns the CLI: bundles it before the file's tests and removes the bundle after them.
 * `cli` is the script to run with `node` (read it inside tests or hooks, not at module load).
 */
export function useBundledCli(): { readonly cli: string } {
  let bundle: CliBundle | undefined;
  beforeAll(async () => {
    bundle = await bundleCli();
  });
  afterAll(() => bundle?.cleanup());
  return {
    get cli(): string {
      if (!bundle) throw new Error('the CLI is bundled in beforeAll: read .cli inside a test');
      return bundle.cli;
    },
  };
}
