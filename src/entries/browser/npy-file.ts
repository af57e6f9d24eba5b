// The browser build's ../io/npy.ts (substituted by scripts/browser-build.mjs and the explorer's Vite config):
// the in-memory format, and the file functions as clear errors (a page has no file paths: decode the bytes).
import type { NpyArray, NpyData, NpyHeader } from '../../io/npy-format.js';

export * from '../../io/npy-format.js';

function nodeOnly(what: string): never {
  throw new Error(
    `quanta: ${what} reads files and needs Node; in a browser, decode the bytes with decodeNpyF32/F64`,
  );
}

export class NpyReader {
  readonly header!: NpyHeader;
  readonly rows!: number;
  readonly cols!: number;
  constructor(path: string) {
    nodeOnly(`NpyReader(${path})`);
  }
  readBlock(..._args: unknown[]): void {}
  close(): void {}
}

export function readNpyF32(_path: string): NpyArray<Float32Array> {
  return nodeOnly('readNpyF32');
}
export function readNpyF64(_path: string): NpyArray<Float64Array> {
  return nodeOnly('readNpyF64');
}
export function readNpyLabels(_path: string): Int32Array {
  return nodeOnly('readNpyLabels');
}
export function writeNpy(_path: string, _data: NpyData, _shape?: number[]): void {
  nodeOnly('writeNpy');
}
