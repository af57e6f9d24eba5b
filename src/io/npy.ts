// NumPy .npy files on disk (Node): whole-file reading and atomic writing, and a streaming reader of
// row/column blocks of a 2-D array that never loads the file whole (a gradient matrix can be samples x
// millions of parameters). The format itself (header, conversion, encoding) is ./npy-format.ts, browser-safe.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { writeFileAtomic } from './atomic.js';
import {
  convertInto,
  encodeNpy,
  fail,
  parseNpyHeader,
  type NpyArray,
  type NpyData,
  type NpyHeader,
} from './npy-format.js';

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
} from './npy-format.js';

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

/** Writes a C-order .npy file atomically (temporary file + rename). Uint16Array data is written as <f2. */
export function writeNpy(path: string, data: NpyData, shape: number[] = [data.length]): void {
  writeFileAtomic(path, encodeNpy(data, shape));
}
