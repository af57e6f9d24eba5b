// Test data shared by the QDG tests: a planted-cluster affinity matrix with known labels.

/** A planted-cluster affinity: within-cluster 0.8 + noise, between 0.1 + noise, symmetric, diagonal 1. */
export function plantedAffinity(sizes: number[], seed: number): { A: Float32Array; labels: Int32Array } {
  const S = sizes.reduce((a, b) => a + b, 0);
  const labels = new Int32Array(S);
  let p = 0;
  sizes.forEach((n, c) => {
    for (let i = 0; i < n; i++) labels[p++] = c;
  });
  let state = seed >>> 0 || 1;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const A = new Float32Array(S * S);
  for (let i = 0; i < S; i++) {
    A[i * S + i] = 1;
    for (let j = 0; j < i; j++) {
      const v = (labels[i] === labels[j] ? 0.8 : 0.1) + 0.1 * rand();
      A[i * S + j] = v;
      A[j * S + i] = v;
    }
  }
  return { A, labels };
}
