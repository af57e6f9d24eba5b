// Bad data is named where it is: a NaN in the upper triangle of --similarity, a NaN or an infinity in
// --gradients (file and position), an affinity with no edges, --labels naming a folder, and option-parser
// errors: every case exit 2, one line, nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { useBundledCli } from '../cli-bundle.js';

const bundled = useBundledCli();
let dir = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quanta-bad-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function refused(args: string[], pattern: RegExp): void {
  const out = join(dir, 'out');
  const r = spawnSync(
    process.execPath,
    [bundled.cli, ...args, ...(args[0] === 'qdg' ? ['--quiet', '--out', out] : [])],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^quanta: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(existsSync(out)).toBe(false);
}

/** A symmetric S x S cosine matrix of two planted groups. */
function cosines(S: number): Float32Array {
  const m = new Float32Array(S * S);
  for (let i = 0; i < S; i++)
    for (let j = 0; j < S; j++) m[i * S + j] = i === j ? 1 : i < S / 2 === j < S / 2 ? 0.8 : -0.2;
  return m;
}

describe('bad data, named where it is', () => {
  it('a NaN in the upper triangle of --similarity', () => {
    const m = cosines(8);
    m[1 * 8 + 5] = NaN; // upper triangle only: the lower one is fine
    const path = join(dir, 'nan-upper.npy');
    writeNpy(path, m, [8, 8]);
    refused(
      ['qdg', '--similarity', path, '--clusters', '2'],
      /nan-upper\.npy: non-finite value NaN at \(1, 5\)/,
    );
  });

  it('a NaN or an infinity in --gradients', () => {
    const S = 6;
    const P = 40;
    for (const [bad, name] of [
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
    ] as const) {
      const g = Float32Array.from({ length: S * P }, (_, k) => Math.sin(k));
      g[3 * P + 17] = bad;
      const path = join(dir, `grad-${name}.npy`);
      writeNpy(path, g, [S, P]);
      refused(
        ['qdg', '--gradients', path, '--clusters', '2'],
        new RegExp(`non-finite value ${name} at \\(3, 17\\)`),
      );
    }
  });

  it('an affinity with no edges', () => {
    const S = 6;
    const a = new Float32Array(S * S);
    for (let i = 0; i < S; i++) a[i * S + i] = 1;
    const path = join(dir, 'no-edges.npy');
    writeNpy(path, a, [S, S]);
    refused(['qdg', '--affinity', path, '--clusters', '2'], /no edges/);
  });

  it('--labels naming a folder', () => {
    const sim = join(dir, 'ok.npy');
    writeNpy(sim, cosines(8), [8, 8]);
    const folder = join(dir, 'labels-folder');
    mkdirSync(folder, { recursive: true });
    refused(['qdg', '--similarity', sim, '--labels', folder, '--clusters', '2'], /labels-folder: not a file/);
  });

  it('option-parser errors are one line', () => {
    refused(['train', '--bogus'], /unknown option '--bogus' \(run with --help for usage\)/);
    refused(['sweep', 'N', '--widths', 'x'], /--widths must be an integer/);
    refused(['nosuchcommand'], /unknown command/);
  });
});
