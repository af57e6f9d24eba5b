// The Core: one Wasm instance and a bump allocator over its linear memory. TypeScript plans every buffer
// of a job up front (model, optimiser state, batch and evaluation buffers), hands the pointers to kernels and
// reads results through typed views. Views are made fresh on each call because growing the memory detaches
// the old ArrayBuffer.
import { instantiateCore, MAX_MEMORY_BYTES, PAGE_BYTES, type SimdMode, type WasmCore } from './wasm.js';
import type { KernelExports } from './api.js';

/** Thrown when a plan does not fit in Wasm's 4 GiB address space. */
export class MemoryLimitError extends Error {}

export class Core {
  readonly kernels: KernelExports;
  readonly memory: WebAssembly.Memory;
  /** The kernels' SIMD mode (./wasm.ts): 'relaxed' fuses the Lanczos products' multiply-adds. */
  readonly simd: SimdMode;
  private top: number;
  /**
   * No allocation has reached this address yet: memory from here up is as Wasm made it, zero (what grow()
   * adds is zero too), so alloc() fills only below it. Pages that a plan reserves but never writes (a Lanczos
   * basis planned for more steps than the run takes) are then never touched, and cost no resident memory.
   */
  private pristine: number;

  constructor(wasm: WasmCore = instantiateCore()) {
    this.kernels = wasm.kernels;
    this.memory = wasm.memory;
    this.simd = wasm.simd;
    this.top = alignUp(wasm.heapBase, 64);
    this.pristine = this.top;
  }

  /** Bytes in use by the allocator (static data included). */
  get used(): number {
    return this.top;
  }

  /** Bytes still free below the 4 GiB ceiling. */
  get available(): number {
    return MAX_MEMORY_BYTES - this.top;
  }

  /** Allocates `bytes` (zeroed, aligned to `align`, default 64 = a cache line) and returns the pointer. */
  alloc(bytes: number, align = 64): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`quanta: bad allocation size ${bytes}`);
    const ptr = alignUp(this.top, align);
    const end = ptr + bytes;
    if (end > MAX_MEMORY_BYTES) {
      throw new MemoryLimitError(
        `quanta: needs ${formatBytes(end)} of Wasm memory, above the 4 GiB that wasm32 can address`,
      );
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE_BYTES));
    if (ptr < this.pristine)
      new Uint8Array(this.memory.buffer, ptr, Math.min(end, this.pristine) - ptr).fill(0);
    this.pristine = Math.max(this.pristine, end);
    this.top = end;
    return ptr;
  }

  allocF32(count: number): number {
    return this.alloc(count * 4);
  }
  allocF64(count: number): number {
    return this.alloc(count * 8);
  }
  allocI32(count: number): number {
    return this.alloc(count * 4);
  }

  /** The allocator position, to hand back to release(). */
  mark(): number {
    return this.top;
  }

  /** Frees everything allocated since `mark` (a stack discipline: the caller owns the newest allocations). */
  release(mark: number): void {
    if (mark > this.top) throw new RangeError('quanta: release() of a mark above the top');
    this.top = mark;
  }

  f32(ptr: number, count: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, count);
  }
  f64(ptr: number, count: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, count);
  }
  i32(ptr: number, count: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, count);
  }
  u32(ptr: number, count: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, count);
  }
  u8(ptr: number, count: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, count);
  }
}

export function alignUp(x: number, align: number): number {
  return Math.ceil(x / align) * align;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

let threadCore: Core | undefined;

/** The core of this thread (one instance per thread, made on first use). */
export function getCore(): Core {
  if (!threadCore) threadCore = new Core();
  return threadCore;
}
