import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core } from '../../src/core/arena.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseRunConfig, type ValidRunConfig, DEFAULT_RUN, type RunConfig } from '../../src/train/config.js';
import { Trainer, trainRun, validateRun } from '../../src/train/trainer.js';
import { isRunRecord } from '../../src/train/record.js';
import { parameterCount } from '../../src/train/model.js';
import { modelConfigOf } from '../../src/train/trainer.js';
import { useBundledCli } from '../cli-bundle.js';

const tiny: RunConfig = {
  ...DEFAULT_RUN,
  nTasks: 5,
  n: 10,
  k: 3,
  alpha: 0.4,
  width: 64,
  batch: 256,
  steps: 1500,
  logEvery: 100,
  testPoints: 2000,
  testPointsPerTask: 200,
};

describe('Trainer', () => {
  it('logs at step 0 and every logEvery steps before the update, the last below steps (SPEC 1.2)', () => {
    const r = trainRun(parseRunConfig({ ...tiny, steps: 250, logEvery: 100 }), {}, new Core());
    expect(r.log.steps).toEqual([0, 100, 200]);
    expect(r.log.meanLoss.length).toBe(3);
    expect(r.log.subtaskLoss[0].length).toBe(5);
    // the untrained net is near chance (ln 2 nats)
    expect(Math.abs(r.log.meanLoss[0] - Math.LN2)).toBeLessThan(0.1);
    expect(r.parameters).toBe(parameterCount(modelConfigOf(tiny)));
    expect(r.parameters).toBe((5 + 10 + 3) * 64 + 2);
    expect(isRunRecord(r)).toBe(true);
    // the step-0 log is the untrained net itself: a fresh trainer's evaluate(0) gives the same numbers
    const fresh = new Trainer(parseRunConfig({ ...tiny, steps: 250, logEvery: 100 }), new Core());
    expect(fresh.evaluate(0).meanLoss).toBe(r.log.meanLoss[0]);
    // and the step-100 log is taken after exactly 100 updates, before the 101st
    const t = new Trainer(parseRunConfig({ ...tiny, steps: 250, logEvery: 100 }), new Core());
    for (let i = 0; i < 100; i++) t.step();
    expect(t.evaluate(1).meanLoss).toBe(r.log.meanLoss[1]);
    expect(r.trainingSamples).toBe(250 * 256);
  });

  it('learns a tiny task: loss far below ln 2, frequent subtasks first', () => {
    const r = trainRun(parseRunConfig(tiny), {}, new Core());
    const last = r.log.meanLoss.at(-1)!;
    expect(last).toBeLessThan(0.3); // chance is ln 2 = 0.693 nats
    const firstBelow = (t: number) => r.log.subtaskLoss.findIndex((row) => row[t] < 0.1 * Math.LN2);
    const f0 = firstBelow(0);
    const f4 = firstBelow(4);
    expect(f0).toBeGreaterThanOrEqual(0);
    expect(f4 < 0 || f0 <= f4).toBe(true);
  });

  it('is a pure function of its config: two runs give identical logs', () => {
    const c = { ...tiny, steps: 300 };
    const a = trainRun(parseRunConfig(c), {}, new Core());
    const b = trainRun(parseRunConfig(c), {}, new Core());
    expect(a.log).toEqual(b.log);
    const other = trainRun(parseRunConfig({ ...c, seed: 1 }), {}, new Core());
    expect(other.log.meanLoss).not.toEqual(a.log.meanLoss);
  });

  it('trains multi-epoch on a fixed dataset: train loss goes to ~0 on tiny D while test loss does not', () => {
    const c = { ...tiny, data: 64, batch: 32, steps: 800, logEvery: 100 };
    const t = new Trainer(parseRunConfig(c), new Core());
    const r = t.run();
    expect(r.trainingSamples).toBe(64);
    let trainLoss = 0;
    for (let i = 0; i < 10; i++) trainLoss += t.step();
    // memorised its 64 samples, but cannot generalise from them
    expect(trainLoss / 10).toBeLessThan(0.1);
    expect(Math.min(...r.log.meanLoss)).toBeGreaterThan(0.2);
  });

  it('reshuffles every epoch and keeps the last partial batch (D = 70, batch 32: 32, 32, 6)', () => {
    const t = new Trainer(
      parseRunConfig({ ...tiny, data: 70, batch: 32, steps: 6, logEvery: 100 }),
      new Core(),
    );
    const seen: number[][] = [];
    const spy = t as unknown as {
      train: { size: number; datasetBatch: (ids: Uint32Array, d: number) => void };
    };
    const original = spy.train.datasetBatch.bind(spy.train);
    spy.train.datasetBatch = (ids: Uint32Array, d: number) => {
      seen.push(Array.from(ids));
      original(ids, d);
    };
    for (let i = 0; i < 6; i++) t.step();
    expect(seen.map((b) => b.length)).toEqual([32, 32, 6, 32, 32, 6]);
    const epoch1 = seen.slice(0, 3).flat();
    const epoch2 = seen.slice(3, 6).flat();
    expect([...epoch1].sort((a, b) => a - b)).toEqual(Array.from({ length: 70 }, (_, i) => i));
    expect([...epoch2].sort((a, b) => a - b)).toEqual(Array.from({ length: 70 }, (_, i) => i));
    expect(epoch2).not.toEqual(epoch1);
  });

  it('rejects impossible runs with a ConfigError before any work', () => {
    expect(() => validateRun({ ...tiny, k: 11 })).toThrow(ConfigError);
    expect(() => validateRun({ ...tiny, alpha: 0 })).toThrow(ConfigError);
    expect(() => validateRun({ ...tiny, width: 0 })).toThrow(ConfigError);
    expect(() => validateRun({ ...tiny, nTasks: 121, n: 10 })).toThrow(/distinct/);
    expect(() => validateRun({ ...tiny, width: 2_000_000, nTasks: 500, n: 100 })).toThrow(
      /Wasm memory|width/,
    );
  });
});

