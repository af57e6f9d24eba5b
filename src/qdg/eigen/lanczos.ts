// The K largest eigenpairs of a dense symmetric matrix held as f32 in Wasm memory: Lanczos in f64 with full
// reorthogonalisation, the tridiagonal problem solved by implicit QL for the values and inverse iteration for
// the K wanted vectors (./tridiagonal.ts), Ritz vectors V S.
//
// Speed (S = 10,000): each matrix-vector product reads only the upper triangle of the f32 matrix (200 MB
// instead of 400 MB, lanczos_symv_upper), which also makes the operator exactly symmetric, and from
// S = 1024 on is cut into two row blocks of equal area, the leading one on a helper thread where there is
// one, as are the reorthogonalisation's projections and subtractions (./split.ts: the same bits on one
// thread or two; at S 10,000 K 500 about 24 s on two threads against 38 s on one); the
// reorthogonalising subtraction reads an f32 copy of the basis when its coefficients are rounding-sized; the
// explicit residual checks at the end take M Y = W S from the iteration's own products W = M V, kept when
// they fit in memory (2 S m K flops instead of 2 S^2 K), else multiply eight Ritz vectors per pass over the
// matrix (lanczos_symm8_upper, same operator); the tridiagonal eigenvectors cost O(K m) by inverse iteration
// instead of O(m^3) by QL with all vectors. Measured at K = 1500 (4413 steps, QDG-like angular affinity,
// 2-core machine): 210 CPU-s (415 before these), of which matvecs 47% (compute-bound, about 8 GFLOP/s),
// reorthogonalisation 31% (projection bandwidth-bound on the f64 basis), explicit residuals 9.5%, Ritz
// vectors 6%, convergence checks 4.5%.
//
// Why full reorthogonalisation without restarts. QDG wants many eigenpairs (K up to 1500 of S = 10,000-20,000)
// from the bulk of a spectrum, where a restarted method (thick restart, ARPACK's implicit restart) keeps a
// basis of about 2K vectors anyway and pays a dense m x m eigen-decomposition and an S x m x m basis rotation
// at every restart, and where selective or partial reorthogonalisation leaves the basis only semi-orthogonal
// (O(sqrt(eps))), which costs Ritz-vector orthogonality and needs ghost-eigenvalue bookkeeping. Unrestarted
// Lanczos with full reorthogonalisation builds each Krylov direction once (the fewest matrix-vector
// products of any Krylov method), keeps the basis orthogonal to machine precision, and its cost, one matvec
// (S^2) plus one Gram-Schmidt pass (4 S j) at step j, is what the Wasm kernels make fast: the reorthogonal-
// isation is two SIMD GEMVs over the stored basis (a second, DGKS pass only when the first one cancels).
// From S = BLOCK_MIN_S (./plan.ts) on, the default is the block-2 route (./block.ts): two basis vectors per
// pass over the matrix and per pass over the basis, a pentadiagonal T; about a fifth less time at S 10,000,
// K 500 (its products are arithmetic-bound on this machine's two cores, at 1.5 times a one-vector product's
// time for two vectors), for a 5% larger basis. The Ritz vectors V S are made on the helper thread while this
// one makes M Y = W S for their residuals (as much work: see ritzCut, ./split.ts).
// Memory is the basis, m x S f64 and its f32 copy: 4500 x 20,000 x 12 B = 1.08 GB beside the 1.6 GB f32
// matrix for S = 20,000, K = 1500, which fits in wasm32's 4 GiB (see lanczosBytes, ./plan.ts).
//
// Convergence: a Ritz pair (theta, y = V s) of the m-step process has residual ||M y - theta y|| =
// beta_m |e_m^T s| (to rounding, with a fully orthogonal basis). A pair is converged when that estimate is
// at most max(tol |theta|, 1000 eps ||M||): the second term is the accuracy a residual can be computed to at
// all, and only matters for theta within about 1e-3 ||M|| of zero. At the end every returned pair's residual
// is recomputed explicitly, ||M y - theta y|| / |theta|, and returned in `residuals` (from the products the
// iteration computed, M v_j, not from the recurrence that the Lanczos estimate assumes). The count is taken
// every 2% of steps, and costs QL over T (O(m^2)): it was a fifth of the eigensolve at S 2000, K 285. So the
// K-th pair, in QDG's bulk spectra the last to converge, is tested first in O(m) (its value by bisection, its
// vector by inverse iteration), and the count is skipped while that pair is 100 times short of its tolerance;
// near the tolerance the count decides as before, so the run stops at the same step with the same bits.
//
// Repeated eigenvalues: a single Krylov sequence sees one vector of each eigenspace, so a copy of a repeated
// eigenvalue appears only from rounding or when the Krylov space closes (beta = 0, an invariant subspace):
// then the process restarts from a fresh random vector orthogonal to the basis and carries on, as a graph
// with c connected components needs to find c eigenvalues equal to 1.
import type { Core } from '../../core/arena.js';
import { alignUp, MemoryLimitError, formatBytes } from '../../core/arena.js';
import { MAX_MEMORY_BYTES } from '../../core/wasm.js';
import { CounterRandom, Stream } from '../../core/rng.js';
import { assertInt } from '../../core/errors.js';
import { allocatePlan } from '../../core/buffers.js';
import {
  basisStride,
  defaultBlockSize,
  defaultLanczosSteps,
  lanczosBytes,
  lanczosPlan,
  productResidualPlan,
  productsPlan,
  residualPlan,
  ritzPlan,
} from './plan.js';
import { kthLargestEigenvalue, symmetricTridiagonalEigen, tridiagonalEigenvectors } from './tridiagonal.js';
import { defaultProductThreads, splitWork } from './split.js';
import { blockIteration } from './block.js';
import {
  F32_SUBTRACT_BOUND,
  INVERSE_ITERATION_RESIDUAL,
  type Iteration,
  PRETEST_MARGIN,
  throttledCount,
} from './route.js';

