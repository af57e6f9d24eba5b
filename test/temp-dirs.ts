// Fresh temporary folders for a test file, removed when its tests are done.
import { afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Call at a test file's top level: returns a maker of fresh folders `quanta-<name>-XXXXXX`, all removed afterAll. */
export function tempDirs(name: string): () => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return () => {
    const d = mkdtempSync(join(tmpdir(), `quanta-${name}-`));
    dirs.push(d);
    return d;
  };
}
