// A sweep folder holds one plan and its runs are trained once: a sweep killed with SIGKILL at random moments
// (runs checkpointing after every step) and started again ends with the records of an uninterrupted sweep; two
// identical sweeps started at once into one folder never train the same run; claims of dead writers are taken
// over, live ones are left alone; another plan into the folder is refused naming the difference; `quanta fit`
// refuses records that are not the plan's or hold a loss that is not a number, and flags an unfinished sweep.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { planSweep, type SweepOverrides } from '../../src/scaling/plan.js';
import { newStopFlag, runSweep, type SweepProgress } from '../../src/scaling/sweep.js';
import { CLAIM_STALE_SECONDS, jsonDifferences, SweepStore } from '../../src/scaling/store.js';
import { hostTag } from '../../src/io/atomic.js';
import { useBundledCli } from '../cli-bundle.js';
import { tempDirs } from '../temp-dirs.js';
import { comparableRecord } from '../record-compare.js';
import { mulberry as rng } from '../mulberry.js';

const freshDir = tempDirs('resume');
const bundled = useBundledCli();

/** The CLI form of a small sweep: 4 widths and 2 dataset sizes, a couple of seconds each. */
const SWEEP = [
  'sweep',
  'all',
  '--preset',
  'quick',
  '--widths',
  '8,12,16,24',
  '--data-sizes',
  '600,2000',
  '--steps',
  '2500',
];
/** The same plan through the API. */
const OVERRIDES: SweepOverrides = { widths: [8, 12, 16, 24], dataSizes: [600, 2000], steps: 2500 };

function quanta(...args: string[]) {
  const r = spawnSync(process.execPath, [bundled.cli, ...args], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function startQuanta(args: string[]): {
  done: Promise<{ code: number | null; stdout: string }>;
  kill: () => void;
} {
  const child = spawn(process.execPath, [bundled.cli, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout })),
  );
  return { done, kill: () => child.kill('SIGKILL') };
}

/** Whether a checkpoint in `dir` was written at or after `since` (ms since the epoch). */
function newCheckpointSince(dir: string, since: number): boolean {
  try {
    return readdirSync(dir).some((f) => f.endsWith('.ckpt') && statSync(join(dir, f)).mtimeMs >= since - 5);
  } catch {
    return false; // the folder does not exist yet, or a file went away between the listing and the stat
  }
}

let reference = '';
async function referenceDir(): Promise<string> {
  if (reference) return reference;
  reference = freshDir();
  await runSweep(planSweep('all', 'quick', OVERRIDES), reference, { workers: 2 });
  return reference;
}

function expectSameRecords(dir: string, ref: string): void {
  const names = readdirSync(join(ref, 'runs')).sort();
  // nothing but the records: no checkpoint, claim or temp file is left behind
  expect(readdirSync(join(dir, 'runs')).sort()).toEqual(names);
  for (const name of names)
    expect(comparableRecord(readFileSync(join(dir, 'runs', name), 'utf8')), name).toBe(
      comparableRecord(readFileSync(join(ref, 'runs', name), 'utf8')),
    );
}

