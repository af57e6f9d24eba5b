// Buffer plans as data (llm.c style): a component lists its named buffers once; `planBytes` sums the list
// (to validate memory before anything is allocated) and `allocatePlan` allocates from the same list, so the
// count and the allocation cannot drift apart.
import type { Core } from './arena.js';

/** The default alignment of a buffer: one cache line. */
export const BUFFER_ALIGN = 64;

/** One buffer of a plan: its name and its size in bytes (alignment padding is added by the plan). */
export interface BufferSpec<N extends string = string> {
  readonly name: N;
  readonly bytes: number;
  /** Alignment in bytes (a power of two, default 64). */
  readonly align?: number;
}

/** A component's buffers in allocation order. */
export type BufferPlan<N extends string = string> = readonly BufferSpec<N>[];

/** Pointers of an allocated plan, by buffer name. */
export type Allocated<N extends string> = Readonly<Record<N, number>>;

/**
 * Bytes the plan takes from the bump allocator in the worst case: each buffer rounded up to its alignment,
 * plus one alignment of padding before it (the allocator's top may sit anywhere when the plan starts).
 */
export function planBytes(plan: BufferPlan): number {
  let total = 0;
  for (const b of plan) {
    const align = b.align ?? BUFFER_ALIGN;
    total += Math.ceil(b.bytes / align) * align + align;
  }
  return total;
}

/** Allocates every buffer of the plan in order (zeroed) and returns the pointers by name. */
export function allocatePlan<N extends string>(core: Core, plan: BufferPlan<N>): Allocated<N> {
  const out = {} as Record<N, number>;
  for (const b of plan) {
    if (Object.prototype.hasOwnProperty.call(out, b.name)) {
      throw new RangeError(`quanta: buffer plan names "${b.name}" twice`);
    }
    out[b.name] = core.alloc(b.bytes, b.align ?? BUFFER_ALIGN);
  }
  return out;
}
