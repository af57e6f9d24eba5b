// The quanta Wasm core: one module, one linear memory. Each kernel family lives in its own file and is
// re-exported here. Kernels never allocate: TypeScript owns memory (src/core/arena.ts) and passes pointers.
export * from './memory';
export * from './rng';
export * from './parity';
export * from './limits';
export * from './syrk';
export * from './affinity';
export * from './kmeans';
export * from './kmeans-bounded';
export * from './kmeans-gram';
export * from './gemm';
export * from './mlp';
export * from './adam';
export * from './lanczos';
export * from './bitsparse';
