// NumPy .npy files (format versions 1.0, 2.0 and 3.0; little-endian; C order only): whole-file reading and
// writing, and a streaming reader of row/column blocks of a 2-D array that never loads the file whole
// (a gradient matrix can be samples x millions of parameters).
//
// Layout: magic "\x93NUMPY", major, minor, header length (u16 LE for 1.0, u32 LE for 2.0 and 3.0), then a
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (S, P), } padded with spaces and a
// newline (latin-1 for 1.0/2.0, UTF-8 for 3.0), then the data. Any problem is a ConfigError naming the file.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { writeFileAtomic } from './atomic.js';

export type NpyDtype = '<f2' | '<f4' | '<f8' | '<i4' | '<i8';

const ITEM_BYTES: Record<NpyDtype, number> = { '<f2': 2, '<f4': 4, '<f8': 8, '<i4': 4, '<i8': 8 };
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

function fail(path: string, problem: string): never {
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
function convertInto(
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

// --- streaming reader ---

/** Reads blocks of a 2-D (or 1-D, as one column) .npy array from a file descriptor, converting to float. */
export class NpyReader {
  readonly header: NpyHeader;
  readonly rows: number;
  readonly cols: number;
  private fd: number;
  private scratch = new Uint8Array(0);

  constructor(readonly path: string) {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new ConfigError(`${path}: cannot open: ${(e as Error).message}`);
    }
    this.fd = fd;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new ConfigError(`${path}: not a file (a .npy file was expected)`);
      const fileBytes = st.size;
      const head = new Uint8Array(Math.min(fileBytes, 1 << 16));
      readSync(fd, head, 0, head.length, 0);
      let header: NpyHeader;
      try {
        header = parseNpyHeader(head, path, fileBytes);
      } catch (e) {
        // a 2.0/3.0 header longer than 64 KiB: read it whole
        if (!(e instanceof ConfigError) || !/truncated header/.test(e.message) || fileBytes <= head.length)
          throw e;
        const all = new Uint8Array(Math.min(fileBytes, 12 + new DataView(head.buffer).getUint32(8, true)));
        readSync(fd, all, 0, all.length, 0);
        header = parseNpyHeader(all, path, fileBytes);
      }
      this.header = header;
      const s = header.shape;
      if (s.length > 2 || s.length === 0)
        fail(path, `expected a 1-D or 2-D array, got shape (${s.join(', ')})`);
      this.rows = s[0];
      this.cols = s.length === 2 ? s[1] : 1;
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  private readExact(buf: Uint8Array, position: number): void {
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.fd, buf, done, buf.length - done, position + done);
      if (n <= 0) fail(this.path, `truncated: read stopped at byte ${position + done}`);
      done += n;
    }
  }

  /**
   * Rows [row0, row0 + rowCount) and columns [col0, col0 + colCount) into out (row r of the block at
   * out[outOffset + r * outStride ..]), converted to f32 or f64 by the type of `out`.
   */
  readBlock(
    row0: number,
    rowCount: number,
    col0: number,
    colCount: number,
    out: Float32Array | Float64Array,
    outStride = colCount,
    outOffset = 0,
  ): void {
    if (row0 < 0 || col0 < 0 || row0 + rowCount > this.rows || col0 + colCount > this.cols) {
      throw new RangeError(
        `npy block [${row0}+${rowCount}, ${col0}+${colCount}] outside ${this.rows} x ${this.cols}`,
      );
    }
    const { dtype, itemBytes, dataOffset } = this.header;
    const direct =
      (dtype === '<f4' && out instanceof Float32Array) || (dtype === '<f8' && out instanceof Float64Array);
    const wholeRows = col0 === 0 && colCount === this.cols && outStride === colCount;
    // one contiguous range when whole rows are wanted, else one read per row
    const runs = wholeRows ? 1 : rowCount;
    const runElems = wholeRows ? rowCount * colCount : colCount;
    for (let r = 0; r < runs; r++) {
      const pos = dataOffset + ((row0 + r) * this.cols + col0) * itemBytes;
      const dst = outOffset + r * outStride;
      if (direct) {
        const bytes = new Uint8Array(
          out.buffer,
          out.byteOffset + dst * out.BYTES_PER_ELEMENT,
          runElems * itemBytes,
        );
        this.readExact(bytes, pos);
      } else {
        if (this.scratch.length < runElems * itemBytes) this.scratch = new Uint8Array(runElems * itemBytes);
        const raw = this.scratch.subarray(0, runElems * itemBytes);
        this.readExact(raw, pos);
        convertInto(dtype, raw, runElems, out, dst);
      }
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

// --- whole-file reading ---

export interface NpyArray<T> {
  shape: number[];
  dtype: NpyDtype;
  data: T;
}

/** Reads a whole float array as f32 (f2, f4 and f8 convert; integer arrays too). */
export function readNpyF32(path: string): NpyArray<Float32Array> {
  const r = new NpyReader(path);
  try {
    const data = new Float32Array(r.header.size);
    if (r.header.size > 0) r.readBlock(0, r.rows, 0, r.cols, data);
    return { shape: r.header.shape, dtype: r.header.dtype, data };
  } finally {
    r.close();
  }
}

/** Reads a whole array as f64. */
export function readNpyF64(path: string): NpyArray<Float64Array> {
  const r = new NpyReader(path);
  try {
    const data = new Float64Array(r.header.size);
    if (r.header.size > 0) r.readBlock(0, r.rows, 0, r.cols, data);
    return { shape: r.header.shape, dtype: r.header.dtype, data };
  } finally {
    r.close();
  }
}

/** Reads a 1-D integer label array (<i4 or <i8, values within int32). */
export function readNpyLabels(path: string): Int32Array {
  const a = readNpyF64(path);
  if (a.dtype !== '<i4' && a.dtype !== '<i8') fail(path, `labels must be <i4 or <i8, got ${a.dtype}`);
  if (a.shape.length !== 1) fail(path, `labels must be 1-D, got shape (${a.shape.join(', ')})`);
  const out = new Int32Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = a.data[i];
    if (v !== (v | 0)) fail(path, `label ${v} at ${i} is outside the int32 range`);
    out[i] = v;
  }
  return out;
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

/** Writes a C-order .npy file atomically (temporary file + rename). Uint16Array data is written as <f2. */
export function writeNpy(path: string, data: NpyData, shape: number[] = [data.length]): void {
  writeFileAtomic(path, encodeNpy(data, shape));
}
