import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import {
  NpyReader,
  encodeNpy,
  halfToFloat,
  readNpyF32,
  readNpyF64,
  readNpyLabels,
  writeNpy,
} from '../../src/io/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'quanta-npy-'));
let fileNo = 0;
function fixture(base64: string): string {
  const p = join(dir, `f${fileNo++}.npy`);
  writeFileSync(p, Buffer.from(base64, 'base64'));
  return p;
}
function bytesFile(bytes: Uint8Array): string {
  const p = join(dir, `b${fileNo++}.npy`);
  writeFileSync(p, bytes);
  return p;
}

// Files written by numpy 2.4 (np.save / numpy.lib.format.write_array with an explicit version).
const NUMPY = {
  // [[0, 1, -2], [6e-8, 65504, inf]] as <f2 (6e-8 rounds to the smallest subnormal 2^-24)
  f2: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAA8AMABAP97AHw=',
  // arange(6).reshape(2, 3) * 0.5 as <f4, format 2.0
  f4v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAPwAAgD8AAMA/AAAAQAAAIEA=',
  // [1.5, -2.25] as <f8, format 3.0
  f8v3: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD4PwAAAAAAAALA',
  i8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoDAAAAAAAAAP//////////BwAAAAAAAAA=',
  fortran:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AACAPwAAgD8AAIA/AACAPwAAgD8=',
  bigEndian:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/gAAAP4AAAD+AAAA=',
};

// An independent oracle for binary16: build the f32 bit pattern (normals, inf, NaN) or scale the fraction.
function halfOracle(h: number): number {
  const sign = h >> 15;
  const exp = (h >> 10) & 31;
  const frac = h & 1023;
  const u = new Uint32Array(1);
  const f = new Float32Array(u.buffer);
  if (exp === 0) return (sign ? -1 : 1) * (frac / 1024) * Math.pow(2, -14);
  u[0] = (sign << 31) | ((exp === 31 ? 255 : exp - 15 + 127) << 23) | (frac << 13);
  return f[0];
}

describe('npy reading of files numpy wrote', () => {
  it('reads <f2 with subnormals, the largest half and inf', () => {
    const a = readNpyF32(fixture(NUMPY.f2));
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('<f2');
    expect(Array.from(a.data)).toEqual([0, 1, -2, 2 ** -24, 65504, Infinity]);
  });
  it('reads format 2.0 <f4 and format 3.0 <f8', () => {
    const a = readNpyF32(fixture(NUMPY.f4v2));
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    const b = readNpyF64(fixture(NUMPY.f8v3));
    expect(b.shape).toEqual([2]);
    expect(Array.from(b.data)).toEqual([1.5, -2.25]);
  });
  it('reads <i8 labels', () => {
    expect(Array.from(readNpyLabels(fixture(NUMPY.i8)))).toEqual([3, -1, 7]);
  });
  it('rejects Fortran order, big-endian, malformed and truncated files with a ConfigError naming the file', () => {
    const fort = fixture(NUMPY.fortran);
    expect(() => readNpyF32(fort)).toThrow(ConfigError);
    expect(() => readNpyF32(fort)).toThrow(/Fortran/);
    expect(() => readNpyF32(fort)).toThrow(fort);
    expect(() => readNpyF32(fixture(NUMPY.bigEndian))).toThrow(/big-endian/);
    const good = Buffer.from(NUMPY.f4v2, 'base64');
    expect(() => readNpyF32(bytesFile(good.subarray(0, good.length - 3)))).toThrow(/truncated/);
    expect(() => readNpyF32(bytesFile(good.subarray(0, 11)))).toThrow(/truncated/);
    const bad = Buffer.from(good);
    bad[0] = 0x50;
    expect(() => readNpyF32(bytesFile(bad))).toThrow(/magic/);
    const mangled = Buffer.from(good);
    mangled.write("'shape': [2, 3]", good.indexOf("'shape'"), 'latin1');
    expect(() => readNpyF32(bytesFile(mangled))).toThrow(ConfigError);
    const u1 = Buffer.from(NUMPY.i8, 'base64');
    u1.write("'<u8'", u1.indexOf("'<i8'"), 'latin1');
    expect(() => readNpyF32(bytesFile(u1))).toThrow(/unsupported dtype/);
    expect(() => readNpyF32(join(dir, 'missing.npy'))).toThrow(/cannot open/);
  });
});

