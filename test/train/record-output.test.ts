// Run records as files: serializeRecord (the one serialiser of every record writer) keeps JSON.parse's reading,
// rounds the log to 6 significant digits, lays one log entry on one line and is idempotent; old-format records
// (one number a line, gzipped or not) and new ones are read alike by `quanta fit`; `quanta train --out` writes
// the per-subtask losses as a .npy equal to the record's log.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isRunRecord, recordJsonLayout, serializeRecord, type RunRecord } from '../../src/train/record.js';
import { readNpyF64 } from '../../src/io/npy.js';
import { loadSweepFolder, analyseFolder } from '../../src/scaling/analysis.js';
import { registerTrain } from '../../src/cli/commands/train.js';
import { DEFAULT_RUN } from '../../src/train/config.js';
import { plantedSingleEpoch, syntheticRecord } from '../synthetic-records.js';
import { inProcessCli } from '../cli-in-process.js';

const round6 = (x: number) => Number(x.toPrecision(6));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'quanta-record-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A record with random losses of `steps` log entries and `nTasks` subtasks. */
const recordArb = fc
  .record({
    steps: fc.integer({ min: 1, max: 12 }),
    nTasks: fc.integer({ min: 1, max: 9 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .chain(({ steps, nTasks, seed }) =>
    fc
      .array(
        fc.array(fc.double({ min: 1e-9, max: 5, noNaN: true }), { minLength: nTasks, maxLength: nTasks }),
        {
          minLength: steps,
          maxLength: steps,
        },
      )
      .map((losses) => syntheticRecord({ ...DEFAULT_RUN, nTasks, seed, logEvery: 10 }, losses)),
  );

describe('serializeRecord', () => {
  it('parses back to the record with its log rounded to 6 digits, one line per log entry, idempotent (property)', () => {
    fc.assert(
      fc.property(recordArb, (r) => {
        const text = serializeRecord(r);
        const back = JSON.parse(text) as RunRecord;
        expect(isRunRecord(back)).toBe(true);
        expect(back.config).toEqual(r.config);
        expect(back.log.steps).toEqual(r.log.steps);
        expect(back.log.meanLoss).toEqual(r.log.meanLoss.map(round6));
        expect(back.log.subtaskLoss).toEqual(r.log.subtaskLoss.map((row) => row.map(round6)));
        // a pure function of the parsed record: serialising what it wrote gives the same text
        expect(serializeRecord(back)).toBe(text);
        // one line per log entry: every row of subtaskLoss on a line of its own, no line holds a lone number
        const lines = text.split('\n');
        for (const row of back.log.subtaskLoss)
          expect(lines.some((l) => l.replace(/,$/, '') === `   ${JSON.stringify(row)}`)).toBe(true);
        expect(lines.filter((l) => /^\s*-?[\d.e+-]+,?$/.test(l))).toEqual([]);
        expect(text.endsWith('}\n')).toBe(true);
      }),
      { seed: 16, numRuns: 60 },
    );
  });

  it('lays out any JSON as JSON.stringify would read (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(JSON.parse(recordJsonLayout(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { seed: 17, numRuns: 200 },
    );
  });

  it('committed records (.json.gz) are in this layout; the old one-number-a-line layout re-serialises to them', () => {
    const runs = join('results', 'faithful-alpha-0.4', 'runs');
    const name = existsSync(runs) ? readdirSync(runs).find((n) => n.endsWith('.json.gz')) : undefined;
    if (!name) return; // a checkout without results/
    const committed = gunzipSync(readFileSync(join(runs, name))).toString('utf8');
    // scripts/reformat-records.mjs rewrote them: serialising the parsed record gives the file back
    expect(serializeRecord(JSON.parse(committed))).toBe(committed);
    // the layout the writers used before (JSON.stringify with indent 1: one number a line)
    const oldText = JSON.stringify(JSON.parse(committed), null, 1);
    const old = JSON.parse(oldText) as RunRecord;
    const text = serializeRecord(old);
    expect(text).toBe(committed);
    const back = JSON.parse(text) as RunRecord;
    expect(back.log.subtaskLoss).toEqual(old.log.subtaskLoss); // written rounded already: unchanged
    expect(back.log.meanLoss).toEqual(old.log.meanLoss);
    expect(back.config).toEqual(old.config);
    expect(text.length).toBeLessThan(0.75 * oldText.length);
    expect(text.split('\n').length).toBeLessThan(old.log.steps.length * 2 + 100);
  });
});

describe('quanta fit reads old-format and new-format records alike', () => {
  it('one number a line, one log entry a line, gzipped or not: the same fits', () => {
    const records = plantedSingleEpoch({ alpha: 0.4, nTasks: 30 });
    const oldDir = join(dir, 'old');
    mkdirSync(join(oldDir, 'runs'), { recursive: true });
    const rounded = records.map((r) => JSON.parse(serializeRecord(r)) as RunRecord);
    rounded.forEach((r, i) =>
      writeFileSync(join(oldDir, 'runs', `r${i}.json`), JSON.stringify(r, null, 1) + '\n'),
    );
    const newDir = join(dir, 'new');
    mkdirSync(join(newDir, 'runs'), { recursive: true });
    records.forEach((r, i) =>
      i % 2 === 0
        ? writeFileSync(join(newDir, 'runs', `r${i}.json`), serializeRecord(r))
        : writeFileSync(join(newDir, 'runs', `r${i}.json.gz`), gzipSync(serializeRecord(r))),
    );
    const oldFits = JSON.stringify(analyseFolder(loadSweepFolder(oldDir)));
    expect(JSON.stringify(analyseFolder(loadSweepFolder(newDir)))).toBe(oldFits);
    expect(loadSweepFolder(newDir).records).toHaveLength(records.length);
  });
});

const run = inProcessCli(registerTrain);
/** `quanta train ...args` in this process. */
const train = (args: string[]) => run(['train', ...args]);

describe('quanta train --out', () => {
  it('writes the per-subtask losses as a .npy beside a compact record, equal to its log', async () => {
    const out = join(dir, 'run.json');
    const r = await train(
      [
        '--n-tasks',
        '6',
        '--n',
        '10',
        '--width',
        '12',
        '--batch',
        '200',
        '--steps',
        '120',
        '--log-every',
        '20',
      ].concat(['--test-points', '500', '--test-points-per-task', '50', '--quiet', '--out', out]),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    const record = JSON.parse(text) as RunRecord;
    expect(text).toBe(serializeRecord(record));
    expect(record.subtaskLossFile).toBe('run.subtask-loss.npy');
    const npy = readNpyF64(join(dir, record.subtaskLossFile!));
    expect(npy.shape).toEqual([record.log.steps.length, 6]);
    expect(record.log.steps).toEqual([0, 20, 40, 60, 80, 100]);
    expect(Array.from(npy.data)).toEqual(record.log.subtaskLoss.flat());
    // one log entry per line
    for (const row of record.log.subtaskLoss) expect(text).toContain(`\n   ${JSON.stringify(row)}`);
  });
});
