// config.stopAfterMinimum (`--stop-after-minimum FACTOR,STEPS`): a multi-epoch run stops at the first log step
// t >= factor * t_min + steps, t_min the step of its lowest logged mean test loss so far. The stopped run is the
// full run's prefix to the bit, its record says where it stopped, a resumed run stops where the uninterrupted one
// does, and without the rule nothing changes (no key in the config, no field in the record).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { parseRunConfig, type RunConfig, type StopAfterMinimum } from '../../src/train/config.js';
import { RunInterrupted, Trainer } from '../../src/train/trainer.js';
import type { RunRecord } from '../../src/train/record.js';
import { planSweep } from '../../src/scaling/plan.js';
import { runSweep } from '../../src/scaling/sweep.js';
import { loadSweepFolder } from '../../src/scaling/analysis.js';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { TINY as TINY_SWEEP } from '../scaling/tiny-sweep.js';
import { runCoreHours } from '../../src/scaling/convergence.js';
import { useBundledCli } from '../cli-bundle.js';
import { tempDirs } from '../temp-dirs.js';

const freshDir = tempDirs('stop-min');
const bundled = useBundledCli();

// a small fixed set that a wide net overfits within a few hundred steps: the test loss has an interior minimum
const TINY: RunConfig = {
  nTasks: 3,
  n: 6,
  k: 3,
  alpha: 0.4,
  width: 32,
  depth: 2,
  activation: 'relu',
  batch: 64,
  steps: 600,
  lr: 2e-2,
  weightDecay: 0,
  seed: 5,
  logEvery: 10,
  testPoints: 800,
  testPointsPerTask: 30,
  data: 300,
};

function train(config: RunConfig): RunRecord {
  return new Trainer(parseRunConfig(config)).run();
}

/** Where the rule stops a run whose full log is `full`: the first log step it fires at, or null. */
function expectedStop(full: RunRecord, rule: StopAfterMinimum): { step: number; minimumStep: number } | null {
  const { steps, meanLoss } = full.log;
  let best = 0;
  for (let i = 0; i < steps.length; i++) {
    if (meanLoss[i] < meanLoss[best]) best = i;
    if (steps[i] >= rule.factor * steps[best] + rule.extra)
      return { step: steps[i], minimumStep: steps[best] };
  }
  return null;
}