describe('binary16 conversion', () => {
  it('matches a bit-level oracle on all 65536 patterns (subnormals, inf, nan)', () => {
    for (let h = 0; h < 65536; h++) {
      const got = halfToFloat(h);
      const want = halfOracle(h);
      if (Number.isNaN(want)) expect(Number.isNaN(got)).toBe(true);
      else expect(Object.is(got, want)).toBe(true);
    }
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x03ff)).toBe(1023 * 2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
  });
});

describe('npy writing round trips and block reads', () => {
  it('round-trips f4/f8/i4/i8/f2 of any 2-D shape through writeNpy', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer(),
        (r, c, seed) => {
          const n = r * c;
          const f32 = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i) * 100));
          const p = join(dir, `rt${fileNo++}.npy`);
          writeNpy(p, f32, [r, c]);
          const back = readNpyF32(p);
          expect(back.shape).toEqual([r, c]);
          expect(Array.from(back.data)).toEqual(Array.from(f32));
          const f64 = Float64Array.from(f32, (x) => x / 3);
          writeNpy(p, f64, [r, c]);
          expect(Array.from(readNpyF64(p).data)).toEqual(Array.from(f64));
          const i32 = Int32Array.from(f32, (x) => Math.round(x));
          writeNpy(p, i32);
          expect(Array.from(readNpyLabels(p))).toEqual(Array.from(i32));
          const i64 = BigInt64Array.from(i32, (x) => BigInt(x));
          writeNpy(p, i64);
          expect(Array.from(readNpyLabels(p))).toEqual(Array.from(i32));
          const half = Uint16Array.from({ length: n }, (_, i) => (seed * 31 + i * 977) & 0xffff);
          writeNpy(p, half, [r, c]);
          const hb = readNpyF32(p).data;
          for (let i = 0; i < n; i++) {
            const w = halfOracle(half[i]);
            if (Number.isNaN(w)) expect(Number.isNaN(hb[i])).toBe(true);
            else expect(hb[i]).toBe(w);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the header is 64-byte aligned and numpy-shaped', () => {
    const bytes = encodeNpy(new Float32Array(6), [2, 3]);
    const headerLen = bytes[8] | (bytes[9] << 8);
    expect((10 + headerLen) % 64).toBe(0);
    const text = new TextDecoder('latin1').decode(bytes.subarray(10, 10 + headerLen));
    expect(text.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(new TextDecoder('latin1').decode(encodeNpy(new Float64Array(3), [3]).subarray(10, 70))).toContain(
      "'shape': (3,)",
    );
  });

  it('streams any block of rows and columns equal to the slice of the whole array', () => {
    const rows = 13;
    const cols = 11;
    const data = Float32Array.from({ length: rows * cols }, (_, i) => i * 0.25 - 7);
    const p = join(dir, 'block.npy');
    writeNpy(p, data, [rows, cols]);
    const half = Uint16Array.from({ length: rows * cols }, (_, i) => 0x3c00 + i);
    const ph = join(dir, 'blockh.npy');
    writeNpy(ph, half, [rows, cols]);
    const r = new NpyReader(p);
    const rh = new NpyReader(ph);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: rows - 1 }),
        fc.integer({ min: 0, max: cols - 1 }),
        fc.integer({ min: 1, max: rows }),
        fc.integer({ min: 1, max: cols }),
        fc.integer({ min: 0, max: 3 }),
        (r0, c0, nr0, nc0, pad) => {
          const nr = Math.min(nr0, rows - r0);
          const nc = Math.min(nc0, cols - c0);
          const stride = nc + pad;
          const out = new Float32Array(nr * stride);
          r.readBlock(r0, nr, c0, nc, out, stride);
          const outH = new Float64Array(nr * stride);
          rh.readBlock(r0, nr, c0, nc, outH, stride);
          for (let i = 0; i < nr; i++) {
            for (let j = 0; j < nc; j++) {
              expect(out[i * stride + j]).toBe(data[(r0 + i) * cols + c0 + j]);
              expect(outH[i * stride + j]).toBe(halfOracle(half[(r0 + i) * cols + c0 + j]));
            }
          }
        },
      ),
    );
    r.close();
    rh.close();
    expect(readFileSync(p).length).toBe(128 + rows * cols * 4);
  });
});
