// Handing Wasm memory back. A Core's allocator is a stack (./arena.ts), so an object that allocates (an Mlp,
// its AdamW state, a batch, a Trainer) records the stack span it took, and its dispose() releases that span if
// nothing newer sits above it: objects are disposed newest first (a Trainer disposes its parts in that order).
// `[Symbol.dispose]` makes them work with `using`; where a runtime lacks Symbol.dispose (older browsers), the
// method sits under Symbol.for('nodejs.dispose'), the key Node 20 uses for its own Symbol.dispose.
import type { Core } from './arena.js';

/** Symbol.dispose, or Node 20's key for it where the runtime has none. */
export const DISPOSE: typeof Symbol.dispose =
  (Symbol as { dispose?: typeof Symbol.dispose }).dispose ??
  (Symbol.for('nodejs.dispose') as typeof Symbol.dispose);

/** The stack span [start, end) of one object's allocations on its core. */
export class Allocation {
  private end: number;

  /** The span from `start` (a mark taken before the object allocated) to the core's current top. */
  constructor(
    readonly core: Core,
    private readonly start: number,
  ) {
    this.end = core.mark();
  }

  /** False once released. */
  get live(): boolean {
    return this.end >= 0;
  }

  /**
   * Releases the span (a second call does nothing). Throws if newer allocations sit above it: `owner` names the
   * object in the message.
   */
  release(owner: string): void {
    if (this.end < 0) return;
    if (this.core.mark() !== this.end)
      throw new Error(
        `quanta: ${owner}.dispose(): newer allocations sit above it on its core; dispose those first (newest first)`,
      );
    this.core.release(this.start);
    this.end = -1;
  }
}

/** A mark on a core that releases everything allocated after it: `using scope = new CoreScope(core)`. */
export class CoreScope {
  private readonly mark: number;
  private done = false;

  constructor(readonly core: Core) {
    this.mark = core.mark();
  }

  /** Frees everything allocated on the core since this scope was made (a second call does nothing). */
  dispose(): void {
    if (this.done) return;
    this.done = true;
    if (this.core.mark() >= this.mark) this.core.release(this.mark);
  }

  [DISPOSE](): void {
    this.dispose();
  }
}
