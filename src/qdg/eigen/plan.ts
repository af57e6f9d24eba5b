// Planning a Lanczos run (./lanczos.ts): its step limit, and its Wasm buffers as data (src/core/buffers.ts),
// one list per phase, allocated by largestEigenpairs and summed by lanczosBytes from the same lists.
import { alignUp } from '../../core/arena.js';
import { planBytes, type BufferPlan } from '../../core/buffers.js';
import { tridiagonalBytes } from './tridiagonal.js';

/**
 * Default step limit: 4K (at least K + 100) steps, and never more than S (where the Krylov space is all). The
 * solver stops as soon as K pairs have converged, so the limit costs only the memory planned for the basis;
 * 3K was too few for K = 500 on angular affinities (max residual ~2e-3 at S 2000 and 10,000).
 */
export function defaultLanczosSteps(S: number, K: number): number {
  return Math.min(S, Math.max(4 * K, K + 100));
}

/**
 * The smallest S whose default is the block-2 route (./block.ts): below it the matrix's upper triangle (32 MB
 * at S 4096) stays in cache and a product costs arithmetic, which two vectors per pass do not save.
 */
export const BLOCK_MIN_S = 4096;

/**
 * Basis vectors per pass over the matrix by default, for a run of at most m steps: 2 from BLOCK_MIN_S on, else
 * 1; and 1 when m reaches S - 1 (K above about S / 4), where the block route, which stops at S - 2, could end
 * unconverged and hand over to the one-vector route, paying twice.
 */
export function defaultBlockSize(S: number, m: number): number {
  return S >= BLOCK_MIN_S && m <= S - 2 ? 2 : 1;
}

/** The row stride of the basis in f64s: S rounded up to 8, so every basis vector starts on a cache line. */
export function basisStride(S: number): number {
  return alignUp(S, 8);
}

/**
 * The buffers of the Lanczos iteration for m steps over S rows: the basis (m x ld f64, ld = basisStride(S))
 * and its f32 copy (m x alignUp(S, 16)), the new direction, the Gram-Schmidt coefficients, a scalar, and (with
 * a diagonal scaling) the scaled vector, and the leading block's share of a cut product (./split.ts).
 */
export function lanczosPlan(
  S: number,
  m: number,
  scaled: boolean,
  block = false,
): BufferPlan<
  | 'basis'
  | 'basis32'
  | 'direction'
  | 'direction2'
  | 'coefficients'
  | 'scalar'
  | 'scaled'
  | 'lead'
  | 'pair'
  | 'pairProduct'
  | 'lead2'
> {
  const ld = basisStride(S);
  // the block route (./block.ts) makes two rows past its last step and has two directions
  const rows = block ? m + 2 : m;
  return [
    { name: 'basis', bytes: 8 * rows * ld },
    { name: 'basis32', bytes: 4 * rows * alignUp(S, 16) },
    { name: 'direction', bytes: 8 * ld },
    { name: 'direction2', bytes: block ? 8 * ld : 0 },
    { name: 'coefficients', bytes: 8 * 2 * rows },
    { name: 'scalar', bytes: 16 },
    { name: 'scaled', bytes: scaled ? 8 * ld : 0 },
    { name: 'lead', bytes: 8 * ld }, // the leading block's share of a product (./split.ts)
    // the block route's two-vector products: input, output (interleaved) and the leading block's share
    { name: 'pair', bytes: block ? 16 * ld : 0 },
    { name: 'pairProduct', bytes: block ? 16 * ld : 0 },
    { name: 'lead2', bytes: block ? 16 * ld : 0 },
  ];
}

/** The Ritz vectors y = V s: the coefficients s (m x K f64) and the vectors (S x K f64). */
export function ritzPlan(S: number, K: number, m: number): BufferPlan<'coefficients' | 'vectors'> {
  return [
    { name: 'coefficients', bytes: 8 * m * K },
    { name: 'vectors', bytes: 8 * S * K },
  ];
}

/** The explicit residual check: eight Ritz vectors and their products with the matrix (S x 8 f64 each). */
export function residualPlan(S: number): BufferPlan<'block' | 'product'> {
  return [
    { name: 'block', bytes: 8 * 8 * S },
    { name: 'product', bytes: 8 * 8 * S },
  ];
}

/** Rows of the Ritz vectors (and of their products with M) per lanczos_ritz call. */
export const RITZ_ROWS = 256;

/** The residuals from the kept products: RITZ_ROWS rows of M Y = W S at a time (f64). */
export function productResidualPlan(K: number): BufferPlan<'block'> {
  return [{ name: 'block', bytes: 8 * RITZ_ROWS * K }];
}

/**
 * The matrix-vector products M v_j of the iteration, kept when memory allows (m x ld f64, the basis' layout):
 * the residuals of the Ritz vectors are then M Y = W S (one product with the m x K coefficients) instead of
 * K more matrix-vector products.
 */
export function productsPlan(S: number, m: number): BufferPlan<'products'> {
  return [{ name: 'products', bytes: 8 * m * basisStride(S) }];
}

/**
 * Peak Wasm bytes that largestEigenpairs allocates beside the matrix for m steps, from the same plans it
 * allocates: the iteration's buffers, then the larger of the tridiagonal work (convergence checks and Ritz
 * coefficients) and the Ritz vectors with the residual check. This is what it needs; with `products` (the
 * products kept, which it does when they fit: see largestEigenpairs) it uses productsPlan's bytes more.
 */
export function lanczosBytes(
  S: number,
  K: number,
  m = defaultLanczosSteps(S, K),
  products = false,
  block = defaultBlockSize(S, m) === 2,
): number {
  return (
    planBytes(lanczosPlan(S, m, true, block)) +
    (products ? planBytes(productsPlan(S, m)) : 0) +
    Math.max(
      tridiagonalBytes(m, K),
      planBytes(ritzPlan(S, K, m)) + planBytes(products ? productResidualPlan(K) : residualPlan(S)),
    )
  );
}
