// Sweeps: resuming after a kill (only missing runs are trained; temp files of killed writers are ignored),
// refusing a folder that holds a different sweep, and the CLI: bad input gives one line and exit 2 before
// anything is written; a small sweep, its --json output and --dry-run work end to end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planSweep } from '../../src/scaling/plan.js';
import { SweepStore } from '../../src/scaling/store.js';
import { runSweep } from '../../src/scaling/sweep.js';
import { tempDirs } from '../temp-dirs.js';
import { TINY } from './tiny-sweep.js';
import { ConfigError } from '../../src/core/errors.js';
import { bundleCli } from '../cli-bundle.js';

const freshDir = tempDirs('sweep');

let cli = '';
beforeAll(async () => {
  const bundle = await bundleCli();
  cli = bundle.cli;
  cleanups.push(bundle.cleanup);
});
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function quanta(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('resume', () => {
  const plan = planSweep('all', 'quick', TINY);

  it('re-runs only the missing run and ignores partial temp files', async () => {
    const dir = freshDir();
    const first = await runSweep(plan, dir, { workers: 2 });
    expect(first.trained).toHaveLength(plan.runs.length);
    const store = new SweepStore(dir);
    const victim = 'N-a0.4-w12-s0';
    const kept = plan.runs.filter((r) => r.id !== victim).map((r) => store.recordPath(r.id));
    const mtimes = kept.map((p) => statSync(p).mtimeMs);
    const whole = readFileSync(store.recordPath(victim), 'utf8');
    unlinkSync(store.recordPath(victim));
    // a writer killed mid-write leaves only its temp file
    writeFileSync(join(dir, 'runs', `.${victim}.json.12345.0.tmp`), whole.slice(0, whole.length / 2));
    const second = await runSweep(plan, dir, { workers: 2 });
    expect(second.trained.map((r) => r.id)).toEqual([victim]);
    expect(second.skipped.sort()).toEqual(
      plan.runs
        .map((r) => r.id)
        .filter((id) => id !== victim)
        .sort(),
    );
    expect(kept.map((p) => statSync(p).mtimeMs)).toEqual(mtimes);
    const again = JSON.parse(readFileSync(store.recordPath(victim), 'utf8'));
    const before = JSON.parse(whole);
    expect(again.log).toEqual(before.log);
    // a third run has nothing to do
    const third = await runSweep(plan, dir, { workers: 2 });
    expect(third.trained).toEqual([]);
    expect(third.skipped).toHaveLength(plan.runs.length);
  });

  it('re-runs a damaged record and refuses records of a different sweep', async () => {
    const dir = freshDir();
    await runSweep(plan, dir, { workers: 1 });
    const store = new SweepStore(dir);
    const id = 'D-a0.4-D400-s0';
    const text = readFileSync(store.recordPath(id), 'utf8');
    writeFileSync(store.recordPath(id), text.slice(0, 300)); // not written by us: cut short
    expect(store.status(plan.runs.find((r) => r.id === id)!).state).toBe('missing');
    const sweepJson = readFileSync(store.planPath, 'utf8');
    // the same ids with more steps: a different sweep
    const other = planSweep('all', 'quick', { ...TINY, steps: 350 });
    await expect(runSweep(other, dir, { workers: 1 })).rejects.toThrow(ConfigError);
    expect(readFileSync(store.planPath, 'utf8')).toBe(sweepJson);
    const fixed = await runSweep(plan, dir, { workers: 1 });
    expect(fixed.trained.map((r) => r.id)).toEqual([id]);
  });
});

describe('plan overrides', () => {
  it('--log-every and --steps reach every run of the plan, and only these fields change', () => {
    const preset = planSweep('S', 'faithful', { widths: [500] });
    const plan = planSweep('S', 'faithful', { widths: [500], steps: 200_000, logEvery: 100 });
    expect(plan.runs.map((r) => r.id)).toEqual(['N-a0.4-w500-s0']);
    expect(plan.runs[0].config).toEqual({ ...preset.runs[0].config, steps: 200_000, logEvery: 100 });
    const all = planSweep('all', 'quick', { logEvery: 40 });
    expect(all.runs.length).toBeGreaterThan(2);
    for (const r of all.runs) expect(r.config.logEvery).toBe(40);
  });
});

describe('quanta sweep (CLI)', () => {
  const bad: [string, string[]][] = [
    ['unknown kind', ['sweep', 'Q']],
    ['bad shard', ['sweep', 'N', '--shard', '3/2']],
    ['empty width list', ['sweep', 'N', '--widths', '']],
    ['alpha 0', ['sweep', 'N', '--alpha', '0']],
    ['negative alpha', ['sweep', 'N', '--alpha=-0.5']],
    ['unknown preset', ['sweep', 'N', '--preset', 'huge']],
    ['no --out', ['sweep', 'N']],
    ['log interval 0', ['sweep', 'S', '--log-every', '0']],
  ];
  for (const [what, args] of bad) {
    it(`refuses ${what}: one line, exit 2, nothing written`, () => {
      const out = join(freshDir(), 'store');
      const r = quanta(...args, ...(what === 'no --out' ? [] : ['--out', out]));
      expect(r.code).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('(run with --help'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^quanta: error: /);
      expect(r.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    });
  }

  it('runs a small sweep, prints JSON, and resumes', () => {
    const out = join(freshDir(), 'store');
    const args = [
      'sweep',
      'N',
      '--widths',
      '8,16',
      '--steps',
      '200',
      '--workers',
      '2',
      '--out',
      out,
      '--quiet',
    ];
    const r = quanta(...args, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.trained.map((t: { id: string }) => t.id).sort()).toEqual(['N-a0.4-w16-s0', 'N-a0.4-w8-s0']);
    const plan = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(plan.kind).toBe('N');
    expect(plan.runs).toHaveLength(2);
    const again = quanta(...args);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/trained 0, already done 2, failed 0/);
  });

  it('--dry-run prints runs and core-hours and writes nothing', () => {
    const out = join(freshDir(), 'store');
    const r = quanta(
      'sweep',
      'all',
      '--widths',
      '8,16',
      '--data-sizes',
      '1000',
      '--dry-run',
      '--json',
      '--out',
      out,
    );
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.planned).toBe(3);
    expect(o.toRun).toBe(3);
    expect(o.coreHours).toBeGreaterThan(0);
    expect(o.perRun).toHaveLength(3);
    expect(existsSync(out)).toBe(false);
  });
});
