// The skills family end to end at a tiny scale (3 widths, 2 seeds, 40 steps, 1024 test tokens): `lm corpus`,
// `lm train --corpus skills`, its files and ground truth, online batches from the stream, `quanta tokens --lm-run`
// with `groundTruth`, and bad input (exit 2, one line, nothing written).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCore } from '../../src/core/arena.js';
import { readNpyF32 } from '../../src/io/npy.js';
import { registerLm } from '../../src/cli/commands/lm.js';
import { registerTokens } from '../../src/cli/commands/tokens.js';
import { inProcessCli } from '../cli-in-process.js';
import { SkillsCorpus } from '../../src/lm/corpora.js';
import { LmBatch } from '../../src/lm/data.js';
import { lmParameterCount, skillsPreset, validateLmFamily } from '../../src/lm/family.js';
import { SkillsLanguage, TokenClass } from '../../src/lm/skills.js';
import type { LmFamilyRecord, SkillsTruth } from '../../src/lm/train-family.js';

const cli = inProcessCli(registerLm, registerTokens);

const TINY = [
  ...['--corpus', 'skills', '--preset', 'quick', '--widths', '2,4,8', '--steps', '40', '--checkpoints', '2'],
  ...['--seeds', '0,1', '--test-tokens', '1024', '--workers', '0', '--quiet'],
];

