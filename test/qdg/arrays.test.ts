// QDG on a caller's arrays (src/qdg/arrays.ts, exported by `quanta/qdg`) and .npy bytes in memory
// (src/io/npy-format.ts, `quanta/io`): the same results as the pointer-level stages and the file reader, with
// the core's allocator back where it was after every call.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core } from '../../src/core/arena.js';
import {
  angularAffinityOf,
  clusterMatrix,
  cosineSimilarityOfRows,
  spectralEmbeddingOf,
} from '../../src/qdg/arrays.js';
import { spectralClusterings } from '../../src/qdg/pipeline.js';
import { qdgConfig } from '../../src/qdg/config.js';
import { spectralEmbedding } from '../../src/qdg/embedding.js';
import { referenceAngularAffinity, referenceCosine, referenceGram } from '../../src/qdg/reference.js';
import { decodeNpyF32, decodeNpyF64, encodeNpy } from '../../src/io/npy-format.js';
import { readNpyF64, writeNpy } from '../../src/io/npy.js';

/** S points in `groups` noisy groups in P dimensions (deterministic). */
function groupedRows(S: number, P: number, groups: number, seed: number): Float32Array {
  let x = seed + 1;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  const rows = new Float32Array(S * P);
  for (let i = 0; i < S; i++)
    for (let p = 0; p < P; p++) rows[i * P + p] = (p % groups === i % groups ? 3 : 0) + next();
  return rows;
}

describe('QDG on arrays', () => {
  it('cosine similarities and angular affinity match the twins; the allocator is left where it was', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.nat(1000),
        (S, P, seed) => {
          const core = new Core();
          const used = core.used;
          const rows = groupedRows(S, P, 3, seed);
          const C = cosineSimilarityOfRows(rows, S, P, core);
          const want = referenceCosine(referenceGram(rows, S, P), S);
          for (let i = 0; i < S * S; i++) expect(Math.abs(C[i] - want[i])).toBeLessThan(1e-5);
          const A = angularAffinityOf(C, S, core);
          const wantA = referenceAngularAffinity(C, S);
          for (let i = 0; i < S * S; i++) expect(Math.abs(A[i] - wantA[i])).toBeLessThan(1e-5);
          expect(core.used).toBe(used);
        },
      ),
      { seed: 16, numRuns: 25 },
    );
  });

  it('clusterMatrix and spectralEmbeddingOf equal the pointer-level pipeline to the bit', () => {
    const core = new Core();
    const S = 90;
    const C = cosineSimilarityOfRows(groupedRows(S, 12, 3, 7), S, 12, core);
    const labels = Array.from({ length: S }, (_, i) => i % 3);
    const opts = { clusters: [2, 3, 5], nInit: 4, seed: 3, trueLabels: labels };
    const used = core.used;
    const mine = clusterMatrix(C, S, { ...opts, kind: 'cosine' }, core);
    expect(core.used).toBe(used);
    const A = angularAffinityOf(C, S, core);
    const ptr = core.allocF32(S * S);
    core.f32(ptr, S * S).set(A);
    const theirs = spectralClusterings(core, ptr, qdgConfig(opts, S), { trueLabels: labels });
    expect(mine.clusterings.map((c) => Array.from(c.labels))).toEqual(
      theirs.clusterings.map((c) => Array.from(c.labels)),
    );
    expect(mine.eigenvalues).toEqual(theirs.eigenvalues);
    expect(mine.clusterings[1].ari).toBe(1);
    core.release(used);
    const e = spectralEmbeddingOf(A, S, 4, { seed: 1 }, core);
    expect(core.used).toBe(used);
    const again = core.allocF32(S * S);
    core.f32(again, S * S).set(A);
    const direct = spectralEmbedding(core, again, S, 4, { seed: 1 });
    expect(Array.from(e.embedding)).toEqual(Array.from(direct.embedding));
  });

  it('refuses a matrix of the wrong size, a cosine out of range or a negative affinity, in one line', () => {
    expect(() => clusterMatrix(new Float32Array(10), 3, { kind: 'affinity', clusters: [2] })).toThrow(
      /an S x S matrix for S = 3 has 9/,
    );
    const cosine = new Float32Array([1, 2, 0, 2, 1, 0, 0, 0, 1]);
    expect(() => clusterMatrix(cosine, 3, { kind: 'cosine', clusters: [2] })).toThrow(
      'cosine: a cosine similarity must lie in [-1, 1], entry (0, 1) is 2',
    );
    const affinity = new Float32Array([0, -1, 0, -1, 0, 0, 0, 0, 0]);
    expect(() => spectralEmbeddingOf(affinity, 3, 1)).toThrow(
      'affinity: an affinity must be non-negative, entry (0, 1) is -1',
    );
    const asymmetric = new Float32Array([0, 1, 0, 0.5, 0, 0, 0, 0, 0]);
    expect(() => clusterMatrix(asymmetric, 3, { kind: 'affinity', clusters: [2] })).toThrow(/not symmetric/);
  });
});

describe('.npy bytes in memory', () => {
  it('decode(encode(x)) is x for f32, f64 and i32, and equals what the file reader reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quanta-npy-bytes-'));
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 50 }),
        (values) => {
          const f64 = Float64Array.from(values);
          const bytes = encodeNpy(f64, [f64.length]);
          expect(Array.from(decodeNpyF64(bytes).data)).toEqual(values);
          const f32 = Float32Array.from(values);
          expect(Array.from(decodeNpyF32(encodeNpy(f32, [1, f32.length])).data)).toEqual(Array.from(f32));
          const i32 = Int32Array.from(values.map((v) => Math.trunc(v)));
          expect(Array.from(decodeNpyF64(encodeNpy(i32, [i32.length])).data)).toEqual(Array.from(i32));
          const path = join(dir, 'x.npy');
          writeNpy(path, f64);
          expect(readNpyF64(path).data).toEqual(decodeNpyF64(bytes).data);
        },
      ),
      { seed: 16, numRuns: 40 },
    );
  });

  it('refuses truncated bytes, naming them', () => {
    const bytes = encodeNpy(new Float32Array(8), [2, 4]);
    expect(() => decodeNpyF32(bytes.subarray(0, bytes.length - 1), 'drop.npy')).toThrow(
      /^drop\.npy: not a usable \.npy file: truncated/,
    );
  });
});