export interface EigenResult {
  /** The K largest algebraic eigenvalues, descending. */
  values: Float64Array;
  /** S x K row-major: vectors[i*K + j] = component i of eigenvector j (unit 2-norm). */
  vectors: Float64Array;
  /** Explicit relative residuals ||M y_j - theta_j y_j|| / |theta_j|. */
  residuals: Float64Array;
  /** Lanczos steps taken (the size of the final tridiagonal matrix). */
  iterations: number;
  /**
   * Matrix-vector products with M: the iteration's, plus the K of the explicit residual check when the
   * residuals came from K more products ('matvecs') rather than from the kept ones ('products').
   */
  matvecs: number;
  residualsFrom: 'products' | 'matvecs';
  /**
   * Shares of products, projections and subtractions that a helper thread computed (a diagnostic: the result
   * is the same without; see ./split.ts).
   */
  helperShares: number;
  /** True when every pair met the tolerance by the Lanczos estimate before the step limit. */
  converged: boolean;
  /** Basis vectors per pass over the matrix in the route that gave the result (2: ./block.ts). */
  block: number;
}

export interface LanczosOptions {
  /** Relative residual tolerance (default 1e-10). */
  tol?: number;
  /** The most Lanczos steps, i.e. basis vectors (default defaultLanczosSteps(S, K)). */
  maxIterations?: number;
  /** Seed of the start vector, drawn from CounterRandom(seed, Stream.lanczos) (default 0). */
  seed?: number;
  /** Called after each convergence test with (pairs converged, K). */
  onProgress?: (done: number, total: number) => void;
  /**
   * A diagonal scaling s (length S): the operator becomes diag(s) A diag(s), applied in f64 around the f32
   * product. The spectral embedding passes s = D^-1/2 so the normalisation is exact in f64.
   */
  scale?: Float64Array;
  /**
   * Keep the iteration's matrix-vector products for the residuals (m x S f64 more memory, about 4 times
   * fewer flops than K more products); default: when they fit in wasm32's 4 GiB beside everything else.
   */
  keepProducts?: boolean;
  /**
   * Threads for the matrix-vector products and the reorthogonalisation (1 or 2; default 2 where worker threads
   * exist and the machine has two cores). The result does not depend on it: see ./split.ts.
   */
  threads?: number;
  /**
   * Test the K-th Ritz pair in O(m) before each full convergence count (default true); false always counts.
   * Either way the run stops at the same step unless that pair sits within PRETEST_MARGIN of its tolerance
   * when the pre-test says it is not (a test compares the two).
   */
  pretest?: boolean;
  /** Where the products cut the matrix (a multiple of 4; default splitRow(S)); for tests of the cut at small S. */
  splitRow?: number;
  /**
   * Basis vectors per pass over the matrix: 1, or 2 (./block.ts: half the bytes per vector; falls back to 1
   * when a block loses rank, or when it reaches S - 2 unconverged). Default: defaultBlockSize(S, maxIterations).
   */
  block?: number;
}

