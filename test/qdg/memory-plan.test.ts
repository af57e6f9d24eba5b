// The QDG memory plans (src/core/buffers.ts as data): each engine counts its Wasm bytes from the same buffer
// lists it allocates, so the count must bound what a real call takes at its peak. Measured by watching the
// allocator's top during the call.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { CounterRandom } from '../../src/core/rng.js';
import { largestEigenpairs } from '../../src/qdg/eigen/lanczos.js';
import { lanczosBytes } from '../../src/qdg/eigen/plan.js';
import { embeddingWorkBytes, spectralEmbedding } from '../../src/qdg/embedding.js';
import { kmeans } from '../../src/qdg/kmeans/kmeans.js';
import { gramStoreBytes } from '../../src/qdg/kmeans/gram.js';
import { kmeansBytes } from '../../src/qdg/kmeans/plan.js';
import { qdgBytes } from '../../src/qdg/memory.js';
import { qdgConfig } from '../../src/qdg/config.js';
import { toySamples, toySource } from '../../src/qdg/toy.js';

const core = new Core();

/** Runs `body` and returns the largest number of bytes the allocator held above its mark at the start. */
function peakBytes(body: () => void): number {
  const start = core.mark();
  let peak = start;
  const alloc = core.alloc.bind(core);
  core.alloc = (bytes: number, align?: number) => {
    const ptr = alloc(bytes, align);
    peak = Math.max(peak, core.mark());
    return ptr;
  };
  try {
    body();
  } finally {
    delete (core as { alloc?: unknown }).alloc;
    core.release(start);
  }
  return peak - start;
}

function gaussianRows(S: number, d: number, seed: number): Float64Array {
  const rng = new CounterRandom(seed, 0, 0);
  return Float64Array.from({ length: S * d }, () => rng.nextGaussian());
}

describe('QDG memory plans bound the allocations', () => {
  it('lanczosBytes and embeddingWorkBytes bound the eigensolver and the embedding', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 90 }),
        fc.integer({ min: 1, max: 12 }),
        fc.nat(99),
        (S, k, seed) => {
          const K = Math.min(k, S);
          const x = gaussianRows(S, 3, seed);
          const mark = core.mark();
          const ptr = core.allocF32(S * S);
          const a = core.f32(ptr, S * S);
          for (let i = 0; i < S; i++)
            for (let j = 0; j < S; j++) {
              let dot = 0;
              for (let e = 0; e < 3; e++) dot += x[i * 3 + e] * x[j * 3 + e];
              a[i * S + j] = Math.exp(-Math.abs(dot) / 3);
            }
          try {
            // with the products kept (the default here: they fit) and without
            let from = '';
            expect(
              peakBytes(() => (from = largestEigenpairs(core, ptr, S, K, { seed }).residualsFrom)),
            ).toBeLessThanOrEqual(lanczosBytes(S, K, undefined, true));
            expect(from).toBe('products');
            expect(
              peakBytes(() => largestEigenpairs(core, ptr, S, K, { seed, keepProducts: false })),
            ).toBeLessThanOrEqual(lanczosBytes(S, K));
            expect(peakBytes(() => spectralEmbedding(core, ptr, S, K, { seed }))).toBeLessThanOrEqual(
              embeddingWorkBytes(S, K, true),
            );
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('kmeansBytes bounds one call on either route (with its own Gram matrix on the Gram route)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 120 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom('bounded' as const, 'gram' as const),
        fc.nat(99),
        (S, d, k0, route, seed) => {
          const k = Math.min(k0, S);
          const x = gaussianRows(S, d, seed);
          const peak = peakBytes(() => kmeans(core, x, S, d, k, { nInit: 2, seed, workers: 1, route }));
          expect(peak).toBeLessThanOrEqual(
            kmeansBytes(S, d, k, route) + (route === 'gram' ? gramStoreBytes(S) : 0),
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it("the toy source's scratch and matrix are what qdgBytes counts for its load", () => {
    const config = { subtasks: 6, alpha: 1, d: 7, sigma: 0.5, seed: 3, scale: 12 };
    const S = toySamples(config.subtasks, config.alpha, config.scale);
    const source = toySource(config);
    const peak = peakBytes(() =>
      source.load(core, {}, () => {}, qdgConfig({}, S, undefined, source.choices)),
    );
    expect(peak).toBeLessThanOrEqual(qdgBytes(S, 2, source.scratchBytes));
  });
});
