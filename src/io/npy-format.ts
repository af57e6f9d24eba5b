// The .npy format itself (versions 1.0, 2.0 and 3.0; little-endian; C order only), with no file system: header
// parsing, element conversion, and encoding and decoding whole arrays in memory. Browser-safe; ./npy.ts adds
// the Node file reading (streaming blocks) and atomic writing on top of it.
//
// Layout: magic "\x93NUMPY", major, minor, header length (u16 LE for 1.0, u32 LE for 2.0 and 3.0), then a
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (S, P), } padded with spaces and a
// newline (latin-1 for 1.0/2.0, UTF-8 for 3.0), then the data. Any problem is a ConfigError naming the file.
import { ConfigError } from '../core/errors.js';

export type NpyDtype = '<f2' | '<f4' | '<f8' | '<i4' | '<i8';

export const ITEM_BYTES: Record<NpyDtype, number> = { '<f2': 2, '<f4': 4, '<f8': 8, '<i4': 4, '<i8': 8 };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
  version: [number, number];
  itemBytes: number;
  /** Number of elements (product of the shape). */
  size: number;
}

export function fail(path: string, problem: string): never {
  throw new ConfigError(`${path}: not a usable .npy file: ${problem}`);
}

// --- the header dict: a tiny parser for the Python literal numpy writes ---

type PyValue = string | boolean | number[];

function parseHeaderDict(text: string, path: string): Map<string, PyValue> {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const expect = (ch: string) => {
    ws();
    if (text[i] !== ch) fail(path, `malformed header (expected '${ch}' at ${i}): ${text.trim()}`);
    i++;
  };
  const str = (): string => {
    ws();
    const q = text[i];
    if (q !== "'" && q !== '"') fail(path, `malformed header (expected a string at ${i})`);
    const end = text.indexOf(q, i + 1);
    if (end < 0) fail(path, 'malformed header (unterminated string)');
    const s = text.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  const value = (): PyValue => {
    ws();
    if (text[i] === "'" || text[i] === '"') return str();
    if (text.startsWith('True', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('False', i)) {
      i += 5;
      return false;
    }
    if (text[i] === '(') {
      i++;
      const dims: number[] = [];
      for (;;) {
        ws();
        if (text[i] === ')') {
          i++;
          return dims;
        }
        const m = /^(\d+)L?/.exec(text.slice(i));
        if (!m) fail(path, `malformed shape in header: ${text.trim()}`);
        dims.push(Number(m[1]));
        i += m[0].length;
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== ')') fail(path, `malformed shape in header: ${text.trim()}`);
      }
    }
    return fail(path, `malformed header value at ${i}: ${text.trim()}`);
  };
  const dict = new Map<string, PyValue>();
  expect('{');
  for (;;) {
    ws();
    if (text[i] === '}') break;
    const key = str();
    expect(':');
    dict.set(key, value());
    ws();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail(path, `malformed header (expected ',' or '}' at ${i})`);
  }
  return dict;
}

/** Parses the header of a .npy file from its first bytes (at least the whole header). */
export function parseNpyHeader(bytes: Uint8Array, path: string, fileBytes?: number): NpyHeader {
  if (bytes.length < 10) fail(path, 'truncated (shorter than the 10-byte preamble)');
  for (let j = 0; j < 6; j++) if (bytes[j] !== MAGIC[j]) fail(path, 'no \\x93NUMPY magic string');
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3) fail(path, `unsupported format version ${major}.${minor}`);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail(path, 'truncated header');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataOffset = 8 + lenBytes + headerLen;
  if (bytes.length < dataOffset) fail(path, 'truncated header');
  const raw = bytes.subarray(8 + lenBytes, dataOffset);
  const text = major === 3 ? new TextDecoder('utf-8').decode(raw) : new TextDecoder('latin1').decode(raw);
  const dict = parseHeaderDict(text, path);
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof descr !== 'string') fail(path, "header has no string 'descr'");
  if (typeof fortran !== 'boolean') fail(path, "header has no boolean 'fortran_order'");
  if (!Array.isArray(shape)) fail(path, "header has no tuple 'shape'");
  if (descr.startsWith('>')) fail(path, `big-endian dtype ${descr} is not supported (use '<')`);
  const dtype = (descr.startsWith('=') || descr.startsWith('|') ? '<' + descr.slice(1) : descr) as NpyDtype;
  if (!(dtype in ITEM_BYTES)) fail(path, `unsupported dtype ${descr} (supported: <f2, <f4, <f8, <i4, <i8)`);
  if (fortran) fail(path, 'Fortran-order arrays are not supported (save with C order, np.ascontiguousarray)');
  const itemBytes = ITEM_BYTES[dtype];
  const size = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(size * itemBytes)) fail(path, `shape (${shape.join(', ')}) is too large`);
  if (fileBytes !== undefined && fileBytes < dataOffset + size * itemBytes) {
    fail(
      path,
      `truncated: shape (${shape.join(', ')}) of ${dtype} needs ${dataOffset + size * itemBytes} bytes, the file has ${fileBytes}`,
    );
  }
  return { dtype, shape, dataOffset, version: [major, minor], itemBytes, size };
}

