// The sweep plan: the paper preset's grids equal SPEC.md's lists, run ids are functions of the configs, and
// shard slices are disjoint and cover the plan.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  naturalCompare,
  parseShard,
  planSweep,
  runId,
  shardRuns,
  longestFirst,
  type PlannedRun,
} from '../../src/scaling/plan.js';
import { logSpacedInts } from '../../src/scaling/presets.js';
import { ConfigError } from '../../src/core/errors.js';

// SPEC.md 2 and 3.4, copied from the reference's logged grids
const P15_WIDTHS = [
  9, 11, 13, 14, 17, 19, 22, 25, 29, 33, 38, 44, 50, 57, 66, 75, 86, 99, 113, 129, 148, 169, 194, 222, 254,
  291, 333, 381, 436, 500,
];
const P17_WIDTHS = [9, 11, 14, 17, 20, 24, 29, 35, 41, 50, 59, 71, 85, 102, 122, 146, 175, 209, 250, 300];
const D6_SIZES = [
  9999, 12389, 15350, 19019, 23565, 29197, 36174, 44820, 55532, 68803, 85247, 105620, 130862, 162137, 200886,
  248896, 308380, 382080, 473394, 586530, 726705, 900381, 1115563, 1382173, 1712499, 2121769, 2628852,
  3257122, 4035543, 4999999,
];

describe('paper preset', () => {
  it('grids match the reference exactly', () => {
    expect(logSpacedInts(10, 500, 30)).toEqual(P15_WIDTHS);
    expect(logSpacedInts(10, 300, 20)).toEqual(P17_WIDTHS);
    expect(logSpacedInts(1e4, 5e6, 30)).toEqual(D6_SIZES);
    const d9 = logSpacedInts(1e4, 5e6, 25);
    expect(d9).toHaveLength(25);
    expect(d9[0]).toBe(9999);
    expect(d9[24]).toBe(4999999);
    expect(d9).toContain(2978899); // the weight-decay-0 experiment's D, from this grid
  });

  it('Figure 2: N, S and D runs with the paper settings', () => {
    const plan = planSweep('all', 'paper');
    expect(plan.widths).toEqual(P15_WIDTHS);
    expect(plan.dataSizes).toEqual(D6_SIZES);
    const n = plan.runs.filter((r) => r.config.data === null);
    const d = plan.runs.filter((r) => r.config.data !== null);
    expect(n).toHaveLength(30);
    expect(d).toHaveLength(30);
    for (const r of n) {
      expect(r.config).toMatchObject({
        nTasks: 500,
        n: 100,
        k: 3,
        alpha: 0.4,
        batch: 20000,
        steps: 200000,
        logEvery: 100,
        testPoints: 1e6,
        testPointsPerTask: 1000,
        lr: 1e-3,
        depth: 2,
        seed: 0,
      });
    }
    for (const r of d)
      expect(r.config).toMatchObject({ width: 500, steps: 1e6, logEvery: 100, batch: 20000 });
    expect(n.map((r) => r.id)).toContain('N-a0.4-w500-s0');
    expect(d.map((r) => r.id)).toContain('D-a0.4-D4999999-s0');
    // S alone: the widest single-epoch run, the same id (and config) as in the N sweep
    const s = planSweep('S', 'paper');
    expect(s.runs).toEqual([n.find((r) => r.config.width === 500)]);
  });

  it('Figure 10: 480 single-epoch runs and 375 multi-epoch runs', () => {
    const plan = planSweep('alpha', 'paper');
    const n = plan.runs.filter((r) => r.config.data === null);
    const d = plan.runs.filter((r) => r.config.data !== null);
    expect(n).toHaveLength(480);
    expect(d).toHaveLength(375);
    expect(plan.widths).toEqual(P17_WIDTHS);
    expect(plan.alphas).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
    expect(plan.seeds).toEqual([0, 1, 2]);
    expect(plan.dataAlphas).toHaveLength(15);
    expect(plan.dataSeeds).toEqual([0]);
    expect(n[0].config).toMatchObject({ steps: 1e5, logEvery: 500, batch: 20000 });
    expect(d[0].config).toMatchObject({ steps: 1e5, logEvery: 500, width: 500 });
    expect(new Set(plan.runs.map((r) => r.id)).size).toBe(plan.runs.length);
  });
});

