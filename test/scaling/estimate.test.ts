// The dry run's schedule arithmetic (src/scaling/estimate.ts): LPT is within Graham's bounds and exact where it
// must be, array slices are the --shard slices (disjoint, covering the plan), an array's wall time is its
// longest task's, and the report (text and --json of `quanta sweep --dry-run`) gives what a cluster user needs.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import {
  arraySchedule,
  arraySlices,
  dryRunEstimate,
  BUSY_CPU_SHARE,
  formatDryRun,
  formatDuration,
  lptSchedule,
  type TimedRun,
} from '../../src/scaling/estimate.js';
import { planSweep, shardRuns, type PlannedRun } from '../../src/scaling/plan.js';
import { taskResources } from '../../src/scaling/resources.js';
import type { SweepEstimate } from '../../src/scaling/calibrate.js';
import { useBundledCli } from '../cli-bundle.js';

const runsArb = fc
  .array(fc.double({ min: 0, max: 1e7, noNaN: true, noDefaultInfinity: true }), { maxLength: 60 })
  .map((xs) => xs.map((seconds, i): TimedRun => ({ id: `r${i}`, seconds })));

const EPS = 1e-9;

describe('lptSchedule', () => {
  it('Graham: max(longest, total/W) <= makespan <= total/W + longest; every run on one worker', () => {
    fc.assert(
      fc.property(runsArb, fc.integer({ min: 1, max: 70 }), (runs, workers) => {
        const s = lptSchedule(runs, workers);
        const total = runs.reduce((a, r) => a + r.seconds, 0);
        const longest = runs.reduce((a, r) => Math.max(a, r.seconds), 0);
        const tol = EPS * (total + 1);
        expect(s.totalSeconds).toBeCloseTo(total, 3);
        expect(s.lowerBoundSeconds).toBeCloseTo(Math.max(longest, total / workers), 3);
        expect(s.makespanSeconds).toBeGreaterThanOrEqual(Math.max(longest, total / workers) - tol);
        expect(s.makespanSeconds).toBeLessThanOrEqual(total / workers + longest + tol);
        expect(s.loads).toHaveLength(Math.min(workers, runs.length));
        // the loads are the sums of the runs assigned to them, and none is idle while runs wait
        const sums = new Array<number>(s.loads.length).fill(0);
        s.assignment.forEach((w, i) => (sums[w] += runs[i].seconds));
        sums.forEach((x, w) => expect(x).toBeCloseTo(s.loads[w], 3));
        expect(s.makespanSeconds).toBe(Math.max(0, ...s.loads));
        expect(s.boundByLongestRun).toBe(longest > total / workers);
      }),
    );
  });

  it('is optimal with no more runs than workers (the longest run) and on one worker (the total)', () => {
    fc.assert(
      fc.property(runsArb, (runs) => {
        const longest = runs.reduce((a, r) => Math.max(a, r.seconds), 0);
        const total = runs.reduce((a, r) => a + r.seconds, 0);
        expect(lptSchedule(runs, Math.max(1, runs.length)).makespanSeconds).toBe(longest);
        expect(lptSchedule(runs, 1).makespanSeconds).toBeCloseTo(total, 3);
      }),
    );
  });

  it('schedules longest first onto the worker free first (the textbook case: 7, not the optimal 6)', () => {
    const runs = [2, 3, 2, 3, 2].map((seconds, i) => ({ id: `r${i}`, seconds }));
    const s = lptSchedule(runs, 2);
    expect(s.makespanSeconds).toBe(7);
    expect(s.assignment).toEqual([0, 0, 1, 1, 0]);
    expect(s.longest).toEqual({ id: 'r1', seconds: 3 });
  });

  it('a long run bounds the sweep: more workers do not help', () => {
    const runs = [
      { id: 'big', seconds: 100 },
      ...Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, seconds: 1 })),
    ];
    for (const w of [2, 4, 64]) {
      const s = lptSchedule(runs, w);
      expect(s.makespanSeconds).toBe(100);
      expect(s.boundByLongestRun).toBe(true);
    }
    expect(lptSchedule(runs, 1).boundByLongestRun).toBe(false);
  });

  it('empty and invalid input', () => {
    const s = lptSchedule([], 4);
    expect(s.makespanSeconds).toBe(0);
    expect(s.longest).toBeNull();
    expect(s.boundByLongestRun).toBe(false);
    expect(() => lptSchedule([], 0)).toThrow(RangeError);
    expect(() => lptSchedule([{ id: 'x', seconds: NaN }], 1)).toThrow(RangeError);
    expect(() => lptSchedule([{ id: 'x', seconds: -1 }], 1)).toThrow(RangeError);
  });
});