// --- element conversion ---

let halfTable: Float32Array | undefined;

/** The f32 value of an IEEE 754 binary16 bit pattern (exact: subnormals, infinities, NaN). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

/** Converts `count` elements of `dtype` from raw little-endian bytes into out[outOffset ..] as numbers. */
export function convertInto(
  dtype: NpyDtype,
  raw: Uint8Array,
  count: number,
  out: Float32Array | Float64Array,
  outOffset: number,
): void {
  const aligned = raw.byteOffset % ITEM_BYTES[dtype] === 0 ? raw : raw.slice();
  switch (dtype) {
    case '<f4':
      out.set(new Float32Array(aligned.buffer, aligned.byteOffset, count), outOffset);
      break;
    case '<f8':
      out.set(new Float64Array(aligned.buffer, aligned.byteOffset, count), outOffset);
      break;
    case '<f2': {
      const t = halfLookup();
      const h = new Uint16Array(aligned.buffer, aligned.byteOffset, count);
      for (let j = 0; j < count; j++) out[outOffset + j] = t[h[j]];
      break;
    }
    case '<i4':
      out.set(new Int32Array(aligned.buffer, aligned.byteOffset, count), outOffset);
      break;
    case '<i8': {
      const v = new BigInt64Array(aligned.buffer, aligned.byteOffset, count);
      for (let j = 0; j < count; j++) out[outOffset + j] = Number(v[j]);
      break;
    }
  }
}

// --- writing ---

export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint16Array | Uint8Array;

/** The written dtype: Uint8Array is written as |u1 (0/1 inputs), which the readers here do not take. */
function dtypeOf(data: NpyData): NpyDtype | '|u1' {
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof BigInt64Array) return '<i8';
  return '<f2'; // Uint16Array: raw binary16 bit patterns
}

/** The bytes of a .npy file (version 1.0, or 2.0 if the header needs more than 65535 bytes). */
export function encodeNpy(data: NpyData, shape: number[]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length)
    throw new RangeError(`npy: shape (${shape.join(', ')}) does not match ${data.length} elements`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${dtypeOf(data)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let major = 1;
  let pre = 10;
  let total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  if (total - pre > 65535) {
    major = 2;
    pre = 12;
    total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - pre;
  const header = dict + ' '.repeat(headerLen - dict.length - 1) + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, headerLen, true);
  else dv.setUint32(8, headerLen, true);
  for (let j = 0; j < header.length; j++) out[pre + j] = header.charCodeAt(j);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}

export interface NpyArray<T> {
  shape: number[];
  dtype: NpyDtype;
  data: T;
}

/** Decodes a whole .npy file held in memory (e.g. a dropped file's bytes) into f64; `name` names it in errors. */
export function decodeNpyF64(bytes: Uint8Array, name = '.npy data'): NpyArray<Float64Array> {
  const header = parseNpyHeader(bytes, name, bytes.length);
  const data = new Float64Array(header.size);
  convertInto(header.dtype, bytes.subarray(header.dataOffset), header.size, data, 0);
  return { shape: header.shape, dtype: header.dtype, data };
}

/** Decodes a whole .npy file held in memory into f32 (f2, f4 and f8 convert; integer arrays too). */
export function decodeNpyF32(bytes: Uint8Array, name = '.npy data'): NpyArray<Float32Array> {
  const header = parseNpyHeader(bytes, name, bytes.length);
  const data = new Float32Array(header.size);
  convertInto(header.dtype, bytes.subarray(header.dataOffset), header.size, data, 0);
  return { shape: header.shape, dtype: header.dtype, data };
}
