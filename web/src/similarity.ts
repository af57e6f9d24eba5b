// The similarity matrix as the paper draws it (Figure 5 left, Figure 15): rows and columns permuted (by cluster
// or by true subtask, largest group first), shown as block means of at most IMAGE_SIDE x IMAGE_SIDE, coloured
// with matplotlib's 'CMRmap' between the smallest and the largest block mean, with a colour bar on the right.
// The same picture `quanta qdg` writes as PNG: the block means and colours are the library's
// (src/qdg/block-image.ts, in the browser entry); only the PNG encoding (node:zlib) stays CLI-side.
import { blockMeans, cmrmap, orderByCluster } from 'quanta/qdg';

export { blockMeans, cmrmap };

/** Largest side of the picture in blocks (the worker sends at most IMAGE_SIDE^2 block means per ordering). */
export const IMAGE_SIDE = 300;

/**
 * The order of the picture by true label: groups by size, largest first, samples by index inside a group
 * (orderByCluster, as `quanta qdg` draws it); with parity labels (a model's samples), label 0 before label 1
 * inside each subtask, which shows the gradient's sign flip with the label as two blocks per subtask.
 */
export function truthOrder(trueLabels: ArrayLike<number>, parityLabels?: ArrayLike<number>): Int32Array {
  const order = orderByCluster(trueLabels);
  if (!parityLabels) return order;
  const rank = new Map<number, number>();
  for (const i of order) if (!rank.has(trueLabels[i])) rank.set(trueLabels[i], rank.size);
  return order
    .slice()
    .sort(
      (a, b) =>
        rank.get(trueLabels[a])! - rank.get(trueLabels[b])! || parityLabels[a] - parityLabels[b] || a - b,
    );
}

export interface SimilarityImage {
  /** Side in blocks. */
  n: number;
  /** n x n block means, row-major. */
  pixels: Float32Array;
}

const SIDE_PX = 320;
const BAR = { gap: 10, width: 12, labels: 44 };
const MARGIN = { top: 8, bottom: 24, left: 8 };

/** Draws `image` into `canvas` with its colour bar and `label` under it; returns the colour range. */
export function renderSimilarity(
  canvas: HTMLCanvasElement,
  image: SimilarityImage | null,
  label: string,
): { min: number; max: number } | null {
  const width = MARGIN.left + SIDE_PX + BAR.gap + BAR.width + BAR.labels;
  const height = MARGIN.top + SIDE_PX + MARGIN.bottom;
  const ratio = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.aspectRatio = `${width} / ${height}`;
  const g = canvas.getContext('2d');
  if (!g) return null;
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#333';
  g.textAlign = 'center';
  g.textBaseline = 'top';
  g.fillText(label, MARGIN.left + SIDE_PX / 2, MARGIN.top + SIDE_PX + 6);
  if (!image) {
    g.fillStyle = '#f3f1ee';
    g.fillRect(MARGIN.left, MARGIN.top, SIDE_PX, SIDE_PX);
    delete canvas.dataset.min;
    delete canvas.dataset.max;
    canvas.dataset.blocks = '0';
    return null;
  }
  const { n, pixels } = image;
  let min = Infinity;
  let max = -Infinity;
  for (const v of pixels) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max > min ? max - min : 1;
  // one pixel per block, scaled up without smoothing
  const bitmap = new ImageData(n, n);
  for (let p = 0; p < n * n; p++) {
    const [r, gr, b] = cmrmap((pixels[p] - min) / span);
    bitmap.data.set([r, gr, b, 255], 4 * p);
  }
  const scratch = document.createElement('canvas');
  scratch.width = n;
  scratch.height = n;
  scratch.getContext('2d')!.putImageData(bitmap, 0, 0);
  g.imageSmoothingEnabled = false;
  g.drawImage(scratch, MARGIN.left, MARGIN.top, SIDE_PX, SIDE_PX);
  // colour bar: the largest block mean at the top, the smallest at the bottom
  const barX = MARGIN.left + SIDE_PX + BAR.gap;
  for (let y = 0; y < SIDE_PX; y++) {
    const [r, gr, b] = cmrmap(1 - y / (SIDE_PX - 1));
    g.fillStyle = `rgb(${r},${gr},${b})`;
    g.fillRect(barX, MARGIN.top + y, BAR.width, 1.5);
  }
  g.strokeStyle = '#888';
  g.lineWidth = 1;
  g.strokeRect(barX + 0.5, MARGIN.top + 0.5, BAR.width, SIDE_PX);
  g.fillStyle = '#333';
  g.textAlign = 'left';
  g.textBaseline = 'top';
  g.fillText(max.toFixed(3), barX + BAR.width + 4, MARGIN.top);
  g.textBaseline = 'bottom';
  g.fillText(min.toFixed(3), barX + BAR.width + 4, MARGIN.top + SIDE_PX);
  canvas.dataset.blocks = String(n);
  canvas.dataset.min = min.toFixed(4);
  canvas.dataset.max = max.toFixed(4);
  return { min, max };
}
