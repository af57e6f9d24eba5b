// The language-model half end to end at a tiny scale (20 texts, V = 200, 150 steps): the corpus split and
// vocabulary, the one-hot context batch against a plain twin, training that lowers the test loss, the family's
// matrices and side file, checkpoints that reload to the same losses, `quanta tokens --lm-run`, induction
// tokens, and `quanta lm qdg` with its purity measures; bad input exits 2 without output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCore } from '../../src/core/arena.js';
import { readNpyF32 } from '../../src/io/npy.js';
import { registerLm } from '../../src/cli/commands/lm.js';
import { registerTokens } from '../../src/cli/commands/tokens.js';
import { registerQdg } from '../../src/cli/commands/qdg.js';
import { BOS, loadBrownCorpus, splitTexts, UNK, Vocabulary } from '../../src/lm/corpus.js';
import { LmBatch, TokenStream } from '../../src/lm/data.js';
import {
  checkpointSteps,
  DEFAULT_LM_FAMILY,
  lmModelConfig,
  type LmFamilyConfig,
} from '../../src/lm/family.js';
import { inductionTokens, randomPurity, selectLowLossTokens, weightedPurity } from '../../src/lm/qdg.js';
import { trainLanguageModelFamily, type LmFamilyRecord } from '../../src/lm/train-family.js';
import { loadCheckpoint, prepareLmData, streamLosses, type LmModelRecord } from '../../src/lm/train-model.js';
import { Mlp } from '../../src/train/model.js';
import { inProcessCli } from '../cli-in-process.js';

const TINY: LmFamilyConfig = {
  ...DEFAULT_LM_FAMILY,
  vocab: 200,
  widths: [4, 16],
  steps: 150,
  batch: 64,
  checkpoints: 3,
  texts: 20,
  lr: 3e-3,
};

const cli = inProcessCli(registerLm, registerTokens, registerQdg);