let dir: string;
let family: LmFamilyRecord;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quanta-skills-'));
  const r = await cli(['lm', 'train', ...TINY, '--json', '--out', join(dir, 'family')]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  family = JSON.parse(r.stdout) as LmFamilyRecord;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('quanta lm corpus --kind skills', () => {
  it('prints any slice with its ground truth, the same as the language gives', async () => {
    const r = await cli(['lm', 'corpus', '--kind', 'skills', '--start', '100', '--length', '30', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      language: { vocabSize: number };
      tokens: { id: number; class: string; position: number }[];
    };
    const lang = new SkillsLanguage(skillsPreset('quick').language!);
    const t = lang.slice(100, 30);
    expect(doc.language.vocabSize).toBe(lang.vocabSize);
    expect(doc.tokens.map((x) => x.id)).toEqual(Array.from(t.ids));
    expect(doc.tokens.map((x) => x.position)).toEqual(Array.from({ length: 30 }, (_, i) => 100 + i));
    expect(doc.tokens.map((x) => x.class)).toEqual(
      Array.from(t.cls, (c) => ['irreducible', 'monogenic', 'polygenic'][c]),
    );
    const text = await cli(['lm', 'corpus', '--kind', 'skills', '--length', '12']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/skills language \(seed 0, alpha 0.4\)/);
    expect(text.stdout.trim().split('\n')).toHaveLength(12 + 3);
    const files = await cli([
      'lm',
      'corpus',
      '--kind',
      'skills',
      '--length',
      '12',
      '--out',
      join(dir, 'corpus'),
    ]);
    expect(files.code).toBe(0);
    expect(readFileSync(join(dir, 'corpus', 'corpus.csv'), 'utf8').split('\n')[0]).toBe(
      'position,id,token,class,kind,skill,families,bayes',
    );
    expect(existsSync(join(dir, 'corpus', 'language.json'))).toBe(true);
  });

  it('refuses bad input with one line and exit code 2', async () => {
    for (const [args, why] of [
      [['--kind', 'brown'], /--kind must be skills/],
      [['--kind', 'skills', '--answers', '100'], /power of 2/],
      [['--kind', 'skills', '--length', '-1'], /--length/],
      [['--kind', 'skills', '--alpha', 'x'], /--alpha/],
    ] as const) {
      const r = await cli(['lm', 'corpus', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('quanta lm train --corpus skills', () => {
  it('trains every width once per seed and writes the matrices and the ground truth', () => {
    const f = join(dir, 'family');
    expect(family.seeds).toEqual([0, 1]);
    expect(family.files.seedLosses).toEqual(['losses.npy', 'losses-seed-1.npy']);
    const T = family.testTokens;
    expect(T).toBe(1024);
    for (const file of family.files.seedLosses!) expect(readNpyF32(join(f, file)).shape).toEqual([T, 3]);
    for (const s of [0, 1])
      for (const w of [2, 4, 8])
        expect(existsSync(join(f, `seed-${s}`, `width-${w}`, 'model.json'))).toBe(true);
    const cfg = skillsPreset('quick');
    expect(family.parameters).toEqual([2, 4, 8].map((w) => lmParameterCount(cfg, w)));
    // different seeds train different models
    const a = readNpyF32(join(f, 'losses.npy')).data;
    const b = readNpyF32(join(f, 'losses-seed-1.npy')).data;
    expect(Array.from(a)).not.toEqual(Array.from(b));
    const truth = JSON.parse(readFileSync(join(f, 'truth.json'), 'utf8')) as SkillsTruth;
    const lang = new SkillsLanguage(cfg.language!);
    const t = lang.slice(0, T);
    expect(truth.cls).toEqual(Array.from(t.cls));
    expect(truth.skill).toEqual(Array.from(t.skill));
    expect(family.bayesLoss).toBeCloseTo(t.bayes.reduce((x, y) => x + y, 0) / T, 5);
    const csv = readFileSync(join(f, 'tokens.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('row,id,token,class,kind,skill,families,bayes');
    expect(csv).toHaveLength(T + 1);
    // every test token's loss is at least its Bayes loss on average (no model beats the Bayes predictor)
    let mean = 0;
    for (let p = 0; p < T; p++) mean += a[p * 3 + 2];
    expect(mean / T).toBeGreaterThan(family.bayesLoss!);
  });

  it('training batches are windows of fresh blocks after the test stream, a function of (seed, step)', () => {
    const cfg = { ...skillsPreset('quick'), testTokens: 256, batch: 40 };
    validateLmFamily(cfg);
    const corpus = new SkillsCorpus(cfg);
    const core = getCore();
    const mark = core.mark();
    try {
      const batch = new LmBatch(core, 40, cfg.context, corpus.vocabSize);
      const read = () => ({
        idx: Array.from(core.i32(batch.indices, 40 * cfg.context)),
        lab: Array.from(core.i32(batch.labels, 40)),
      });
      corpus.trainBatch(batch, 3, 7);
      const first = read();
      corpus.trainBatch(batch, 3, 8);
      expect(read()).not.toEqual(first);
      corpus.trainBatch(batch, 3, 7);
      expect(read()).toEqual(first);
      // each sample's window is consecutive stream tokens: its label follows its context in some block
      const lang = corpus.language;
      const L = lang.config.block;
      const labels = new Set(first.lab);
      expect(labels.size).toBeGreaterThan(3);
      expect(corpus.trainStart * L).toBeGreaterThanOrEqual(256);
    } finally {
      core.release(mark);
    }
  });

  it('quanta tokens --lm-run reports groundTruth with precision and recall', async () => {
    const r = await cli(['tokens', '--lm-run', join(dir, 'family'), '--json', '--out', join(dir, 'report')]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      groundTruth: {
        monogenic: { precision: number | null; recall: number | null };
        polygenic: { precision: number | null; recall: number | null };
        perSeed: unknown[];
        agreement: { overall: number };
        scaling: { predicted: number };
      };
    };
    const g = doc.groundTruth;
    expect(Object.keys(g.monogenic)).toEqual(expect.arrayContaining(['precision', 'recall']));
    expect(Object.keys(g.polygenic)).toEqual(expect.arrayContaining(['precision', 'recall']));
    expect(g.perSeed).toHaveLength(2);
    expect(g.scaling.predicted).toBe(0.4);
    expect(g.agreement.overall).toBeGreaterThan(0);
    const html = readFileSync(join(dir, 'report', 'report.html'), 'utf8');
    expect(html).toContain('Ground truth: the criteria against the skills language');
    const saved = JSON.parse(readFileSync(join(dir, 'report', 'analysis.json'), 'utf8')) as {
      groundTruth: unknown;
    };
    expect(saved.groundTruth).toEqual(g);
    // a Brown family has no ground truth: the key is absent (checked on a user's matrix)
    const plain = await cli([
      'tokens',
      '--losses',
      join(dir, 'family', 'losses.npy'),
      '--parameters',
      family.parameters.join(','),
      '--json',
      '--out',
      join(dir, 'report-plain'),
    ]);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout)).not.toHaveProperty('groundTruth');
    expect(TokenClass.monogenic).toBe(1);
  });

  it('refuses flags of the other corpus and bad presets (exit 2, nothing written)', async () => {
    for (const [args, why] of [
      [['--corpus', 'skills', '--vocab', '100'], /--vocab is for --corpus brown/],
      [['--corpus', 'skills', '--seed', '3'], /--seed is for --corpus brown/],
      [['--corpus', 'brown', '--seeds', '0,1'], /--seeds is for --corpus skills/],
      [['--corpus', 'brown', '--alpha', '0.5'], /--alpha is for --corpus skills/],
      [['--corpus', 'skills', '--preset', 'huge'], /--preset must be one of quick, full/],
      [['--corpus', 'skills', '--seeds', '0,0'], /--seeds must not repeat/],
      [['--corpus', 'skills', '--context', '2'], /--context must be at least/],
      [['--corpus', 'wiki'], /--corpus must be brown or skills/],
    ] as const) {
      const out = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
      const r = await cli(['lm', 'train', ...args, '--out', out]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('quanta lm qdg clusters a skills member and scores the clusters against the true skills', async () => {
    const args = ['lm', 'qdg', '--run', join(dir, 'family'), '--samples', '60', '--loss-threshold', '7'];
    const r = await cli([
      ...args,
      '--clusters',
      '3,5',
      '--n-init',
      '1',
      '--json',
      '--quiet',
      '--out',
      join(dir, 'qdg'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      ariSkills: number;
      nmiSkills: number;
      skills: { byK: { K: number; ari: number }[]; skillsPresent: number };
    };
    expect(doc.skills.byK.map((b) => b.K)).toEqual([3, 5]);
    expect(doc.ariSkills).toBeLessThanOrEqual(1);
    expect(doc.nmiSkills).toBeGreaterThanOrEqual(0);
    expect(doc.skills.skillsPresent).toBeGreaterThan(1);
    expect(readFileSync(join(dir, 'qdg', 'report.html'), 'utf8')).toContain(
      'Clusters against the true skills',
    );
  });
});
