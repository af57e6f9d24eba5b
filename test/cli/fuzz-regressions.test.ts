// Regressions of the defects test/cli/fuzz-cli.test.ts found (issue 13): each input below used to end in an
// internal error with a stack trace, a hang, a second stderr line or a replaced device/pipe; now each is bad
// input (a ConfigError: exit 2, one line, nothing written) or, for warnings of the figure library, silent.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { checkOutputFile } from '../../src/io/output.js';
import { readJsonInput, readTextInput } from '../../src/io/read.js';
import { writeNpy } from '../../src/io/npy.js';
import { loadSweepFolder } from '../../src/scaling/analysis.js';
import { planSweep } from '../../src/scaling/plan.js';
import { runSweep } from '../../src/scaling/sweep.js';
import { readFamilyRecord } from '../../src/lm/train-family.js';
import { readTokenInfo } from '../../src/lm/token-losses.js';
import { isLmQdgDocument } from '../../src/lm/token-report.js';
import { lmQdgCommand } from '../../src/cli/lm-qdg.js';
import { planRunSource } from '../../src/qdg/sources/run.js';
import { vegaLiteToSvg } from '../../src/report/vega.js';
import { runCommand } from '../../src/cli/common.js';
import { bundleCli } from '../cli-bundle.js';

let dir = '';
let sweep = '';
let n = 0;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quanta-fuzz-reg-'));
  sweep = join(dir, 'sweep');
  await runSweep(planSweep('N', 'quick', { widths: [4, 6], steps: 30, base: { logEvery: 10 } }), sweep, {
    workers: 1,
  });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the finished sweep folder, to damage. */
function sweepCopy(): string {
  const to = join(dir, `copy-${n++}`);
  cpSync(sweep, to, { recursive: true });
  return to;
}

const json = (x: unknown) => JSON.stringify(x, null, 1);