let dir: string;
let family: LmFamilyRecord;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quanta-lm-'));
  family = await trainLanguageModelFamily(TINY, join(dir, 'family'), { workers: 0 });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('corpus and batches', () => {
  it('splits every 10th text to test and builds a deterministic vocabulary', () => {
    const texts = loadBrownCorpus(undefined, 20);
    expect(texts[0].name).toBe('ca01');
    const { train, test } = splitTexts(texts);
    expect(test.map((t) => t.name)).toEqual([texts[9].name, texts[19].name]);
    expect(train).toHaveLength(18);
    const v = Vocabulary.fromTexts(train, 50);
    expect(v.size).toBe(52);
    expect(v.words.slice(0, 2)).toEqual(['<s>', '<unk>']);
    expect(v.words).toEqual(Vocabulary.fromTexts(train, 50).words);
    expect(v.id('the')).toBe(2); // the most frequent word of English text
    expect(v.id('no-such-word-xyz')).toBe(UNK);
  });

  it('the CSR one-hot context equals a plain twin', () => {
    const texts = loadBrownCorpus(undefined, 3);
    const vocab = Vocabulary.fromTexts(texts, 30);
    const stream = new TokenStream(texts, vocab);
    const core = getCore();
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: stream.length - 1 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        (positions, c) => {
          const mark = core.mark();
          try {
            const V = vocab.size;
            const batch = new LmBatch(core, 40, c, V);
            batch.fill(stream, positions);
            const off = core.i32(batch.offsets, positions.length + 1);
            const idx = core.i32(batch.indices, positions.length * c);
            const lab = core.i32(batch.labels, positions.length);
            positions.forEach((p, s) => {
              // twin: walk back inside the text, <s> before its start
              const expected: number[] = [];
              for (let j = 0; j < c; j++) {
                const back = c - j;
                const inText =
                  stream.positionOf[p] - back >= 0 && stream.textOf[p - back] === stream.textOf[p];
                expected.push(j * V + (inText ? stream.ids[p - back] : BOS));
              }
              expect(Array.from(idx.subarray(off[s], off[s + 1]))).toEqual(expected);
              expect(lab[s]).toBe(stream.ids[p]);
              expect(stream.context(p, c).map((id, j) => j * V + id)).toEqual(expected);
            });
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('checkpoint steps are log-spaced, distinct and end at the last step', () => {
    expect(checkpointSteps(4096, 10)).toEqual([64, 102, 161, 256, 406, 645, 1024, 1625, 2580, 4096]);
    expect(checkpointSteps(5, 10)).toEqual([1, 2, 3, 4, 5]);
    expect(checkpointSteps(100, 1)).toEqual([100]);
  });
});

describe('the trained family', () => {
  it('writes the loss matrices, side file and records; training lowers the loss; larger is better', () => {
    const f = join(dir, 'family');
    const T = family.testTokens;
    const losses = readNpyF32(join(f, 'losses.npy'));
    expect(losses.shape).toEqual([T, 2]);
    const ck = readNpyF32(join(f, 'checkpoint-losses.npy'));
    expect(ck.shape).toEqual([T, family.checkpointSteps.length]);
    expect(family.checkpointSteps).toEqual(checkpointSteps(TINY.steps, TINY.checkpoints));
    const csv = readFileSync(join(f, 'tokens.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('row,id,token,word,tag,text,position');
    expect(csv).toHaveLength(T + 1);
    for (const m of family.meanTestLoss) {
      expect(m[m.length - 1]).toBeLessThan(m[0]);
      expect(m[0]).toBeLessThan(Math.log(TINY.vocab + 2) + 0.5);
    }
    const last = family.meanTestLoss.map((m) => m[m.length - 1]);
    expect(last[1]).toBeLessThan(last[0]);
    for (const v of losses.data) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('a saved checkpoint reloads to the same per-token losses', () => {
    const f = join(dir, 'family', 'width-16');
    const rec = JSON.parse(readFileSync(join(f, 'model.json'), 'utf8')) as LmModelRecord;
    const core = getCore();
    const mark = core.mark();
    try {
      const data = prepareLmData(TINY);
      const mlp = new Mlp(core, lmModelConfig(TINY, 16), 256);
      loadCheckpoint(mlp, join(f, rec.weightFiles[0]), rec.weightLayout);
      const out = new Float32Array(data.test.length);
      streamLosses(core, mlp, data.test, out);
      const saved = readNpyF32(join(f, 'test-losses.npy'));
      const C = saved.shape[1];
      for (let p = 0; p < out.length; p += 97) expect(out[p]).toBeCloseTo(saved.data[p * C], 5);
    } finally {
      core.release(mark);
    }
  });

  it('2 worker threads train byte-identical members to 1 thread (counter-based batches)', async () => {
    const other = join(dir, 'family-2workers');
    await trainLanguageModelFamily(TINY, other, { workers: 2 });
    for (const file of ['losses.npy', 'checkpoint-losses.npy', 'tokens.csv'])
      expect(readFileSync(join(other, file)).equals(readFileSync(join(dir, 'family', file))), file).toBe(
        true,
      );
  }, 60_000);

  it('re-running reuses finished members', async () => {
    const again = await trainLanguageModelFamily(TINY, join(dir, 'family'), { workers: 0 });
    expect(again.memberSeconds).toEqual(family.memberSeconds);
  });

  it('quanta tokens --lm-run analyses the family', async () => {
    const out = join(dir, 'tokens');
    const r = await cli(['tokens', '--lm-run', join(dir, 'family'), '--json', '--out', out]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      alphaN: number;
      alphaS: number;
      monogenic: number[];
      polygenic: number[];
    };
    expect(j.alphaN).toBeGreaterThan(0);
    expect(Number.isFinite(j.alphaS)).toBe(true);
    expect(Array.isArray(j.monogenic) && Array.isArray(j.polygenic)).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('training dynamics');
  }, 20_000);

  it('quanta lm qdg clusters low-loss tokens and reports purity', async () => {
    const out = join(dir, 'qdg');
    const args = ['lm', 'qdg', '--run', join(dir, 'family'), '--samples', '80', '--loss-threshold', '3'];
    const r = await cli([...args, '--clusters', '3,5,8', '--n-init', '2', '--json', '--quiet', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { samples: number; purity: { tag: number; tagRandom: number } };
    expect(j.samples).toBe(80);
    expect(j.purity.tag).toBeGreaterThan(0);
    for (const file of ['clusters.json', 'rank-frequency.csv', 'similarity-by-cluster.png', 'report.html'])
      expect(existsSync(join(out, file))).toBe(true);
    // the language-model report with its QDG section
    const rep = join(dir, 'tokens-with-qdg');
    const t = await cli(['tokens', '--lm-run', join(dir, 'family'), '--qdg', out, '--out', rep]);
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    expect(readFileSync(join(rep, 'report.html'), 'utf8')).toContain('QDG on tokens');
    // the same through quanta qdg --lm-run
    const via = [
      'qdg',
      '--lm-run',
      join(dir, 'family'),
      '--samples',
      '80',
      '--loss-threshold',
      '3',
      '--clusters',
      '3,5,8',
    ];
    const r2 = await cli([...via, '--n-init', '2', '--json', '--quiet', '--out', join(dir, 'qdg2')]);
    expect(r2.code).toBe(0);
    expect((JSON.parse(r2.stdout) as { samples: number }).samples).toBe(80);
    const both = await cli([...via, '--run', 'x.json', '--out', join(dir, 'q3')]);
    expect(both.code).toBe(2);
    const bad = await cli(['lm', 'qdg', '--run', join(dir, 'nothing'), '--out', join(dir, 'q2')]);
    expect(bad.code).toBe(2);
    expect(existsSync(join(dir, 'q2'))).toBe(false);
    // K >= S: the one check of qdgConfig, the same line as quanta qdg and toy-clusters (was: dropped silently)
    for (const cmd of [args, via.slice(0, 7)]) {
      const big = await cli([...cmd, '--clusters', '3,80', '--quiet', '--out', join(dir, 'q4')]);
      expect(big.code).toBe(2);
      expect(big.stderr.trim()).toBe(
        'quanta: error: --clusters values must be integers in [2, 79] for 80 samples, got 80',
      );
      expect(existsSync(join(dir, 'q4', 'clusters.json'))).toBe(false);
    }
    // --layers: the gradient without the output layer; clusters.json names the groups
    const noOutput = [...args, '--clusters', '3,5', '--n-init', '1', '--layers', '1', '--cosine', 'abs'];
    const layered = await cli([...noOutput, '--json', '--quiet', '--out', join(dir, 'q5')]);
    expect(layered.stderr).toBe('');
    expect(layered.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(dir, 'q5', 'clusters.json'), 'utf8'));
    expect([doc.source.layers, doc.source.cosine]).toEqual([['W1', 'b1'], 'abs']);
    // a language model has thousands of classes: no logit difference; unknown groups are named
    const refused: [string[], string][] = [
      [
        [...via, '--gradient-of', 'logit'],
        'quanta: error: --gradient-of logit needs a two-class model (the gradient of the logit difference z_1 - z_0); this source offers loss',
      ],
      [
        [...args, '--layers', 'W3'],
        "quanta: error: --layers: unknown parameter group 'W3': this model has W1, b1, W2, b2 (a number l means W<l> and b<l>)",
      ],
    ];
    for (const [cmd, line] of refused) {
      const r = await cli([...cmd, '--quiet', '--out', join(dir, 'q6')]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(line);
      expect(existsSync(join(dir, 'q6'))).toBe(false);
    }
  }, 30_000);
});

describe('QDG helpers', () => {
  it('induction tokens complete a trigram seen earlier in the same text only', () => {
    const vocab = new Vocabulary(['a', 'b', 'c']);
    const texts = [
      { name: 'x', genre: 'a', words: ['a', 'b', 'c', 'a', 'b', 'c', 'a'], tags: Array<string>(7).fill('t') },
      { name: 'y', genre: 'a', words: ['a', 'b', 'c'], tags: ['t', 't', 't'] },
    ];
    const s = new TokenStream(texts, vocab);
    expect(Array.from(inductionTokens(s))).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
    const sel = selectLowLossTokens([0, 0, 0, 0, 0, 0, 0, 9, 0, 0], inductionTokens(s), 1, 3);
    expect(sel.candidates).toBe(7);
    expect(sel.rows).toEqual([0, 2, 4]);
  });

  it('purity is 1 for clusters of one value and lower at random', () => {
    const labels = [0, 0, 0, 1, 1, 1, 2, 2];
    const values = ['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c'];
    expect(weightedPurity(labels, values)).toBe(1);
    expect(weightedPurity(labels, ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b'])).toBeCloseTo(5 / 8);
    expect(randomPurity(labels, values, 1)).toBeLessThan(1);
  });

  it('lm train rejects bad options with exit 2 and writes nothing', async () => {
    for (const extra of [
      ['--widths', '8,4'],
      ['--widths', '8'],
      ['--checkpoints', '500', '--steps', '10'],
      ['--vocab', 'x'],
    ]) {
      const out = join(dir, `bad-${extra.join('')}`);
      const r = await cli(['lm', 'train', ...extra, '--out', out]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
  });
});