const idsArb = fc
  .uniqueArray(fc.tuple(fc.constantFrom('N', 'D'), fc.integer({ min: 1, max: 1e6 })), {
    maxLength: 80,
    selector: ([k, x]) => `${k}${x}`,
  })
  .map((xs) => xs.map(([k, x]) => ({ id: `${k}-a0.4-${k === 'N' ? 'w' : 'D'}${x}-s0` })));

describe('arraySlices and arraySchedule', () => {
  it('slice i is --shard i/A: disjoint, covering the plan, nothing beyond the runs', () => {
    fc.assert(
      fc.property(idsArb, fc.integer({ min: 1, max: 100 }), (runs, count) => {
        const slices = arraySlices(runs, count);
        expect(slices).toHaveLength(Math.min(count, runs.length));
        slices.forEach((slice, index) =>
          expect(slice.map((r) => r.id)).toEqual(
            shardRuns(runs as PlannedRun[], { index, count }).map((r) => r.id),
          ),
        );
        for (let index = slices.length; index < Math.min(count, slices.length + 3); index++)
          expect(shardRuns(runs as PlannedRun[], { index, count })).toEqual([]);
        const ids = slices.flat().map((r) => r.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual(runs.map((r) => r.id).sort());
      }),
    );
  });

  it("the array's wall time is its longest task's LPT makespan, within the bounds", () => {
    fc.assert(
      fc.property(
        idsArb,
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 80, maxLength: 80 }),
        fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 8 }),
        (runs, times, todo, count, workers) => {
          const seconds = new Map(runs.filter((_, i) => todo[i]).map((r, i) => [r.id, times[i]]));
          const a = arraySchedule(runs, seconds, count, workers);
          const scheduled = a.tasks.flatMap((t) => t.runs.map((r) => r.id));
          expect(scheduled.sort()).toEqual([...seconds.keys()].sort());
          const makespans = a.tasks.map((t) => t.schedule.makespanSeconds);
          expect(a.wallSeconds).toBe(Math.max(0, ...makespans));
          if (a.tasks.length > 0) expect(a.tasks[a.longestTask].schedule.makespanSeconds).toBe(a.wallSeconds);
          for (const t of a.tasks)
            expect(t.schedule.makespanSeconds).toBe(lptSchedule(t.runs, workers).makespanSeconds);
          const total = [...seconds.values()].reduce((x, y) => x + y, 0);
          const longest = Math.max(0, ...seconds.values());
          const tol = EPS * (total + 1);
          // an array is one schedule on count x workers workers, and never better than the plan's bound
          expect(a.wallSeconds).toBeGreaterThanOrEqual(Math.max(longest, total / (count * workers)) - tol);
          expect(a.allocatedCoreSeconds).toBeGreaterThanOrEqual(total - tol);
          expect(a.emptyTasks).toBe(count - a.tasks.filter((t) => t.runs.length > 0).length);
        },
      ),
    );
  });
});