describe('a sweep killed with SIGKILL at random moments', () => {
  it('ends with the records of an uninterrupted sweep, nothing trained twice from scratch', async () => {
    const ref = await referenceDir();
    const out = join(freshDir(), 's');
    const args = [...SWEEP, '--workers', '2', '--checkpoint-every', '0', '--quiet', '--json', '--out', out];
    const random = rng(5);
    let kills = 0;
    const outcomes: { trained: { id: string; resumedFrom: number }[] }[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      // kill at a random moment after this attempt's first checkpoint (a fixed delay from the start would,
      // on a loaded machine, land before any checkpoint exists and test nothing)
      const started = Date.now();
      const p = startQuanta(args);
      const delay = random() * 1000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const poll = setInterval(() => {
        if (timer === undefined && newCheckpointSince(join(out, 'runs'), started))
          timer = setTimeout(p.kill, delay);
      }, 25);
      const { code, stdout } = await p.done;
      clearInterval(poll);
      clearTimeout(timer);
      if (code === null) {
        kills++;
        continue;
      }
      expect(code).toBe(0);
      outcomes.push(JSON.parse(stdout));
      break;
    }
    if (outcomes.length === 0) {
      const r = quanta(...args);
      expect(r.code, r.stderr).toBe(0);
      outcomes.push(JSON.parse(r.stdout));
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    expectSameRecords(out, ref);
    // the kills left checkpoints: the last attempt resumed at least one run instead of starting it over
    expect(outcomes[0].trained.some((t) => t.resumedFrom > 0)).toBe(true);
  }, 240_000);
});

describe('a stop request (SIGTERM)', () => {
  it('checkpoints the run in flight and reports it as part-done, not done', async () => {
    const out = join(freshDir(), 's');
    const stopFlag = newStopFlag();
    const seen: SweepProgress[] = [];
    const outcome = await runSweep(planSweep('S', 'quick', { widths: [8], steps: 20_000 }), out, {
      workers: 1,
      stopFlag,
      checkpointEverySeconds: Infinity,
      onProgress: (p) => {
        seen.push(p);
        if (p.fraction > 0) Atomics.store(stopFlag, 0, 1);
      },
    });
    expect(outcome.interrupted).toHaveLength(1);
    expect(outcome.trained).toHaveLength(0);
    expect(existsSync(join(out, 'runs', `${outcome.interrupted[0].id}.ckpt`))).toBe(true);
    const last = seen.at(-1)!;
    expect(last.runsDone).toBe(0);
    expect(last.fraction).toBeGreaterThan(0);
    expect(last.fraction).toBeLessThan(1);
    expect(last.fraction).toBeCloseTo(outcome.interrupted[0].stepsDone / 20_000, 6);
  }, 120_000);
});

describe('claims', () => {
  it('two identical sweeps started at once into one folder train every run exactly once', async () => {
    const ref = await referenceDir();
    const out = join(freshDir(), 's');
    const args = [...SWEEP, '--workers', '1', '--quiet', '--json', '--out', out];
    const [a, b] = await Promise.all([startQuanta(args).done, startQuanta(args).done]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const ids = (o: string) => (JSON.parse(o).trained as { id: string }[]).map((t) => t.id);
    const trained = [...ids(a.stdout), ...ids(b.stdout)].sort();
    expect(trained).toEqual(
      planSweep('all', 'quick', OVERRIDES)
        .runs.map((r) => r.id)
        .sort(),
    );
    expectSameRecords(out, ref);
  }, 240_000);

  it('holds a claim against every other writer; takes over the claims of dead or silent writers', () => {
    const store = new SweepStore(freshDir());
    mkdirSync(store.runsDir, { recursive: true });
    const mine = store.claim('N-a0.4-w8-s0');
    expect('release' in mine).toBe(true);
    // a live holder (this process, as another store would see it) keeps it
    const again = store.claim('N-a0.4-w8-s0');
    expect(again).toEqual({ heldBy: expect.stringContaining(`pid ${process.pid}`) });
    if ('release' in mine) mine.release();
    expect(existsSync(store.claimPath('N-a0.4-w8-s0'))).toBe(false);

    // a dead process of this host: stale at once
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const deadPid = Number(dead.stdout);
    const path = store.claimPath('N-a0.4-w12-s0');
    writeFileSync(path, JSON.stringify({ host: hostTag(), pid: deadPid, token: 'old', since: 'then' }));
    const taken = store.claim('N-a0.4-w12-s0');
    expect('release' in taken).toBe(true);
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);

    // another machine's claim: held while its heartbeat is fresh, stale after CLAIM_STALE_SECONDS
    const far = store.claimPath('N-a0.4-w16-s0');
    writeFileSync(far, JSON.stringify({ host: 'elsewhere', pid: 1, token: 'far', since: 'then' }));
    expect(store.claim('N-a0.4-w16-s0')).toEqual({ heldBy: expect.stringContaining('elsewhere pid 1') });
    const old = new Date(Date.now() - (CLAIM_STALE_SECONDS + 60) * 1000);
    utimesSync(far, old, old);
    expect('release' in store.claim('N-a0.4-w16-s0')).toBe(true);
    // nothing but the live claims is left (the stale ones were renamed away and removed)
    expect(readdirSync(store.runsDir).sort()).toEqual(['N-a0.4-w12-s0.claim', 'N-a0.4-w16-s0.claim']);
  });

  it("removes a done run's checkpoint and the claim its dead writer left (killed after the record)", () => {
    const store = new SweepStore(freshDir());
    mkdirSync(store.runsDir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const stale = store.claimPath('N-a0.4-w8-s0');
    writeFileSync(
      stale,
      JSON.stringify({ host: hostTag(), pid: Number(dead.stdout), token: 't', since: 'then' }),
    );
    const live = store.claim('N-a0.4-w12-s0'); // this process: alive, so kept
    const checkpoint = store.checkpointPath('N-a0.4-w16-s0');
    writeFileSync(checkpoint, 'obsolete');
    expect(store.removeLeftovers(['N-a0.4-w8-s0', 'N-a0.4-w12-s0', 'N-a0.4-w16-s0'])).toEqual([
      stale,
      checkpoint,
    ]);
    expect(readdirSync(store.runsDir)).toEqual(['N-a0.4-w12-s0.claim']);
    if ('release' in live) live.release();
  });
});

describe('one plan per folder', () => {
  it('refuses another plan with exit 2, one line naming the difference, and writes nothing', async () => {
    const dir = join(freshDir(), 's');
    await runSweep(planSweep('N', 'quick', { ...OVERRIDES, widths: [8] }), dir, { workers: 1 });
    const before = readFileSync(join(dir, 'sweep.json'), 'utf8');
    const runsBefore = readdirSync(join(dir, 'runs')).sort();
    for (const [extra, named] of [
      [['--widths', '8', '--steps', '2000'], /base\.steps: 2500 there, 2000 asked/],
      [['--widths', '8,12', '--steps', '2500'], /widths/],
      [['--widths', '8', '--steps', '2500', '--alpha', '0.5'], /alphas/],
    ] as [string[], RegExp][]) {
      const r = quanta(
        'sweep',
        'N',
        '--preset',
        'quick',
        '--data-sizes',
        '600,2000',
        ...extra,
        '--quiet',
        '--out',
        dir,
      );
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/holds a different sweep/);
      expect(lines[0]).toMatch(named);
    }
    // another kind into the same folder
    const r = quanta(...SWEEP.slice(0, 1), 'D', ...SWEEP.slice(2), '--quiet', '--out', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/kind: "N" there, "D" asked/);
    expect(readFileSync(join(dir, 'sweep.json'), 'utf8')).toBe(before);
    expect(readdirSync(join(dir, 'runs')).sort()).toEqual(runsBefore);
  }, 120_000);

  it('names differences deep in a plan', () => {
    expect(jsonDifferences({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3] } })).toEqual([
      'b.c: [1,2] there, [1,3] asked',
    ]);
    expect(jsonDifferences({ kind: 'N', runs: [1] }, { kind: 'N', runs: [2] })).toEqual([
      'runs: [1] there, [2] asked',
    ]);
    expect(jsonDifferences({ x: 1 }, { x: 1 })).toEqual([]);
  });
});

