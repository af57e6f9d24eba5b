// Input files read whole (run records, sweep.json, family.json, model.json, clusters.json, CSV side files):
// a path that is missing, not a regular file (a folder; /dev/zero or a FIFO, whose reading never ends),
// unreadable, or (for JSON) not valid JSON is a ConfigError naming the file: one line, exit 2.
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ConfigError } from '../core/errors.js';

/**
 * The text of the regular file at `path` (gunzipped when its name ends in .gz: committed run records may be
 * compressed); a ConfigError `cannot read <path>: <why>` otherwise.
 */
export function readTextInput(path: string): string {
  let why: string;
  try {
    if (statSync(path).isFile())
      return path.endsWith('.gz')
        ? gunzipSync(readFileSync(path)).toString('utf8')
        : readFileSync(path, 'utf8');
    why = 'not a regular file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    why = code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e);
  }
  throw new ConfigError(`cannot read ${path}: ${why}`);
}

/** The JSON value in the regular file at `path`; a ConfigError `cannot read <path>: <why>` otherwise. */
export function readJsonInput(path: string): unknown {
  const text = readTextInput(path);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ConfigError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Whether `x` is a JSON object (not null, not an array). */
export function isJsonObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
