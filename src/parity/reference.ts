// Plain, slow, obviously-correct twins of assembly/parity.ts, one sample at a time, named ref + the kernel
// they check: refParitySampleSubtask (parity_sample_subtasks), refParityFillInputs (parity_fill_inputs).
// Test oracles only: no production module imports this file and the package entry does not export it.
import { philox4x32, uniform53 } from '../core/rng.js';

export interface RefParitySample {
  subtask: number;
  /** Task bits as 0/1, length n. */
  bits: number[];
  /** Active input indices: control index then nTasks + set bits, increasing. */
  active: number[];
  label: number;
}

/** The subtask drawn for counter (c0, c1) of `stream`: the first i with cdf[i] >= u. */
export function refParitySampleSubtask(
  cdf: Float64Array,
  key: [number, number],
  stream: number,
  c1: number,
  c0: number,
) {
  const w = philox4x32(c0, c1, stream, 0, key[0], key[1]);
  const u = uniform53(w[0], w[1]);
  for (let i = 0; i < cdf.length; i++) if (cdf[i] >= u) return i;
  return cdf.length - 1;
}

/** Inputs and label of one sample whose subtask is given. */
export function refParityFillInputs(
  subtask: number,
  nTasks: number,
  n: number,
  k: number,
  subsets: Int32Array,
  key: [number, number],
  stream: number,
  c1: number,
  c0: number,
): RefParitySample {
  const bits: number[] = [];
  for (let j = 0; bits.length < n; j++) {
    const w = philox4x32(c0, c1, stream, 1 + j, key[0], key[1]);
    for (let word = 0; word < 4; word++) {
      for (let b = 0; b < 32 && bits.length < n; b++) bits.push((w[word] >>> b) & 1);
    }
  }
  const active = [subtask];
  bits.forEach((bit, b) => {
    if (bit) active.push(nTasks + b);
  });
  let label = 0;
  for (let m = 0; m < k; m++) label ^= bits[subsets[subtask * k + m]];
  return { subtask, bits, active, label };
}