describe('records committed compressed (<id>.json.gz)', () => {
  it('fit gives the same numbers and a re-run of the sweep counts them as done', async () => {
    const ref = await referenceDir();
    const dir = join(freshDir(), 's');
    mkdirSync(join(dir, 'runs'), { recursive: true });
    writeFileSync(join(dir, 'sweep.json'), readFileSync(join(ref, 'sweep.json')));
    for (const name of readdirSync(join(ref, 'runs')))
      writeFileSync(join(dir, 'runs', `${name}.gz`), gzipSync(readFileSync(join(ref, 'runs', name))));
    const a = quanta('fit', ref, '--json');
    const b = quanta('fit', dir, '--json');
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    // a claim and a checkpoint that a killed writer left on a done run: the re-run removes them
    const done = readdirSync(join(ref, 'runs'))[0].replace(/\.json$/, '');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const claim = join(dir, 'runs', `${done}.claim`);
    writeFileSync(
      claim,
      JSON.stringify({ host: hostTag(), pid: Number(dead.stdout), token: 't', since: 'then' }),
    );
    const checkpoint = join(dir, 'runs', `${done}.ckpt`);
    writeFileSync(checkpoint, 'obsolete');
    const again = await runSweep(planSweep('all', 'quick', OVERRIDES), dir, { workers: 1 });
    expect(again.trained).toEqual([]);
    expect(again.skipped).toHaveLength(6);
    expect(existsSync(claim)).toBe(false);
    expect(existsSync(checkpoint)).toBe(false);
    // the same run twice, plain and compressed, is refused
    const name = readdirSync(join(ref, 'runs'))[0];
    writeFileSync(join(dir, 'runs', name), readFileSync(join(ref, 'runs', name)));
    const c = quanta('fit', dir);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/twice/);
  }, 120_000);
});

