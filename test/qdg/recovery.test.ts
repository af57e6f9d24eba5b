// The recovery study: its scores on planted clusters (ARI 1 at K = the subtasks present), and
// `quanta qdg-recovery` end to end on a tiny run: snapshots that `qdg --run` takes, recovery.json, recovery.csv,
// report.html with the figure; bad input exits 2 with one line and writes nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core } from '../../src/core/arena.js';
import { registerQdgRecovery } from '../../src/cli/commands/qdg-recovery.js';
import { registerQdg } from '../../src/cli/commands/qdg.js';
import { presentSubtasks, recoveryScore, type RecoveryPoint } from '../../src/qdg/recovery.js';
import { matrixSource, runQdg } from '../../src/qdg/run.js';
import { recoveryFigure } from '../../src/report/qdg-figures.js';
import { plantedAffinity } from './planted.js';
import { inProcessCli } from '../cli-in-process.js';

const cli = inProcessCli(registerQdgRecovery, registerQdg);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quanta-recovery-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('recovery scores', () => {
  it('present subtasks hold at least 1% of the samples', () => {
    const subtasks = [...new Array(150).fill(0), ...new Array(48).fill(1), 2]; // 2 holds 1 of 199
    expect(presentSubtasks(subtasks)).toBe(2);
    expect(presentSubtasks([...subtasks, 2])).toBe(3); // 2 of 200: 1%
  });

  it('planted clusters that are the subtasks score ARI 1 at K = the subtasks present', () => {
    const { A, labels } = plantedAffinity([40, 25, 15], 3);
    const cosine = A.map((v) => 2 * v - 1);
    const S = labels.length;
    const core = new Core();
    const { analysis } = runQdg(
      matrixSource(cosine, S, 'cosine', labels),
      { clusters: [2, 3, 4, 6], nInit: 3 },
      () => {},
      core,
    );
    const parity = Array.from(labels, (_, i) => i % 2);
    const score = recoveryScore(analysis, { gradientOf: 'loss', cosine: 'signed' }, labels, parity);
    expect(score.K).toBe(3);
    expect(score.ari).toBe(1);
    expect(score.nmi).toBeCloseTo(1, 12);
    expect([score.bestAri, score.bestK]).toEqual([1, 3]);
    expect(score.ariSubtaskAndLabel).toBeLessThan(1); // the parity labels split nothing here
  });

  it('the figure has a solid and a dashed line per choice, leaving out snapshots without scores', () => {
    const score = {
      gradientOf: 'loss' as const,
      cosine: 'signed' as const,
      K: 3,
      ari: 0.4,
      nmi: 0.5,
      bestAri: 0.6,
      bestK: 5,
      ariSubtaskAndLabel: 0.3,
      envelopeSlope: -1,
    };
    const points: RecoveryPoint[] = [
      {
        step: 10,
        learned: 0,
        meanLossBits: 1,
        samples: 0,
        presentSubtasks: 0,
        subtasksInSamples: 0,
        scores: [],
        record: 'a',
      },
      {
        step: 20,
        learned: 3,
        meanLossBits: 0.5,
        samples: 9,
        presentSubtasks: 3,
        subtasksInSamples: 3,
        scores: [score, { ...score, gradientOf: 'logit', ari: 0.7 }],
        record: 'b',
      },
    ];
    const f = recoveryFigure(points);
    expect(f.rows.map((r) => [r.series, r.ari, r.K])).toEqual([
      ['loss/signed, K = subtasks present', 0.4, 3],
      ['loss/signed, best K', 0.6, 5],
      ['logit/signed, K = subtasks present', 0.7, 3],
      ['logit/signed, best K', 0.6, 5],
    ]);
  });
});

describe('quanta qdg-recovery', () => {
  it('trains once, snapshots, clusters each snapshot for every choice and writes the study', async () => {
    const out = join(dir, 'study');
    const tiny = ['--n-tasks', '6', '--n', '12', '--width', '48', '--steps', '600', '--log-every', '100'];
    const r = await cli([
      'qdg-recovery',
      ...tiny,
      '--at',
      '100,300,600',
      '--samples',
      '150',
      '--loss-threshold',
      '0.3',
      '--max-clusters',
      '8',
      '--n-init',
      '2',
      '--choices',
      'loss/signed,logit/signed,loss/abs',
      '--json',
      '--quiet',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { points } = JSON.parse(r.stdout) as { points: RecoveryPoint[] };
    expect(points.map((p) => p.step)).toEqual([100, 300, 600]);
    const scored = points.filter((p) => p.scores.length > 0);
    expect(scored.length).toBeGreaterThan(0);
    for (const p of points) {
      // every snapshot is a run record that qdg --run takes
      expect(existsSync(join(out, p.record))).toBe(true);
      if (p.scores.length === 0) expect(p.note).toBeTruthy();
    }
    for (const p of scored) {
      expect(p.scores.map((s) => `${s.gradientOf}/${s.cosine}`)).toEqual([
        'loss/signed',
        'logit/signed',
        'loss/abs',
      ]);
      for (const s of p.scores) {
        expect(s.K).toBe(Math.min(8, Math.max(2, p.presentSubtasks)));
        expect(Number.isFinite(s.ari) && s.ari <= 1).toBe(true);
        expect(s.bestAri).toBeGreaterThanOrEqual(s.ari);
      }
      // one hidden ReLU layer: logit/signed and loss/abs are the same clustering (README, "Truer clusters")
      expect(p.scores[1].ari).toBe(p.scores[2].ari);
    }
    const last = points.at(-1)!;
    expect(last.learned).toBeGreaterThanOrEqual(points[0].learned);
    const study = JSON.parse(readFileSync(join(out, 'recovery.json'), 'utf8'));
    expect(study.run.nTasks).toBe(6);
    expect(study.points).toHaveLength(3);
    expect(readFileSync(join(out, 'recovery.csv'), 'utf8').split('\n')[0]).toBe(
      'choice,measure,series,subtasks_learned,step,K,ari',
    );
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Identical at every snapshot');
    // a snapshot is a run of that many steps, for qdg --run
    const snap = JSON.parse(readFileSync(join(out, last.record), 'utf8'));
    expect(snap.config.steps).toBe(600);
    const q = await cli([
      'qdg',
      '--run',
      join(out, last.record),
      '--samples',
      '150',
      '--loss-threshold',
      '0.3',
      '--clusters',
      '3',
      '--n-init',
      '1',
      '--quiet',
      '--json',
      '--out',
      join(dir, 'q'),
    ]);
    expect(q.code).toBe(0);
  }, 120_000);

  it('bad input: exit 2, one line, nothing written', async () => {
    const out = join(dir, 'bad');
    const cases: [string[], RegExp][] = [
      [['--at', '150'], /--at values must be multiples of --log-every/],
      [['--at', '0'], /--at values must be/],
      [['--choices', 'loss/cos'], /--cosine must be signed or abs/],
      [['--choices', 'grad'], /--gradient-of must be loss or logit/],
      [['--choices', 'loss,loss/signed'], /lists a choice twice/],
      [['--choices', 'loss/signed/x'], /GRADIENT\[\/COSINE\]/],
      [['--max-clusters', '500', '--samples', '100'], /--max-clusters must be an integer in \[2, 99\]/],
      [['--layers', 'W9'], /unknown parameter group 'W9'/],
      [['--width', '0'], /width/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['qdg-recovery', ...args, '--quiet', '--out', out]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out), args.join(' ')).toBe(false);
    }
  });
});