describe('dryRunEstimate', () => {
  const plan = planSweep('all', 'quick');
  // made-up calibrated seconds: proportional to width, D runs 3x
  const perRun = plan.runs.map((r) => ({
    id: r.id,
    seconds: (r.config.data === null ? 1 : 3) * r.config.width,
  }));

  it('one machine: LPT wall time, bounds and the resources of ./resources.ts', () => {
    const d = dryRunEstimate(plan.runs, perRun, { cores: 2 });
    const total = perRun.reduce((a, r) => a + r.seconds, 0);
    expect(d.coreSeconds).toBeCloseTo(total, 6);
    expect(d.machine.wallSeconds).toBe(lptSchedule(perRun, 2).makespanSeconds);
    expect(d.machine.idealSeconds).toBeCloseTo(total / 2, 6);
    expect(d.machine.memoryBytes).toBe(
      taskResources(
        plan.runs.map((r) => r.config),
        2,
      ).memoryBytes,
    );
    expect(d.array).toBeUndefined();
    expect(d.perRun).toHaveLength(plan.runs.length);
    for (const r of d.perRun) {
      expect(r.wasmBytes).toBeGreaterThan(0);
      expect(r.checkpointBytes).toBeGreaterThan(0);
      expect(r.task).toBeUndefined();
    }
    const many = dryRunEstimate(plan.runs, perRun, { cores: 1000 });
    expect(many.machine.boundByLongestRun).toBe(true);
    expect(many.machine.wallSeconds).toBe(Math.max(...perRun.map((r) => r.seconds)));
    expect(many.machine.busyCores).toBe(plan.runs.length);
  });

  it('an array: the shards of the whole plan, each task its runs to do on W workers', () => {
    // with --out some runs are done: the tasks stay the plan's shards and skip them
    const todo = perRun.filter((_, i) => i % 3 !== 0);
    const d = dryRunEstimate(plan.runs, todo, { cores: 2, array: { tasks: 4, workers: 2 } });
    const a = d.array!;
    expect(a.tasks).toBe(4);
    expect(a.perTask.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    const todoIds = new Set(todo.map((r) => r.id));
    for (const t of a.perTask) {
      const mine = shardRuns(plan.runs, { index: t.index, count: 4 }).filter((r) => todoIds.has(r.id));
      expect(t.runs).toBe(mine.length);
      const res = taskResources(
        mine.map((r) => r.config),
        2,
      );
      expect(t.memoryBytes).toBe(res.memoryBytes);
      expect(t.checkpointBytes).toBe(res.checkpointBytes);
      const timed = todo.filter((r) => mine.some((m) => m.id === r.id));
      expect(t.wallSeconds).toBe(lptSchedule(timed, 2).makespanSeconds);
      for (const r of d.perRun.filter((x) => mine.some((m) => m.id === x.id))) expect(r.task).toBe(t.index);
    }
    expect(a.wallSeconds).toBe(Math.max(...a.perTask.map((t) => t.wallSeconds)));
    expect(a.memoryBytesPerTask).toBe(Math.max(...a.perTask.map((t) => t.memoryBytes)));
    // what --emit asks every task for: the plan's 2 largest runs at once (src/scaling/emit.ts taskMemoryMiB)
    expect(a.requestMemoryBytesPerTask).toBe(
      taskResources(
        plan.runs.map((r) => r.config),
        2,
      ).memoryBytes,
    );
    expect(a.requestMemoryBytesPerTask).toBeGreaterThanOrEqual(a.memoryBytesPerTask);
    expect(a.checkpointBytesInFlight).toBe(a.perTask.reduce((x, t) => x + t.checkpointBytes, 0));
    expect(a.busyFraction).toBeGreaterThan(0);
    expect(a.busyFraction).toBeLessThanOrEqual(1 + 1e-12);
    // more tasks than runs: one run per task, the longest run is the wall time
    const wide = dryRunEstimate(plan.runs, perRun, { cores: 2, array: { tasks: 64, workers: 1 } }).array!;
    expect(wide.emptyTasks).toBe(64 - plan.runs.length);
    expect(wide.boundByLongestRun).toBe(true);
    expect(wide.wallSeconds).toBe(Math.max(...perRun.map((r) => r.seconds)));
  });

  it('refuses a run that is not in the plan', () => {
    expect(() => dryRunEstimate(plan.runs, [{ id: 'nope', seconds: 1 }], { cores: 1 })).toThrow(RangeError);
  });

  it('the text report: totals, the bound, per-run lines up to 40 runs, else the 10 longest', () => {
    const estimate: SweepEstimate = {
      runs: perRun.length,
      coreSeconds: perRun.reduce((a, r) => a + r.seconds, 0),
      coreHours: perRun.reduce((a, r) => a + r.seconds, 0) / 3600,
      perRun,
      shapes: [],
      calibrationSecondsPerShape: 0.3,
      calibrationWallSeconds: 1.5,
    };
    const head = { kind: 'all', preset: 'quick', planned: plan.runs.length, toRun: plan.runs.length };
    const d = dryRunEstimate(plan.runs, perRun, { cores: 64, array: { tasks: 64, workers: 1 } });
    const text = formatDryRun(head, estimate, d);
    expect(text).toMatch(/one machine, 64 cores: /);
    expect(text).toMatch(/bounded below by its longest run, D-a0\.4-D\d+-s0/);
    expect(text).toMatch(/array of 64 tasks x 1 worker: /);
    expect(text).toContain(`${64 - plan.runs.length} tasks with nothing to do`);
    expect(text).toMatch(/memory [\d.]+ MiB/);
    expect(text.split('\n').filter((l) => /^ {4}[ND]-a0\.4-/.test(l))).toHaveLength(plan.runs.length);

    const big = planSweep('alpha', 'paper');
    const bigRuns = big.runs.map((r, i) => ({ id: r.id, seconds: 1000 + i }));
    const bigEstimate = { ...estimate, perRun: bigRuns };
    const bigDry = dryRunEstimate(big.runs, bigRuns, { cores: 2 });
    const short = formatDryRun(
      { ...head, planned: big.runs.length, toRun: big.runs.length },
      bigEstimate,
      bigDry,
    );
    const listed = short.split('\n').filter((l) => /^ {4}[ND]-a/.test(l));
    expect(listed).toHaveLength(10);
    expect(listed[0]).toContain(bigRuns[bigRuns.length - 1].id);
    expect(short).toMatch(/the 10 longest of 855 runs/);
    const full = formatDryRun({ ...head }, bigEstimate, bigDry, { perRun: true });
    expect(full.split('\n').filter((l) => /^ {4}[ND]-a/.test(l))).toHaveLength(855);
  });

  it('warns when the calibration got less than BUSY_CPU_SHARE of a core, and only then', () => {
    const estimate: SweepEstimate = {
      runs: 1,
      coreSeconds: 3600,
      coreHours: 1,
      perRun: [{ id: plan.runs[0].id, seconds: 3600 }],
      shapes: [],
      calibrationSecondsPerShape: 0.3,
      calibrationWallSeconds: 1.5,
    };
    const head = { kind: 'all', preset: 'quick', planned: plan.runs.length, toRun: 1 };
    const d = dryRunEstimate(plan.runs, estimate.perRun, { cores: 2 });
    const busy = formatDryRun(head, { ...estimate, calibrationCpuShare: 0.4 }, d);
    expect(busy).toContain('warning: the calibration got 40% of a core');
    expect(busy).toContain('about 2.5x what an idle machine takes');
    for (const share of [undefined, BUSY_CPU_SHARE, 0.95, 1.12]) {
      expect(formatDryRun(head, { ...estimate, calibrationCpuShare: share }, d)).not.toContain('warning');
    }
  });

  it('formats durations for people', () => {
    expect(formatDuration(12.34)).toBe('12.3 s');
    expect(formatDuration(600)).toBe('10.0 min');
    expect(formatDuration(3 * 3600)).toBe('3.0 h');
    expect(formatDuration(100 * 3600)).toBe('100 h = 4.2 days');
    expect(formatDuration(NaN)).toBe('?');
  });
});

describe('quanta sweep --dry-run', () => {
  const bundled = useBundledCli();

  const quanta = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bundled.cli, ...args], { encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const small = ['sweep', 'N', '--widths', '8,16,32', '--steps', '40', '--calibration-seconds', '0.01'];

  it('--json: the old fields and the machine, array and per-run numbers', () => {
    const r = quanta(...small, '--dry-run', '--json', '--quiet', '--cores', '2', '--array', '2');
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.planned).toBe(3);
    expect(o.toRun).toBe(3);
    expect(o.coreHours).toBeGreaterThan(0);
    expect(o.workers).toBe(2);
    expect(o.wallSecondsAtWorkers).toBeCloseTo(o.coreSeconds / 2, 9);
    expect(o.calibrationSecondsPerShape).toBe(0.01);
    expect(o.calibrationCpuShare).toBeGreaterThan(0);
    expect(o.machine.cores).toBe(2);
    expect(o.machine.wallSeconds).toBeGreaterThanOrEqual(o.machine.lowerBoundSeconds);
    expect(o.machine.memoryBytes).toBeGreaterThan(0);
    expect(o.array.tasks).toBe(2);
    expect(o.array.workersPerTask).toBe(1);
    expect(o.array.perTask.map((t: { runs: number }) => t.runs)).toEqual([2, 1]);
    expect(o.perRun.map((x: { task: number }) => x.task).sort()).toEqual([0, 0, 1]);
    const timed = (o.perRun as TimedRun[]).filter((x) => x.id !== 'N-a0.4-w16-s0');
    expect(o.array.perTask[0].wallSeconds).toBeCloseTo(
      timed.reduce((a, x) => a + x.seconds, 0),
      9,
    );
  });

  it('text: the blocks, per-run lines, and --array with --shard refused', () => {
    const r = quanta(...small, '--dry-run', '--quiet', '--workers', '3', '--array', '4');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/one machine, \d+ cores?: /);
    expect(r.stdout).toMatch(/array of 4 tasks x 3 workers: .*\n.*per task: memory/);
    expect(r.stdout).toMatch(/1 task with nothing to do/);
    expect(r.stdout.split('\n').filter((l) => /^ {4}N-a0\.4-w\d+-s0 /.test(l))).toHaveLength(3);
    const shard = quanta(...small, '--dry-run', '--quiet', '--shard', '1/2', '--workers', '3');
    expect(shard.code).toBe(0);
    expect(shard.stdout).toMatch(/1 in shard 1\/2, 1 to run\n/);
    expect(shard.stdout).toMatch(/one machine, 3 cores: /);
    const both = quanta(...small, '--dry-run', '--array', '2', '--shard', '0/2');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give one of them/);
  });
});