describe('fit and report: damaged sweep folders are bad input', () => {
  it('sweep.json with a planned run that is not an object (was: TypeError reading id)', () => {
    for (const runs of [[null], [1], [{ id: 5, config: {} }], [{ id: 'x', config: null }]]) {
      const d = sweepCopy();
      writeFileSync(join(d, 'sweep.json'), json({ runs }));
      expect(() => loadSweepFolder(d)).toThrow(ConfigError);
      expect(() => loadSweepFolder(d)).toThrow(/runs\[0\] is not a planned run/);
    }
  });

  it('a record whose config is null (was: TypeError in sameConfig)', () => {
    const d = sweepCopy();
    const id = readdirSync(join(d, 'runs'))[0];
    const r = readJsonInput(join(d, 'runs', id)) as Record<string, unknown>;
    writeFileSync(join(d, 'runs', id), json({ ...r, config: null }));
    expect(() => loadSweepFolder(d)).toThrow(/is not a run record/);
  });

  it('a record that is /dev/zero is refused, not read forever (was: hang)', () => {
    const d = sweepCopy();
    symlinkSync('/dev/zero', join(d, 'runs', 'z.json'));
    expect(() => loadSweepFolder(d)).toThrow(/z\.json: not a regular file/);
  });

  it('quanta report: a bad folder is one stderr line without --quiet; --quiet leaves stderr empty', async () => {
    const { cli, cleanup } = await bundleCli('quanta-fuzz-reg-');
    try {
      const bad = sweepCopy();
      writeFileSync(join(bad, 'sweep.json'), json({ runs: [null] }));
      const r = spawnSync(process.execPath, [cli, 'report', bad], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^quanta: error: .*runs\[0\] is not a planned run/);
      expect(existsSync(join(bad, 'report.html'))).toBe(false);
      const good = sweepCopy();
      const q = spawnSync(process.execPath, [cli, 'report', good, '--quiet'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(q.status, q.stderr).toBe(0);
      expect(q.stderr).toBe('');
      expect(existsSync(join(good, 'report.html'))).toBe(true);
    } finally {
      cleanup();
    }
  }, 120_000);
});

describe('figure warnings stay off stderr', () => {
  it("Vega-Lite's warnings are not printed (was: 'WARN ...' lines under --quiet)", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      // a log scale has no zero: Vega-Lite warns and drops the setting
      const svg = await vegaLiteToSvg({
        data: { values: [{ a: 1, b: 2 }] },
        mark: 'point',
        encoding: {
          x: { field: 'a', type: 'quantitative', scale: { type: 'log', zero: true } },
          y: { field: 'b', type: 'quantitative' },
        },
      });
      expect(svg).toMatch(/^<svg/);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});

describe('language-model inputs: damaged family.json, model.json, clusters.json and side files', () => {
  const config = {
    vocab: 50,
    context: 4,
    widths: [4, 8, 16],
    steps: 10,
    batch: 8,
    lr: 0.01,
    seed: 0,
    checkpoints: 2,
    texts: 10,
  };
  const family = {
    config,
    widths: [4, 8, 16],
    parameters: [100, 200, 400],
    checkpointSteps: [5, 10],
    files: { losses: 'losses.npy', checkpointLosses: 'c.npy', tokens: 'tokens.csv', vocabulary: 'v.txt' },
  };

  function familyDir(text: string | null): string {
    const d = join(dir, `family-${n++}`);
    mkdirSync(d);
    if (text === null) mkdirSync(join(d, 'family.json'));
    else writeFileSync(join(d, 'family.json'), text);
    return d;
  }

  it('family.json: not JSON, null, a folder, fields of the wrong type (was: SyntaxError / TypeError)', () => {
    const cases: [string | null, RegExp][] = [
      ['{', /cannot read .*family\.json: /],
      ['null', /is not a family record \(not a JSON object\)/],
      [null, /family\.json: not a regular file/],
      [json({ ...family, config: null }), /config is not an object/],
      [json({ ...family, parameters: 'ab' }), /parameters is not a list of numbers/],
      [json({ ...family, checkpointSteps: [1, null] }), /checkpointSteps is not a list of numbers/],
      [json({ ...family, files: [] }), /files is not an object/],
    ];
    for (const [text, why] of cases) {
      const d = familyDir(text);
      expect(() => readFamilyRecord(d)).toThrow(ConfigError);
      expect(() => readFamilyRecord(d)).toThrow(why);
    }
    expect(readFamilyRecord(familyDir(json(family))).parameters).toEqual([100, 200, 400]);
  });

  it('qdg --lm-run: a config of the wrong shape and an unreadable model.json are bad input', async () => {
    const base = { run: '', samples: 100, lossThreshold: 0.1, nInit: 1, seed: 0, showClusters: 3, out: '' };
    const bad = familyDir(json({ ...family, config: { ...config, widths: null } }));
    await expect(lmQdgCommand({ ...base, run: bad, out: join(bad, 'out') })).rejects.toThrow(
      /family\.json: config: --widths must list at least 2 widths/,
    );
    const d = familyDir(json(family));
    mkdirSync(join(d, 'width-16'));
    writeFileSync(join(d, 'width-16', 'model.json'), '{"testLossFile": ');
    await expect(lmQdgCommand({ ...base, run: d, out: join(d, 'out') })).rejects.toThrow(
      /cannot read .*model\.json: /,
    );
    writeFileSync(join(d, 'width-16', 'model.json'), '[]');
    await expect(lmQdgCommand({ ...base, run: d, out: join(d, 'out') })).rejects.toThrow(
      /model\.json is not a model record/,
    );
    expect(existsSync(join(d, 'out'))).toBe(false);
  });

  it('a --tokens side file that is a folder or /dev/zero (was: EISDIR internal error, and a hang)', () => {
    const folder = join(dir, `tokens-${n++}`);
    mkdirSync(folder);
    expect(() => readTokenInfo(folder, 3)).toThrow(/--tokens: cannot read .*: not a regular file/);
    // refused before reading: a read of /dev/zero would never end (the test's timeout would catch it)
    expect(() => readTokenInfo('/dev/zero', 3)).toThrow(/not a regular file/);
  });

  it('--qdg clusters.json: only documents with the fields the report reads (was: TypeError in the report)', () => {
    const good = {
      samples: 100,
      envelope: { envelopeSlope: -1.2, predictedSlope: -1.08, alphaN: 0.08, window: [2, 10], r2: 0.9 },
      purity: { K: 10, tag: 0.5, tagRandom: 0.1, token: 0.4, tokenRandom: 0.05 },
      clustersShown: [{ rank: 1, size: 10, topToken: 'the', tokenPurity: 0.5, topTag: 'DT', tagPurity: 0.9 }],
    };
    expect(isLmQdgDocument(good)).toBe(true);
    expect(isLmQdgDocument({ envelope: good.envelope })).toBe(true);
    for (const bad of [
      null,
      [],
      { ...good, envelope: { ...good.envelope, window: undefined } },
      { ...good, envelope: { ...good.envelope, envelopeSlope: null } },
      { ...good, purity: { ...good.purity, tag: [] } }, // the fuzz's find: p.tag.toFixed is not a function
      { ...good, clustersShown: {} },
      { ...good, clustersShown: [{ ...good.clustersShown[0], topToken: [] }] },
      { ...good, source: [] },
    ])
      expect(isLmQdgDocument(bad), JSON.stringify(bad)).toBe(false);
  });
});

describe('qdg --run: a damaged run record is bad input', () => {
  it('config null, weights.layers missing or of the wrong type (was: TypeError)', () => {
    const d = join(dir, `run-${n++}`);
    mkdirSync(d);
    const record = {
      kind: 'quanta-run',
      config: { nTasks: 2, n: 6, k: 2, alpha: 0.4, width: 4, depth: 2, activation: 'relu' },
      log: { steps: [], meanLoss: [], subtaskLoss: [] },
      weights: { file: 'run.weights.npy', layers: [{ inputs: 8, outputs: 4, offset: 0 }] },
    };
    const cases: [unknown, RegExp][] = [
      [{ ...record, config: null }, /not a quanta run record/],
      [{ ...record, weights: { file: 'run.weights.npy' } }, /weights\.layers is not a list/],
      [{ ...record, weights: { file: 'run.weights.npy', layers: null } }, /weights\.layers is not a list/],
      [
        { ...record, weights: { file: 'w', layers: [{ inputs: 8, outputs: 4, offset: -1 }] } },
        /weights\.layers/,
      ],
    ];
    for (const [r, why] of cases) {
      const path = join(d, 'run.json');
      writeFileSync(path, json(r));
      expect(() => planRunSource(path, 20)).toThrow(ConfigError);
      expect(() => planRunSource(path, 20)).toThrow(why);
    }
    expect(() => planRunSource('/dev/zero', 20)).toThrow(/not a regular file/);
  });
});

describe('internal errors', () => {
  it('are one line without a stack trace (the stack with QUANTA_DEBUG=1), exit 1', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const debug = process.env.QUANTA_DEBUG;
    try {
      delete process.env.QUANTA_DEBUG;
      await runCommand(() => {
        throw new TypeError('boom\nsecond line');
      });
      expect(exit).toHaveBeenCalledWith(1);
      const line = String(write.mock.calls[0][0]);
      expect(line).toMatch(/^quanta: internal error: TypeError: boom \(a bug: QUANTA_DEBUG=1 shows where/);
      expect(line.trimEnd().split('\n')).toHaveLength(1);
      process.env.QUANTA_DEBUG = '1';
      await runCommand(() => {
        throw new TypeError('boom');
      });
      expect(String(write.mock.calls[1][0])).toMatch(/TypeError: boom\n\s+at /);
    } finally {
      if (debug === undefined) delete process.env.QUANTA_DEBUG;
      else process.env.QUANTA_DEBUG = debug;
      write.mockRestore();
      exit.mockRestore();
    }
  });
});

describe('outputs and inputs that are not regular files', () => {
  it('--out naming a FIFO (or a device) is refused, not replaced by the atomic rename', () => {
    const fifo = join(dir, `pipe-${n++}`);
    if (spawnSync('mkfifo', [fifo]).status !== 0) return; // no mkfifo here
    expect(() => checkOutputFile(fifo)).toThrow(/is not a regular file \(a device, pipe or socket\)/);
    expect(() => checkOutputFile('/dev/null')).toThrow(/is not a regular file/);
    const file = join(dir, `file-${n++}.json`);
    writeFileSync(file, '{}');
    expect(checkOutputFile(file)).toBe(file);
  });

  it('readTextInput and readJsonInput name the file and the reason', () => {
    expect(() => readTextInput(join(dir, 'nope.json'))).toThrow(/cannot read .*nope\.json: no such file/);
    expect(() => readTextInput(dir)).toThrow(/not a regular file/);
    const bad = join(dir, `bad-${n++}.json`);
    writeFileSync(bad, '{"a": ');
    expect(() => readJsonInput(bad)).toThrow(ConfigError);
    writeNpy(join(dir, 'x.npy'), Float32Array.of(1, 2), [2]);
    expect(() => readJsonInput(join(dir, 'x.npy'))).toThrow(/cannot read .*x\.npy: /);
  });
});
