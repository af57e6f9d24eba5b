// Our side of every benchmark imports the built package (dist/, made by `npm run build`). A piece that has not
// landed (or not been built) gives a clear skip reason instead of a failure.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Imports dist/<rel> and checks that it exports `names`. Resolves { mod } or { skipped: reason }.
 * `source` names the TypeScript file for the message (e.g. 'src/train/trainer.ts').
 */
export async function loadOurs(rel, names = [], source = `src/${rel.replace(/\.js$/, '.ts')}`) {
  const file = join(ROOT, 'dist', rel);
  if (!existsSync(join(ROOT, source))) return { skipped: `ours: ${source} has not landed yet` };
  if (!existsSync(file)) return { skipped: `ours: dist/${rel} is not built (run npm run build)` };
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    return { skipped: `ours: dist/${rel} failed to load: ${String(e?.message ?? e).split('\n')[0]}` };
  }
  const missing = names.filter((n) => !(n in mod));
  if (missing.length) return { skipped: `ours: dist/${rel} does not export ${missing.join(', ')} yet` };
  return { mod };
}