const EPS = 2 ** -52;

/**
 * The K largest (algebraic) eigenpairs of the symmetric S x S matrix at `matrixPtr` (f32, row-major, only
 * read, and only its upper triangle j >= i: the lower one is taken to mirror it), descending. Deterministic for a given seed. Allocates its work space above the Core's current top
 * and releases it before returning.
 */
export function largestEigenpairs(
  core: Core,
  matrixPtr: number,
  S: number,
  K: number,
  opts: LanczosOptions = {},
): EigenResult {
  assertInt(S, 'matrix size S', 1);
  assertInt(K, 'number of eigenpairs K', 1, S);
  const tol = opts.tol ?? 1e-10;
  if (!(tol > 0 && tol <= 1))
    throw new RangeError(`quanta: eigensolver tolerance must be in (0, 1], got ${tol}`);
  const mMax = opts.maxIterations ?? defaultLanczosSteps(S, K);
  assertInt(mMax, 'maxIterations', K, S);
  const seed = opts.seed ?? 0;
  const pretest = opts.pretest ?? true;
  assertInt(seed, 'seed', 0);
  const block = opts.block ?? defaultBlockSize(S, mMax);
  if (block !== 1 && block !== 2)
    throw new RangeError(`quanta: Lanczos block size must be 1 or 2, got ${block}`);
  // the block route makes two basis vectors past its last step, so it stops at S - 2 (and an even count); if
  // it has not converged by then, the one-vector route takes over
  const blockMax = 2 * Math.floor(Math.min(mMax, S - 2) / 2);
  const tryBlock = block === 2 && blockMax >= 2;
  const need = lanczosBytes(S, K, mMax, false, tryBlock);
  if (core.used + need > MAX_MEMORY_BYTES) {
    throw new MemoryLimitError(
      `quanta: Lanczos for S = ${S}, K = ${K} needs ${formatBytes(need)} beside the matrix, above wasm32's 4 GiB`,
    );
  }
  const keep = opts.keepProducts ?? core.used + lanczosBytes(S, K, mMax, true, tryBlock) <= MAX_MEMORY_BYTES;

  const threads = opts.threads ?? defaultProductThreads();
  assertInt(threads, 'threads', 1);
  const k = core.kernels;
  const mark = core.mark();
  let closeWork = () => {};
  try {
    const ld = basisStride(S);
    const rowBytes = ld * 8;
    const ld32 = alignUp(S, 16);
    // V: basis rows v_0 .. v_{m-1}; V32: the same rows rounded to f32, for the reorthogonalising subtraction;
    // w: the new direction; h: Gram-Schmidt coefficients
    const buffers = allocatePlan(core, lanczosPlan(S, mMax, opts.scale !== undefined, tryBlock));
    const { basis: V, basis32: V32, direction: w, coefficients: h, scalar } = buffers;
    const rowsMax = tryBlock ? mMax + 2 : mMax;
    // W: row j = M v_j as the iteration computed it (kept for the residuals, see explicitResiduals)
    const W = keep ? allocatePlan(core, productsPlan(S, mMax)).products : 0;
    const scaled = opts.scale ? buffers.scaled : 0;
    const scale = opts.scale;
    if (scale && scale.length !== S)
      throw new RangeError(`quanta: scale has length ${scale.length}, not ${S}`);
    const newWork = () =>
      splitWork(
        core,
        {
          matrix: matrixPtr,
          S,
          V,
          V32,
          ld,
          ld32,
          mMax: rowsMax,
          scratch: buffers.lead,
          scratch2: buffers.lead2,
          K,
          products: keep,
        },
        threads,
        opts.splitRow,
      );
    let work = newWork();
    closeWork = () => work.close();
    /** dst = diag(s) A diag(s) src (or A src), both f64[S] in Wasm memory; src is a basis row. */
    const apply = (src: number, dst: number) => {
      if (!scale) {
        work.product(src, dst, src);
        return;
      }
      const from = core.f64(src, S);
      const tmp = core.f64(scaled, S);
      for (let i = 0; i < S; i++) tmp[i] = from[i] * scale[i];
      work.product(scaled, dst, src);
      const to = core.f64(dst, S);
      for (let i = 0; i < S; i++) to[i] *= scale[i];
    };
    const alpha = new Float64Array(mMax); // T's diagonal
    const beta = new Float64Array(mMax); // beta[j] couples v_j and v_{j+1}; beta[m-1] is the residual norm
    let random = new CounterRandom(seed, Stream.lanczos);
    const row = (j: number) => V + j * rowBytes;
    const norm = (p: number) => {
      k.lanczos_project(p, 1, ld, S, p, scalar);
      return Math.sqrt(core.f64(scalar, 1)[0]);
    };
    /** Fills row j with a random unit vector orthogonal to rows 0..j-1; false if none is left (j = S). */
    const randomDirection = (j: number): boolean => {
      const x = core.f64(row(j), S);
      for (let i = 0; i < S; i++) x[i] = random.nextGaussian();
      for (let pass = 0; pass < 3 && j > 0; pass++) {
        k.lanczos_project(V, j, ld, S, row(j), h);
        k.lanczos_subtract(V, j, ld, S, h, row(j));
      }
      const nx = norm(row(j));
      if (!(nx > 1e-8 * Math.sqrt(S))) return false;
      const y = core.f64(row(j), S);
      for (let i = 0; i < S; i++) y[i] /= nx;
      core.f32(V32 + j * ld32 * 4, S).set(y);
      return true;
    };

    /** Row j = w / norm, and its f32 copy. */
    const makeRow = (j: number, vec: number, nw: number) => {
      const src = core.f64(vec, S);
      const dst = core.f64(row(j), S);
      for (let i = 0; i < S; i++) dst[i] = src[i] / nw;
      core.f32(V32 + j * ld32 * 4, S).set(dst);
    };
    /** The one-vector route: Lanczos with full reorthogonalisation (the file comment). */
    const single = (): Iteration => {
      randomDirection(0);
      let m = 0; // basis vectors whose step is done
      let matvecs = 0;
      let mNorm = 0; // running estimate of ||M||: max over steps of |alpha| + beta
      let converged = false;
      let nextCheck = Math.min(mMax, K);
      let blockStart = 0; // first row of the current Krylov block (a restart after an invariant subspace)
      const counted = throttledCount(opts.onProgress, K);
      for (let j = 0; j < mMax; j++) {
        // w = M v_j - beta_{j-1} v_{j-1} - alpha_j v_j: the three-term recurrence...
        apply(row(j), w);
        matvecs++;
        if (keep) core.f64(W + j * rowBytes, S).set(core.f64(w, S));
        const hv = core.f64(h, 2);
        if (j > 0 && beta[j - 1] !== 0) {
          hv[0] = beta[j - 1];
          k.lanczos_subtract(row(j - 1), 1, ld, S, h, w);
        }
        k.lanczos_project(row(j), 1, ld, S, w, h);
        alpha[j] = core.f64(h, 1)[0];
        k.lanczos_subtract(row(j), 1, ld, S, h, w);
        // ...then full reorthogonalisation against v_0 .. v_j (classical Gram-Schmidt, twice if it cancels).
        const before = norm(w);
        let after = before;
        for (let pass = 0; pass < 2; pass++) {
          work.project(j + 1, w, h);
          // The coefficients are rounding-sized after the three-term recurrence: when sum |h_r| <= 2^-30 ||w||,
          // subtracting with the f32 copy of the basis (error <= sum |h_r| 2^-24 <= 2^-54 ||w||, below f64
          // rounding of w) reads half the bytes. Otherwise (a cancelling step, a second pass) the f64 basis.
          const hs = core.f64(h, j + 1);
          let h1 = 0;
          for (let r = 0; r <= j; r++) h1 += Math.abs(hs[r]);
          work.subtract(j + 1, h, w, pass === 0 && h1 <= F32_SUBTRACT_BOUND * before);
          alpha[j] += core.f64(h, j + 1)[j];
          const prev = after;
          after = norm(w);
          if (after > 0.7071 * prev) break;
        }
        beta[j] = after;
        mNorm = Math.max(mNorm, Math.abs(alpha[j]) + after + (j > 0 ? beta[j - 1] : 0));
        m = j + 1;
        const last = m === mMax;
        const invariant = after <= 1e-12 * mNorm;
        if (invariant) beta[j] = 0;
        if (m >= nextCheck || last || invariant) {
          // The full count costs QL over T (O(m^2), at m = 1000 the work of about six steps); the K-th pair,
          // usually the last to converge, is tested first in O(m). When it is clearly short of the tolerance the
          // run cannot stop here, and the count is taken only for a progress report that is due.
          const far =
            pretest && !last && !invariant && blockStart === 0 && kthPairFar(alpha, beta, m, K, tol, mNorm);
          let done = counted(far, () => convergedCount(alpha, beta, 0, m, K, tol, mNorm, core));
          // Once a block has closed (an invariant subspace), a copy of a wanted eigenvalue may lie outside every
          // block so far: only a later block whose largest Ritz value has converged to at most the K-th value
          // proves that none is left. So the first closed block never ends the run by itself.
          // (With m = S the basis spans the whole space and T's eigenpairs are M's.)
          if (done === K && m < S && (blockStart > 0 || invariant)) {
            if (blockStart === 0 || !probeClear(alpha, beta, blockStart, m, K, tol, mNorm, core)) done--;
          }
          if (done >= 0) opts.onProgress?.(done, K);
          if (done === K) {
            converged = true;
            break;
          }
          nextCheck = m + Math.max(5, Math.ceil(0.02 * m));
        }
        if (last) break;
        if (invariant) {
          // An invariant subspace: continue from a fresh direction orthogonal to it (T gets a zero coupling).
          blockStart = m;
          if (!randomDirection(m)) {
            converged = true; // the basis spans the whole space, so T's eigenpairs are M's
            break;
          }
        } else makeRow(m, w, after);
      }

      // Ritz pairs: T's eigenvalues by QL (no vectors), the K wanted eigenvectors by inverse iteration, then
      // y = V s. (Only if inverse iteration misses its residual bound: all of T's eigenvectors by QL.)
      const values = ritzValues(alpha, beta, m, K, core);
      const coefficients = ritzCoefficients(alpha, beta, m, values, core);
      return { m, values, coefficients, mNorm, matvecs, converged };
    };

    const blockRun = () =>
      blockIteration({
        core,
        S,
        K,
        tol,
        mMax,
        blockMax,
        pretest,
        onProgress: opts.onProgress,
        work,
        scale,
        V,
        V32,
        ld,
        ld32,
        rowBytes,
        w,
        w2: buffers.direction2,
        h,
        pair: buffers.pair,
        pairProduct: buffers.pairProduct,
        W,
        norm,
        randomDirection,
        makeRow,
      });

    let it = tryBlock ? blockRun() : null;
    const route = it ? 2 : 1;
    if (!it) {
      if (tryBlock) {
        // the block lost rank: the one-vector route from the start, with a fresh helper job and random stream
        work.close();
        work = newWork();
        random = new CounterRandom(seed, Stream.lanczos);
      }
      it = single();
    }
    const { m, values, coefficients, mNorm, converged } = it;
    let { matvecs } = it;
    const { coefficients: Y, vectors: out } = allocatePlan(core, ritzPlan(S, K, m));
    core.f64(Y, m * K).set(coefficients);
    // Ritz vectors y = V s and the explicit residuals ||M y - theta y|| / |theta|: from the kept products,
    // M Y = W S, which this thread makes while the helper, where there is one, makes every Ritz vector (as
    // costly: an even split); else half the Ritz vectors on each thread, then eight of them per pass over the
    // matrix.
    let residuals: Float64Array;
    if (keep) {
      const acc = residualsFromProducts(core, W, ld, m, K, Y, out, values, mNorm);
      work.ritzStream(
        m,
        Y,
        out,
        (i0, i1) => acc.products(i0, i1),
        (i0, i1) => acc.sum(i0, i1),
      );
      residuals = acc.finish();
    } else {
      work.ritz(m, Y, out, () => {});
      residuals = explicitResiduals(core, matrixPtr, S, K, out, values, scale, mNorm);
      matvecs += K;
    }
    const vectors = core.f64(out, S * K).slice();
    return {
      values,
      vectors,
      residuals,
      iterations: m,
      matvecs,
      converged,
      residualsFrom: keep ? 'products' : 'matvecs',
      helperShares: work.helped,
      block: route,
    };
  } finally {
    closeWork();
    core.release(mark);
  }
}

