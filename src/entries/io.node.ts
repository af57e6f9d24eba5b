// `quanta/io` in Node: ./io.ts plus .npy files (whole, or streamed in blocks) and atomic writes.
export * from './io.js';
export { NpyReader, readNpyF32, readNpyF64, readNpyLabels, writeNpy } from '../io/npy.js';
export { writeFileAtomic } from '../io/atomic.js';
