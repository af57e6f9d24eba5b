// The typed interface of every export of the Wasm core. Pointers are byte offsets (number); i32 counts.
// Each kernel's memory layout and contract is documented beside its AssemblyScript source in assembly/.

export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;

  // assembly/rng.ts
  rng_fill_u32(
    out: number,
    nBlocks: number,
    seedLo: number,
    seedHi: number,
    stream: number,
    c1: number,
    c0Base: number,
    c3: number,
  ): void;
  rng_fill_uniform(
    out: number,
    count: number,
    seedLo: number,
    seedHi: number,
    stream: number,
    c1: number,
    c0Base: number,
  ): void;

  // assembly/parity.ts
  parity_sample_subtasks(
    subtasks: number,
    B: number,
    cdf: number,
    nTasks: number,
    seedLo: number,
    seedHi: number,
    stream: number,
    c1: number,
    c0Base: number,
    ids: number,
  ): void;
  parity_fill_inputs(
    offsets: number,
    indices: number,
    labels: number,
    subtasks: number,
    B: number,
    nTasks: number,
    n: number,
    k: number,
    subsets: number,
    seedLo: number,
    seedHi: number,
    stream: number,
    c1: number,
    c0Base: number,
    ids: number,
  ): number;

  // assembly/limits.ts (microbenchmarks of the machine's limits: bench/limits.mjs)
  limits_f32x4_muladd(state: number, iters: number, m: number, c: number): void;
  limits_f64x2_muladd(state: number, iters: number, m: number, c: number): void;
  limits_read(src: number, bytes: number): number;
  limits_write(dst: number, bytes: number, value: number): void;
  limits_copy(dst: number, src: number, bytes: number): void;
  limits_bulk_copy(dst: number, src: number, bytes: number): void;
}
