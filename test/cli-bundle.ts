// The `quanta` CLI and its pool worker bundled from the sources with esbuild (scripts/cli-bundle.mjs, which
// scripts/readme-outputs.mjs uses too): tests run the current sources, not a possibly stale dist/.
import { afterAll, beforeAll } from 'vitest';
import { bundleCli, type CliBundle } from '../scripts/cli-bundle.mjs';

export { bundleCli, type CliBundle };

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
