// The quanta Wasm core: one module, one linear memory. Each kernel family lives in its own file, named for
// what it holds, and is re-exported here; ./simd.ts, ./kmeans-common.ts and ./byte-table-passes.ts hold
// internal helpers and are not. Kernels never allocate: TypeScript owns memory (src/core/arena.ts) and passes
// pointers. src/core/api.ts types every export (test/core/api.test.ts checks it against this module).
export * from './memory';
export * from './rng';
export * from './parity';
export * from './limits';
// training: the MLP's layers (llm.c style forward/backward pairs) and AdamW
export * from './sparse-linear';
export * from './byte-table';
export * from './byte-table-backward';
export * from './byte-table-plain1';
export * from './linear';
export * from './linear-backward';
export * from './activation';
export * from './cross-entropy';
export * from './adam';
// dense products and QDG: Gram matrices, affinity, Lanczos and the tridiagonal eigensolver, k-means
export { gemm_abt_f32, gemm_abt_f64 } from './gemm';
export * from './syrk';
export * from './affinity';
export * from './lanczos';
export * from './lanczos-block';
export * from './tridiagonal';
export * from './kmeans';
export * from './kmeans-bounded';
export * from './kmeans-gram';