/** The K largest eigenvalues of T (diagonal alpha, off-diagonal beta, size m), descending. */
function ritzValues(alpha: Float64Array, beta: Float64Array, m: number, K: number, core: Core): Float64Array {
  const t = symmetricTridiagonalEigen(alpha.subarray(0, m), beta.subarray(0, m), {
    track: 'none',
    order: 'descending',
    core,
  });
  return t.values.slice(0, K);
}

/** Y (m x K row-major): Y[r*K + c] = component r of T's unit eigenvector of values[c]. */
function ritzCoefficients(
  alpha: Float64Array,
  beta: Float64Array,
  m: number,
  values: Float64Array,
  core: Core,
): Float64Array {
  const K = values.length;
  const y = new Float64Array(m * K);
  const inv = tridiagonalEigenvectors(alpha.subarray(0, m), beta.subarray(0, m), values, { core });
  if (inv.maxResidual <= INVERSE_ITERATION_RESIDUAL) {
    const z = inv.vectors;
    for (let c = 0; c < K; c++) for (let r = 0; r < m; r++) y[r * K + c] = z[c * m + r];
    return y;
  }
  const tEig = symmetricTridiagonalEigen(alpha.subarray(0, m), beta.subarray(0, m), {
    track: 'vectors',
    order: 'descending',
    core,
  });
  const s = tEig.vectors as Float64Array;
  for (let r = 0; r < m; r++) for (let c = 0; c < K; c++) y[r * K + c] = s[r * m + c];
  return y;
}

