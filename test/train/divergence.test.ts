// A run whose loss stops being a number stops at once, naming the step, and leaves no record: `quanta train`
// exits 1 with one line; a sweep reports the run as failed and never writes (so never fits) it.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planSweep } from '../../src/scaling/plan.js';
import { runSweep } from '../../src/scaling/sweep.js';
import { parseRunConfig, DEFAULT_RUN } from '../../src/train/config.js';
import { RunDiverged, Trainer } from '../../src/train/trainer.js';
import { useBundledCli } from '../cli-bundle.js';

const dirs: string[] = [];
const bundled = useBundledCli();
afterAll(() => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const DIVERGING = { ...DEFAULT_RUN, lr: 1e30, width: 16, steps: 200, logEvery: 50, batch: 200 };

describe('divergence', () => {
  it('stops the trainer at the first non-finite loss, naming the step', () => {
    const trainer = new Trainer(parseRunConfig(DIVERGING));
    let error: unknown;
    try {
      trainer.run();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunDiverged);
    expect((error as RunDiverged).step).toBeLessThan(5);
    expect(Number.isFinite((error as RunDiverged).loss)).toBe(false);
  });

  it('quanta train exits 1 with one line and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quanta-nan-'));
    dirs.push(dir);
    const out = join(dir, 'run.json');
    const r = spawnSync(
      process.execPath,
      [
        bundled.cli,
        'train',
        '--lr',
        '1e30',
        '--width',
        '16',
        '--steps',
        '200',
        '--log-every',
        '50',
        '--batch',
        '200',
        '--quiet',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^quanta: training diverged: the .* loss is (NaN|-?Infinity) at step \d+; no record was written/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a sweep reports a diverging run as failed and writes no record of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quanta-nan-sweep-'));
    dirs.push(dir);
    const plan = planSweep('N', 'quick', { widths: [8], steps: 100, base: { lr: 1e30 } });
    const outcome = await runSweep(plan, dir, { workers: 1 });
    expect(outcome.trained).toEqual([]);
    expect(outcome.failed).toHaveLength(1);
    expect(outcome.failed[0].error).toMatch(/training diverged/);
    expect(existsSync(join(dir, 'runs', `${plan.runs[0].id}.json`))).toBe(false);
    expect(readdirSync(join(dir, 'runs'))).toEqual([]);
  });
});