describe('stopAfterMinimum', () => {
  const full = train(TINY);

  it('the full run has an interior minimum (else this file tests nothing)', () => {
    const { meanLoss } = full.log;
    const best = meanLoss.indexOf(Math.min(...meanLoss));
    expect(best).toBeGreaterThan(0);
    expect(best).toBeLessThan(meanLoss.length / 2);
    expect(full.stoppedEarly).toBeUndefined();
    expect(JSON.stringify(full.config)).not.toContain('stopAfterMinimum');
  });

  it("stops where the rule first fires, with the full run's log to the bit up to there (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 1.5, 2, 3),
        fc.integer({ min: 1, max: 30 }).map((x) => 10 * x),
        (factor, extra) => {
          const rule = { factor, extra };
          const want = expectedStop(full, rule);
          const r = train({ ...TINY, stopAfterMinimum: rule });
          expect(r.stoppedEarly).toEqual(want ?? undefined);
          const n = r.log.steps.length;
          expect(r.log.steps.at(-1)).toBe(want ? want.step : full.log.steps.at(-1));
          expect(r.log).toEqual({
            steps: full.log.steps.slice(0, n),
            meanLoss: full.log.meanLoss.slice(0, n),
            accuracy: full.log.accuracy.slice(0, n),
            subtaskLoss: full.log.subtaskLoss.slice(0, n),
            subtaskAccuracy: full.log.subtaskAccuracy.slice(0, n),
          });
          // the step it names as the minimum is its own log's lowest (the first on ties)
          if (want) {
            const i = r.log.meanLoss.indexOf(Math.min(...r.log.meanLoss));
            expect(r.stoppedEarly!.minimumStep).toBe(r.log.steps[i]);
          }
          expect(r.config.stopAfterMinimum).toEqual(rule);
        },
      ),
      { numRuns: 8, seed: 3 },
    );
  });

  it('a run interrupted before its stop and resumed from its state stops at the same step with the same log', () => {
    const rule = { factor: 2, extra: 40 };
    const config = { ...TINY, stopAfterMinimum: rule };
    const want = train(config);
    expect(want.stoppedEarly).toBeDefined();
    for (const stopAt of [7, want.stoppedEarly!.step - 3]) {
      const first = new Trainer(parseRunConfig(config));
      let state: ReturnType<Trainer['getState']> | undefined;
      expect(() =>
        first.run({}, { onCheckpoint: (s) => (state = s), shouldStop: () => first.stepsDone >= stopAt }),
      ).toThrow(RunInterrupted);
      const second = new Trainer(parseRunConfig(config));
      second.setState(state!);
      const r = second.run();
      expect(r.stoppedEarly).toEqual(want.stoppedEarly);
      expect(r.log).toEqual(want.log);
    }
  });

  it('resumes from a checkpoint file, whose config is read back from JSON, and refuses another rule', () => {
    const dir = freshDir();
    const path = join(dir, 'run.ckpt');
    const config = { ...TINY, stopAfterMinimum: { factor: 2, extra: 40 } };
    const want = train(config);
    const first = new Trainer(parseRunConfig(config));
    expect(() =>
      first.run(
        {},
        { onCheckpoint: (st) => writeCheckpoint(path, config, st), shouldStop: () => first.stepsDone >= 15 },
      ),
    ).toThrow(RunInterrupted);
    const asked = JSON.parse(JSON.stringify(config)) as RunConfig;
    const second = new Trainer(parseRunConfig(asked));
    second.setState(readCheckpoint(path, asked).state);
    const r = second.run();
    expect(r.stoppedEarly).toEqual(want.stoppedEarly);
    expect(r.log).toEqual(want.log);
    expect(() => readCheckpoint(path, { ...config, stopAfterMinimum: { factor: 3, extra: 40 } })).toThrow(
      /stopAfterMinimum \{"factor":2,"extra":40\} there, \{"factor":3,"extra":40\} asked/,
    );
  });

  it('a sweep with the rule finds its own stopped records done, and fits them', async () => {
    const dir = freshDir();
    const plan = planSweep('D', 'quick', { ...TINY_SWEEP, stopAfterMinimum: { factor: 1, extra: 50 } });
    const first = await runSweep(plan, dir, { workers: 1 });
    expect(first.trained).toHaveLength(plan.runs.length);
    const records = plan.runs.map(
      (p) => JSON.parse(readFileSync(join(dir, 'runs', `${p.id}.json`), 'utf8')) as RunRecord,
    );
    expect(records.some((x) => x.stoppedEarly !== undefined)).toBe(true);
    const again = await runSweep(plan, dir, { workers: 1 });
    expect(again.trained).toEqual([]);
    expect(again.skipped).toHaveLength(plan.runs.length);
    expect(loadSweepFolder(dir).records).toHaveLength(plan.runs.length);
  });

  it('refuses a rule out of range, or on a run of fresh samples, with one clear error', () => {
    for (const bad of [
      { factor: 0.5, extra: 10 },
      { factor: Number.NaN, extra: 10 },
      { factor: 2, extra: 0 },
      { factor: 2, extra: -1 },
      { factor: 2, extra: 2.5 },
    ]) {
      expect(() => parseRunConfig({ ...TINY, stopAfterMinimum: bad })).toThrow(ConfigError);
    }
    expect(() => parseRunConfig({ ...TINY, stopAfterMinimum: { factor: 0.5, extra: 10 } })).toThrow(
      /factor of --stop-after-minimum must be a number >= 1/,
    );
    expect(() => parseRunConfig({ ...TINY, data: null, stopAfterMinimum: { factor: 2, extra: 10 } })).toThrow(
      /stops multi-epoch runs \(--data D\)/,
    );
  });

  it("a sweep's --stop-after-minimum reaches its D runs only", () => {
    const rule = { factor: 2, extra: 2500 };
    const plan = planSweep('all', 'quick', { stopAfterMinimum: rule });
    const d = plan.runs.filter((r) => r.config.data !== null);
    const n = plan.runs.filter((r) => r.config.data === null);
    expect(d.length).toBeGreaterThan(0);
    expect(n.length).toBeGreaterThan(0);
    for (const r of d) expect(r.config.stopAfterMinimum).toEqual(rule);
    for (const r of n) expect('stopAfterMinimum' in r.config).toBe(false);
    // and without it the plan is the one it always was (no key anywhere)
    expect(JSON.stringify(planSweep('all', 'quick'))).not.toContain('stopAfterMinimum');
  });

  it('counts the core-hours of a stopped run over the steps it trained', () => {
    const r = train({ ...TINY, stopAfterMinimum: { factor: 1, extra: 50 } });
    const stop = r.stoppedEarly!.step;
    expect(runCoreHours(r, stop)).toBeCloseTo(r.timing.seconds / 3600, 12);
    expect(runCoreHours(r, stop / 2)).toBeCloseTo(r.timing.seconds / 7200, 12);
    expect(runCoreHours(full, TINY.steps / 2)).toBeCloseTo(full.timing.seconds / 7200, 12);
  });

  it('`quanta train --stop-after-minimum` writes the stopped record; a malformed value exits 2 with one line', () => {
    const dir = freshDir();
    const out = join(dir, 'run.json');
    const args = ['train', '--n-tasks', '3', '--n', '6', '--width', '32', '--batch', '64', '--steps', '600'];
    const cli = (...more: string[]) =>
      spawnSync(process.execPath, [bundled.cli, ...args, ...more], { encoding: 'utf8' });
    const run = ['--lr', '0.02', '--seed', '5', '--log-every', '10', '--test-points', '800', '--data', '300'];
    const stopped = [...run, '--test-points-per-task', '30', '--stop-after-minimum', '1,50', '--quiet'];
    const ok = cli(...stopped, '--out', out, '--json');
    expect(ok.status).toBe(0);
    const r = JSON.parse(ok.stdout) as RunRecord;
    expect(r.stoppedEarly?.step).toBe(r.log.steps.at(-1));
    expect(r.config.stopAfterMinimum).toEqual({ factor: 1, extra: 50 });
    // the summary (no --json) says where it stopped
    expect(cli(...stopped, '--out', join(dir, 'h.json')).stdout).toContain(
      `stopped at step ${r.stoppedEarly!.step} (--stop-after-minimum 1,50: lowest mean test loss at step ${r.stoppedEarly!.minimumStep})`,
    );
    for (const bad of ['2', '2,x', '0.5,10']) {
      const out2 = join(dir, `bad-${bad}.json`);
      const res = cli('--stop-after-minimum', bad, '--out', out2, '--quiet');
      expect(res.status).toBe(2);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toMatch(/stop-after-minimum/);
      expect(existsSync(out2)).toBe(false);
    }
  });
});