/**
 * ||M y_c - theta_c y_c|| / max(|theta_c|, eps ||M||) for the K columns of `out` (S x K row-major f64, the
 * Ritz vectors V S), with M Y = W S from the iteration's own products W (m x ld f64, row j = M v_j as
 * computed), RITZ_ROWS rows of M Y at a time. In exact arithmetic W S = M V S; as computed it differs from
 * M times the stored Y by the rounding of the products (eps ||M|| per entry, as in any explicit product),
 * of Y = V S and of W S (gamma(m) |S| terms): the same order as the rounding of the matrix-vector products
 * that explicitResiduals would use, so the figure is as explicit as theirs, from 2 S m K flops instead of
 * 2 S^2 K (m <= S). For each block of rows in order: `products(i0, i1)` makes its rows of M Y (no Ritz vector
 * needed: it runs while the helper makes them), `sum(i0, i1)` adds them up against the block's Ritz rows.
 * Its one block buffer is allocated here (the caller releases it).
 */
function residualsFromProducts(
  core: Core,
  W: number,
  ld: number,
  m: number,
  K: number,
  Y: number,
  out: number,
  values: Float64Array,
  mNorm: number,
): { products(i0: number, i1: number): void; sum(i0: number, i1: number): void; finish(): Float64Array } {
  const rr = new Float64Array(K);
  const yy = new Float64Array(K);
  const { block: MY } = allocatePlan(core, productResidualPlan(K));
  return {
    products(i0, i1) {
      core.kernels.lanczos_ritz(W + i0 * 8, m, ld, i1 - i0, Y, K, MY);
    },
    sum(i0, i1) {
      const rows = i1 - i0;
      const my = core.f64(MY, rows * K);
      const y = core.f64(out + i0 * K * 8, rows * K);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < K; c++) {
          const yi = y[r * K + c];
          const d = my[r * K + c] - values[c] * yi;
          rr[c] += d * d;
          yy[c] += yi * yi;
        }
      }
    },
    finish() {
      const residuals = new Float64Array(K);
      for (let c = 0; c < K; c++)
        residuals[c] = Math.sqrt(rr[c] / yy[c]) / Math.max(Math.abs(values[c]), EPS * mNorm);
      return residuals;
    },
  };
}