describe('plan', () => {
  it('ids are readable functions of the config', () => {
    const plan = planSweep('all', 'quick', { widths: [16, 8], dataSizes: [1000], alphas: [0.4], seeds: [1] });
    expect(plan.runs.map((r) => r.id)).toEqual(['N-a0.4-w8-s1', 'N-a0.4-w16-s1', 'D-a0.4-D1000-s1']);
    for (const r of plan.runs) expect(runId(r.config)).toBe(r.id);
  });

  it('rejects bad input with a ConfigError', () => {
    expect(() => planSweep('X', 'quick')).toThrow(ConfigError);
    expect(() => planSweep('N', 'huge')).toThrow(ConfigError);
    expect(() => planSweep('N', 'quick', { widths: [] })).toThrow(/must not be empty/);
    expect(() => planSweep('N', 'quick', { alphas: [0] })).toThrow(ConfigError);
    expect(() => planSweep('N', 'quick', { alphas: [-1] })).toThrow(ConfigError);
    expect(() => planSweep('N', 'quick', { widths: [1.5] })).toThrow(ConfigError);
    expect(() => planSweep('D', 'quick', { dataSizes: [0] })).toThrow(ConfigError);
    expect(() => planSweep('N', 'quick', { steps: 0 })).toThrow(ConfigError);
  });

  it('parses shards i/n with 0 <= i < n', () => {
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    for (const bad of ['3/2', '2/2', '1', '-1/2', 'a/b', '0/0', '1/2/3']) {
      expect(() => parseShard(bad)).toThrow(ConfigError);
    }
  });

  it('natural order puts w9 before w11', () => {
    const ids = ['N-a0.4-w11-s0', 'N-a0.4-w9-s0', 'D-a0.4-D12389-s0', 'D-a0.4-D9999-s0'];
    expect([...ids].sort(naturalCompare)).toEqual([
      'D-a0.4-D9999-s0',
      'D-a0.4-D12389-s0',
      'N-a0.4-w9-s0',
      'N-a0.4-w11-s0',
    ]);
  });
});

describe('shards', () => {
  const runsOf = (ids: string[]): PlannedRun[] =>
    ids.map((id) => ({ id, config: planSweep('N', 'quick').runs[0].config }));

  it('are disjoint and cover the plan, whatever the run order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9.-]{1,12}$/), { maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer(),
        (ids, count, salt) => {
          const runs = runsOf(ids);
          const shuffled = [...runs].sort((a, b) => ((a.id.length * salt) % 7) - ((b.id.length * salt) % 7));
          const seen = new Map<string, number>();
          for (let i = 0; i < count; i++) {
            const a = shardRuns(runs, { index: i, count }).map((r) => r.id);
            const b = shardRuns(shuffled, { index: i, count }).map((r) => r.id);
            expect(b).toEqual(a); // stable: a function of the set of ids only
            expect(Math.abs(a.length - runs.length / count)).toBeLessThanOrEqual(1);
            for (const id of a) seen.set(id, (seen.get(id) ?? 0) + 1);
          }
          expect([...seen.keys()].sort()).toEqual([...ids].sort());
          expect([...seen.values()].every((v) => v === 1)).toBe(true);
        },
      ),
    );
  });

  it('of the paper sweep each get a similar share of the work', () => {
    const plan = planSweep('alpha', 'paper');
    const slices = [0, 1, 2, 3].map((index) => shardRuns(plan.runs, { index, count: 4 }));
    expect(slices.flat()).toHaveLength(plan.runs.length);
    const sizes = slices.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('longest first puts the widest and largest runs first', () => {
    const plan = planSweep('N', 'quick', { widths: [8, 64, 16, 32] });
    expect(longestFirst(plan.runs).map((r) => r.config.width)).toEqual([64, 32, 16, 8]);
  });
});
