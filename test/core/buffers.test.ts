import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core, getCore } from '../../src/core/arena.js';
import { allocatePlan, planBytes, type BufferSpec } from '../../src/core/buffers.js';

describe('buffer plans', () => {
  it('planBytes bounds what allocatePlan takes, from any starting offset', async () => {
    const core = getCore();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ bytes: fc.nat(5000), align: fc.constantFrom(4, 16, 64) }), { maxLength: 12 }),
        fc.nat(63),
        async (sizes, offset) => {
          const mark = core.mark();
          try {
            core.alloc(offset, 1);
            const plan: BufferSpec[] = sizes.map((s, i) => ({ name: `b${i}`, ...s }));
            const before = core.mark();
            const ptrs = allocatePlan(core, plan);
            expect(core.mark() - before).toBeLessThanOrEqual(planBytes(plan));
            plan.forEach((b) => expect((ptrs as Record<string, number>)[b.name] % (b.align ?? 64)).toBe(0));
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses a plan that names a buffer twice', async () => {
    const core = getCore();
    const mark = core.mark();
    try {
      expect(() =>
        allocatePlan(core, [
          { name: 'a', bytes: 4 },
          { name: 'a', bytes: 4 },
        ]),
      ).toThrow(/twice/);
    } finally {
      core.release(mark);
    }
  });
});

describe('Core.alloc', () => {
  it('hands out zeroed memory after any sequence of allocations, writes and releases', () => {
    const core = new Core();
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ alloc: fc.integer({ min: 0, max: 200_000 }), align: fc.constantFrom(1, 8, 64) }),
            fc.record({ release: fc.nat() }),
          ),
          { maxLength: 30 },
        ),
        (ops) => {
          const marks = [core.mark()];
          for (const op of ops) {
            if ('alloc' in op) {
              marks.push(core.mark());
              const p = core.alloc(op.alloc, op.align);
              const bytes = core.u8(p, op.alloc);
              expect(bytes.every((b) => b === 0)).toBe(true);
              bytes.fill(0xa5); // dirty it for a later allocation over the same addresses
            } else if (marks.length > 1) {
              core.release(marks.splice(1 + (op.release % (marks.length - 1)))[0]);
            }
          }
          core.release(marks[0]);
        },
      ),
      { numRuns: 60 },
    );
  });
});