describe('quanta train (CLI)', () => {
  const bundled = useBundledCli();

  it('writes a valid run record and weights, and exits 2 on bad input without writing', () => {
    const cli = bundled.cli;
    const dir = mkdtempSync(join(tmpdir(), 'quanta-train-'));
    try {
      const out = join(dir, 'run.json');
      const args = [
        'train',
        '--n-tasks',
        '5',
        '--n',
        '10',
        '--width',
        '16',
        '--batch',
        '64',
        '--steps',
        '40',
      ];
      execFileSync(process.execPath, [
        cli,
        ...args,
        '--log-every',
        '10',
        '--test-points',
        '500',
        '--quiet',
        '--out',
        out,
      ]);
      const r = JSON.parse(readFileSync(out, 'utf8'));
      expect(r.kind).toBe('quanta-run');
      expect(r.config.alpha).toBe(0.4);
      expect(r.config.data).toBe(null);
      expect(r.parameters).toBe(18 * 16 + 2);
      expect(r.log.steps).toEqual([0, 10, 20, 30]);
      expect(r.log.subtaskLoss[0].length).toBe(5);
      expect(r.timing.samplesPerSecond).toBeGreaterThan(0);
      expect(existsSync(join(dir, r.weights.file))).toBe(true);

      for (const bad of [
        ['--k', '11'],
        ['--alpha', '0'],
        ['--alpha', '-1'],
        ['--width', '0'],
        ['--n-tasks', '200'],
        ['--steps', 'ten'],
        ['--bogus'],
      ]) {
        const bout = join(dir, 'bad.json');
        const res = spawnSync(process.execPath, [cli, ...args, ...bad, '--quiet', '--out', bout], {
          encoding: 'utf8',
        });
        expect(res.status, bad.join(' ')).toBe(2);
        expect(res.stderr.trim().split('\n').length, res.stderr).toBeLessThanOrEqual(2);
        expect(res.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
        expect(existsSync(bout)).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Trainer.dispose', () => {
  it('hands its Wasm memory back, so trainers can be made in a loop; refuses out of order', () => {
    const core = new Core();
    const before = core.used;
    const config: RunConfig = { ...tiny, width: 256, batch: 20000, steps: 2, logEvery: 1, data: 5000 };
    for (let i = 0; i < 30; i++) {
      const t = new Trainer(parseRunConfig(config), core);
      t.run();
      t.dispose();
      t.dispose(); // a second call does nothing
      expect(core.used).toBe(before);
    }
    const a = new Trainer(parseRunConfig(tiny), core);
    const b = new Trainer(parseRunConfig(tiny), core);
    expect(() => a.dispose()).toThrow(/newer allocations/);
    b.dispose();
    a.dispose();
    expect(core.used).toBe(before);
    // a trainer that cannot be built leaves nothing allocated
    expect(
      () => new Trainer({ ...tiny, width: 1_000_000, nTasks: 500, n: 100 } as ValidRunConfig, core),
    ).toThrow();
    expect(core.used).toBe(before);
  });
});