describe('quanta fit on a sweep folder', () => {
  it('refuses a record of another plan and a loss that is not a number; flags missing runs', async () => {
    const ref = await referenceDir();
    const dir = join(freshDir(), 's');
    mkdirSync(join(dir, 'runs'), { recursive: true });
    writeFileSync(join(dir, 'sweep.json'), readFileSync(join(ref, 'sweep.json')));
    for (const name of readdirSync(join(ref, 'runs')))
      writeFileSync(join(dir, 'runs', name), readFileSync(join(ref, 'runs', name)));

    // every record there: fits, no flag (a fit through fewer than 3 points of this small sweep may warn, on
    // one line)
    let r = quanta('fit', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^(quanta fit: WARNING: [^\n]*\n)?$/);

    // one missing: fits what is there, and says so on stderr and in fits.json
    const victim = join(dir, 'runs', 'N-a0.4-w12-s0.json');
    const kept = readFileSync(victim);
    rmSync(victim);
    r = quanta('fit', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/UNFINISHED SWEEP: 1 of 6 planned runs have no record yet \(N-a0\.4-w12-s0\)/);
    expect(JSON.parse(readFileSync(join(dir, 'fits.json'), 'utf8')).unfinished.missingRuns).toEqual([
      'N-a0.4-w12-s0',
    ]);
    writeFileSync(victim, kept);

    // a record of another config under a planned id
    const rec = JSON.parse(kept.toString());
    writeFileSync(victim, JSON.stringify({ ...rec, config: { ...rec.config, steps: 2400 } }));
    r = quanta('fit', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not belong to the sweep/);
    // a null loss (a NaN written as JSON)
    rec.log.meanLoss[3] = null;
    writeFileSync(victim, JSON.stringify(rec));
    r = quanta('fit', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/log\.meanLoss\[3\] is null: the run diverged or its record is damaged/);
    // steps that are not increasing counts, and a row short of subtasks
    rec.log.meanLoss[3] = 0.5;
    writeFileSync(
      victim,
      JSON.stringify({ ...rec, log: { ...rec.log, steps: rec.log.steps.map(() => 'x') } }),
    );
    r = quanta('fit', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/log\.steps\[0\] is "x", not an increasing step count/);
    const short = { ...rec.log, subtaskLoss: rec.log.subtaskLoss.map((row: number[]) => row.slice(1)) };
    writeFileSync(victim, JSON.stringify({ ...rec, log: short }));
    r = quanta('fit', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/log\.subtaskLoss\[0\] has 99 losses for 100 subtasks/);
    // a JSON file in runs/ that is not a record
    writeFileSync(victim, kept);
    writeFileSync(join(dir, 'runs', 'x.json'), '{"kind":"quanta-run","schema":1}');
    r = quanta('fit', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/x\.json is not a run record/);
    for (const res of [r]) expect(res.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);
});
