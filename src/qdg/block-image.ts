// The browser-safe half of the similarity picture (Figure 5 left, Figure 15): block means of the permuted
// matrix and matplotlib's 'CMRmap' (the paper's colour map). ./similarity-image.ts adds the PNG (node:zlib);
// the explorer (web/src/similarity.ts) draws the same block means and colours on a canvas.

/** Largest side of the picture; bigger matrices are shown as block means (SPEC: about 500 x 500). */
export const IMAGE_SIZE = 500;

/**
 * Block means of the permuted matrix: out[u * n + v] = mean of M[order[i], order[j]] over the rows i with
 * floor(i n / S) = u and columns j with floor(j n / S) = v, where n = min(S, size). M is f32 S x S row-major.
 */
export function blockMeans(
  matrix: ArrayLike<number>,
  S: number,
  order: ArrayLike<number>,
  size = IMAGE_SIZE,
): { n: number; pixels: Float64Array } {
  const n = Math.min(S, size);
  const sums = new Float64Array(n * n);
  const counts = new Float64Array(n * n);
  const bin = new Int32Array(S);
  for (let i = 0; i < S; i++) bin[i] = Math.floor((i * n) / S);
  for (let i = 0; i < S; i++) {
    const row = order[i] * S;
    const u = bin[i] * n;
    for (let j = 0; j < S; j++) {
      sums[u + bin[j]] += matrix[row + order[j]];
      counts[u + bin[j]]++;
    }
  }
  for (let p = 0; p < n * n; p++) sums[p] /= counts[p];
  return { n, pixels: sums };
}

// matplotlib 'CMRmap' (Rappaport's colour map for monochrome-friendly printing): r, g, b at t = 0, 1/8, ..., 1.
const CMR_RED = [0, 0.15, 0.3, 0.6, 1, 0.9, 0.9, 0.9, 1];
const CMR_GREEN = [0, 0.15, 0.15, 0.2, 0.25, 0.5, 0.75, 0.9, 1];
const CMR_BLUE = [0, 0.5, 0.75, 0.5, 0.15, 0, 0.1, 0.5, 1];

/** CMRmap colour of t in [0, 1] as 8-bit RGB (t outside is clipped, NaN is 0). */
export function cmrmap(t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * 8;
  const i = Math.min(7, Math.floor(x));
  const f = x - i;
  const lerp = (c: number[]) => Math.round(255 * (c[i] + f * (c[i + 1] - c[i])));
  return [lerp(CMR_RED), lerp(CMR_GREEN), lerp(CMR_BLUE)];
}

/** CSS colour string of cmrmap(t). */
export function cmrmapCss(t: number): string {
  const [r, g, b] = cmrmap(t);
  return `rgb(${r},${g},${b})`;
}
