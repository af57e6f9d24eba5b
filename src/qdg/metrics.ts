// Agreement between two clusterings of the same samples (QDG validated against true subtasks, SPEC.md 4.3):
// the adjusted Rand index and the normalised mutual information with the arithmetic-mean normaliser
// (scikit-learn's defaults). Labels are any integers; only the partition they induce matters.

interface Contingency {
  n: number;
  /** [a-class, b-class, count] of each pair present */
  cells: Array<[number, number, number]>;
  rowSums: number[];
  colSums: number[];
}

function contingency(a: ArrayLike<number>, b: ArrayLike<number>): Contingency {
  if (a.length !== b.length) throw new RangeError(`clusterings of ${a.length} and ${b.length} samples`);
  const ai = new Map<number, number>();
  const bi = new Map<number, number>();
  const cells = new Map<number, [number, number, number]>();
  const rowSums: number[] = [];
  const colSums: number[] = [];
  for (let s = 0; s < a.length; s++) {
    let i = ai.get(a[s]);
    if (i === undefined) ai.set(a[s], (i = ai.size));
    let j = bi.get(b[s]);
    if (j === undefined) bi.set(b[s], (j = bi.size));
    rowSums[i] = (rowSums[i] ?? 0) + 1;
    colSums[j] = (colSums[j] ?? 0) + 1;
    const key = i * a.length + j;
    const cell = cells.get(key);
    if (cell) cell[2]++;
    else cells.set(key, [i, j, 1]);
  }
  return { n: a.length, cells: [...cells.values()], rowSums, colSums };
}

const pairs = (x: number) => (x * (x - 1)) / 2;

/**
 * Adjusted Rand index (Hubert & Arabie 1985): 1 for identical partitions, about 0 for independent ones,
 * can be negative. Returns 1 when both partitions are trivial in the same way (as scikit-learn does).
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const c = contingency(a, b);
  const sumCells = c.cells.reduce((s, x) => s + pairs(x[2]), 0);
  const sumA = c.rowSums.reduce((s, x) => s + pairs(x), 0);
  const sumB = c.colSums.reduce((s, x) => s + pairs(x), 0);
  const expected = c.n > 1 ? (sumA * sumB) / pairs(c.n) : 0;
  const maxIndex = (sumA + sumB) / 2;
  if (maxIndex === expected) return 1;
  return (sumCells - expected) / (maxIndex - expected);
}

function entropy(counts: number[], n: number): number {
  let h = 0;
  for (const x of counts) if (x > 0) h -= (x / n) * Math.log(x / n);
  return h;
}

/**
 * Normalised mutual information, MI / ((H(a) + H(b)) / 2), in nats (the ratio does not depend on the base).
 * 1 for identical partitions; 1 when both put every sample in one cluster; 0 for independent ones.
 */
export function normalizedMutualInfo(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { n, cells, rowSums, colSums } = contingency(a, b);
  if (n === 0) return 1;
  if (rowSums.length === 1 && colSums.length === 1) return 1;
  // mutual information: sum over cells of p_ij ln(p_ij / (p_i p_j))
  let mi = 0;
  for (const [i, j, nij] of cells) mi += (nij / n) * Math.log((nij * n) / (rowSums[i] * colSums[j]));
  if (mi <= 0) return 0;
  const norm = (entropy(rowSums, n) + entropy(colSums, n)) / 2;
  return Math.min(1, mi / Math.max(norm, Number.EPSILON));
}