/**
 * ||M y_c - theta_c y_c|| / max(|theta_c|, eps ||M||) for the K columns of `out` (S x K row-major f64 in
 * Wasm memory), M = diag(s) A diag(s) (or A), eight columns per lanczos_symm8_upper pass over the f32 matrix:
 * the same operator as the iteration's (the upper triangle mirrored), so a matrix that is asymmetric by f32
 * rounding (a cosine normalised in f32 is) is checked against the symmetric operator that was solved.
 */
function explicitResiduals(
  core: Core,
  matrixPtr: number,
  S: number,
  K: number,
  out: number,
  values: Float64Array,
  scale: Float64Array | undefined,
  mNorm: number,
): Float64Array {
  const residuals = new Float64Array(K);
  const mark = core.mark();
  try {
    const { block: X, product: MX } = allocatePlan(core, residualPlan(S));
    for (let c0 = 0; c0 < K; c0 += 8) {
      const nb = Math.min(8, K - c0);
      const o = core.f64(out, S * K);
      const x = core.f64(X, S * 8);
      x.fill(0);
      for (let i = 0; i < S; i++) {
        const si = scale ? scale[i] : 1;
        for (let c = 0; c < nb; c++) x[i * 8 + c] = o[i * K + c0 + c] * si;
      }
      core.kernels.lanczos_symm8_upper(matrixPtr, S, X, MX);
      const mx = core.f64(MX, S * 8);
      const o2 = core.f64(out, S * K);
      for (let c = 0; c < nb; c++) {
        const theta = values[c0 + c];
        let rr = 0;
        let yy = 0;
        for (let i = 0; i < S; i++) {
          const yi = o2[i * K + c0 + c];
          const d = mx[i * 8 + c] * (scale ? scale[i] : 1) - theta * yi;
          rr += d * d;
          yy += yi * yi;
        }
        residuals[c0 + c] = Math.sqrt(rr / yy) / Math.max(Math.abs(theta), EPS * mNorm);
      }
    }
  } finally {
    core.release(mark);
  }
  return residuals;
}

