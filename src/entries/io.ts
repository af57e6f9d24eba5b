// `quanta/io` (browser-safe): the .npy format in memory (decode a dropped file's bytes, encode for download).
export {
  decodeNpyF32,
  decodeNpyF64,
  encodeNpy,
  halfToFloat,
  parseNpyHeader,
  type NpyArray,
  type NpyData,
  type NpyDtype,
  type NpyHeader,
} from '../io/npy-format.js';
