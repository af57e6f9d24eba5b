// Names read from records stay inside their folder: `../` escapes, absolute paths and non-strings are refused;
// a run record whose weights.file climbs out of its folder is refused before anything is read.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { insideFolder } from '../../src/io/paths.js';
import { Mlp } from '../../src/train/model.js';
import { loadRunWeights } from '../../src/train/weights.js';
import { getCore } from '../../src/core/arena.js';

describe('insideFolder', () => {
  it('returns a path inside the folder or refuses (property)', () => {
    const segment = fc.constantFrom('..', '.', 'a', 'b.npy', '', '/', 'c d', '..a');
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.boolean(), (parts, absolute) => {
        const name = (absolute ? '/' : '') + parts.join('/');
        const folder = '/data/run';
        let path: string | null = null;
        try {
          path = insideFolder(folder, name, 'name');
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
        }
        if (path !== null) {
          const rel = relative(folder, path);
          expect(rel === '..' || rel.startsWith('..' + sep)).toBe(false);
          expect(path.startsWith(folder + sep)).toBe(true);
          expect(path).toBe(resolve(folder, name));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses the cases a crafted record would use', () => {
    for (const bad of [
      '../../../../elsewhere/x.npy',
      '/etc/passwd',
      '..',
      '.',
      '',
      'a/../../b',
      42,
      null,
      'x\0y',
    ])
      expect(() => insideFolder('/data/run', bad, 'weights.file')).toThrow(ConfigError);
    expect(insideFolder('/data/run', 'r.weights.npy', 'w')).toBe('/data/run/r.weights.npy');
    expect(insideFolder('/data/run', 'sub/../r.npy', 'w')).toBe('/data/run/r.npy');
  });

  it('a run record whose weights.file leaves its folder is refused before reading', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quanta-paths-'));
    try {
      const model = new Mlp(getCore(), { inputSize: 4, width: 3, depth: 2, outputs: 2, seed: 0 }, 8);
      expect(() =>
        loadRunWeights(join(dir, 'run.json'), { file: '../../../../elsewhere/x.npy', layers: [] }, model),
      ).toThrow(/points outside/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