/**
 * The top Ritz values of T restricted to rows b0..m-1 (descending), with the Lanczos residual estimate of each
 * (beta_{m-1} |e_m^T s|) and whether it meets the tolerance.
 */
function ritzEstimates(
  alpha: Float64Array,
  beta: Float64Array,
  b0: number,
  m: number,
  tol: number,
  mNorm: number,
  core: Core,
): { values: Float64Array; converged: boolean[] } {
  const t = symmetricTridiagonalEigen(alpha.subarray(b0, m), beta.subarray(b0, m - 1), {
    track: 'bottom',
    order: 'descending',
    core,
  });
  const bottom = t.bottom as Float64Array;
  const betaM = beta[m - 1];
  const converged = Array.from(t.values, (theta, i) => {
    const estimate = betaM * Math.abs(bottom[i]);
    return estimate <= Math.max(tol * Math.abs(theta), 1000 * EPS * mNorm);
  });
  return { values: t.values, converged };
}

/**
 * True when T's K-th largest Ritz pair (m > K) is clearly not converged: its estimate beta_m |e_m^T s| above
 * PRETEST_MARGIN times its tolerance, with theta by bisection and s by inverse iteration, O(m) each.
 */
function kthPairFar(
  alpha: Float64Array,
  beta: Float64Array,
  m: number,
  K: number,
  tol: number,
  mNorm: number,
): boolean {
  if (m <= K) return false;
  const a = alpha.subarray(0, m);
  const b = beta.subarray(0, m);
  const theta = kthLargestEigenvalue(a, b, K);
  const s = tridiagonalEigenvectors(a, b, [theta], { solves: 2 });
  if (!(s.maxResidual <= INVERSE_ITERATION_RESIDUAL)) return false;
  const estimate = beta[m - 1] * Math.abs(s.vectors[m - 1]);
  return estimate > PRETEST_MARGIN * Math.max(tol * Math.abs(theta), 1000 * EPS * mNorm);
}

/** How many of T's K largest Ritz pairs meet the tolerance by the estimate beta_m |e_m^T s|. */
function convergedCount(
  alpha: Float64Array,
  beta: Float64Array,
  b0: number,
  m: number,
  K: number,
  tol: number,
  mNorm: number,
  core: Core,
): number {
  const r = ritzEstimates(alpha, beta, b0, m, tol, mNorm, core);
  let done = 0;
  for (let i = 0; i < Math.min(K, m - b0); i++) if (r.converged[i]) done++;
  return done;
}

/** True when the current block's largest Ritz value has converged and is not above T's K-th largest. */
function probeClear(
  alpha: Float64Array,
  beta: Float64Array,
  b0: number,
  m: number,
  K: number,
  tol: number,
  mNorm: number,
  core: Core,
): boolean {
  const all = ritzEstimates(alpha, beta, 0, m, tol, mNorm, core);
  const block = ritzEstimates(alpha, beta, b0, m, tol, mNorm, core);
  const thetaK = all.values[K - 1];
  const slack = Math.max(tol * Math.abs(thetaK), 1000 * EPS * mNorm);
  return block.converged[0] && block.values[0] <= thetaK + slack;
}
