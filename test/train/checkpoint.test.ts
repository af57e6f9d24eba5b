// Checkpoints: the file round-trips every bit, a damaged or foreign checkpoint is refused, a run resumed from
// its state at any step equals the uninterrupted run, and `quanta train` killed with SIGKILL at random moments
// (checkpointing after every step, so many kills land inside a checkpoint write) and started again ends with a
// record and weights byte-identical to an uninterrupted run, single-epoch and multi-epoch.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { CORE_SHA256 } from '../../src/core/wasm.js';
import {
  encodeCheckpoint,
  parseDuration,
  readCheckpoint,
  writeCheckpoint,
  type TrainerState,
} from '../../src/train/checkpoint.js';
import type { RunConfig } from '../../src/train/config.js';
import { RunInterrupted, Trainer } from '../../src/train/trainer.js';
import { useBundledCli } from '../cli-bundle.js';
import { tempDirs } from '../temp-dirs.js';
import { comparableRecord } from '../record-compare.js';
import { mulberry as rng } from '../mulberry.js';
import { parseRunConfig } from '../../src/train/config.js';

const freshDir = tempDirs('ckpt');
const bundled = useBundledCli();

const TINY: RunConfig = {
  nTasks: 12,
  n: 14,
  k: 3,
  alpha: 0.4,
  width: 24,
  depth: 2,
  activation: 'relu',
  batch: 128,
  steps: 240,
  lr: 3e-3,
  weightDecay: 0,
  seed: 3,
  logEvery: 20,
  testPoints: 1000,
  testPointsPerTask: 40,
  data: null,
};

describe('checkpoint file', () => {
  const stateArb = fc
    .record({
      nTasks: fc.integer({ min: 1, max: 6 }),
      logs: fc.integer({ min: 0, max: 5 }),
      params: fc.integer({ min: 1, max: 40 }),
      epoch: fc.integer({ min: -1, max: 9 }),
    })
    .chain(({ nTasks, logs, params, epoch }) =>
      fc.record({
        nTasks: fc.constant(nTasks),
        state: fc.record({
          stepsDone: fc.nat(1e6),
          adamT: fc.nat(1e6),
          epoch: fc.constant(epoch),
          epochPos: fc.nat(1e5),
          trainSeconds: fc.double({ min: 0, max: 1e5, noNaN: true }),
          evalSeconds: fc.double({ min: 0, max: 1e5, noNaN: true }),
          seconds: fc.double({ min: 0, max: 1e5, noNaN: true }),
          params: fc.float32Array({ minLength: params, maxLength: params }),
          adamM: fc.float32Array({ minLength: params, maxLength: params }),
          adamV: fc.float32Array({ minLength: params, maxLength: params }),
          log: fc.record({
            steps: fc.array(fc.nat(1e6), { minLength: logs, maxLength: logs }),
            meanLoss: fc.array(fc.double({ noNaN: true }), { minLength: logs, maxLength: logs }),
            accuracy: fc.array(fc.double({ noNaN: true }), { minLength: logs, maxLength: logs }),
            subtaskLoss: fc.array(
              fc.array(fc.double({ noNaN: true }), { minLength: nTasks, maxLength: nTasks }),
              { minLength: logs, maxLength: logs },
            ),
            subtaskAccuracy: fc.array(
              fc.array(fc.double({ noNaN: true }), { minLength: nTasks, maxLength: nTasks }),
              { minLength: logs, maxLength: logs },
            ),
          }),
        }),
      }),
    );

  it('round-trips every bit of the state (property)', () => {
    const dir = freshDir();
    fc.assert(
      fc.property(stateArb, ({ nTasks, state }) => {
        const config = { ...TINY, nTasks };
        const path = join(dir, 'p.ckpt');
        writeCheckpoint(path, config, state as TrainerState);
        const back = readCheckpoint(path, config).state;
        // Object.is semantics: -0 and every f32 bit pattern but NaN payloads survive
        expect(back).toEqual(state);
        expect(
          Buffer.from(back.params.buffer).equals(Buffer.from((state.params as Float32Array).buffer)),
        ).toBe(true);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('refuses a damaged, foreign-config or foreign-core checkpoint with a ConfigError', () => {
    const dir = freshDir();
    const trainer = new Trainer(parseRunConfig(TINY));
    for (let i = 0; i < 5; i++) trainer.step();
    const bytes = Buffer.from(encodeCheckpoint(TINY, trainer.getState()));
    const path = join(dir, 'r.ckpt');
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    expect(() => readCheckpoint(path, TINY)).toThrow(/damaged/);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1] ^= 1;
    writeFileSync(path, flipped);
    expect(() => readCheckpoint(path, TINY)).toThrow(/checksum/);
    writeFileSync(path, 'not a checkpoint at all');
    expect(() => readCheckpoint(path, TINY)).toThrow(ConfigError);
    writeFileSync(path, bytes);
    expect(() => readCheckpoint(path, { ...TINY, width: 25 })).toThrow(
      /different run \(width 24 there, 25 asked\)/,
    );
    const otherCore = Buffer.from(bytes.toString('latin1').replace(CORE_SHA256, 'f'.repeat(64)), 'latin1');
    writeFileSync(path, otherCore);
    expect(() => readCheckpoint(path, TINY)).toThrow(/another Wasm core/);
    writeFileSync(path, bytes);
    expect(readCheckpoint(path, TINY).state.stepsDone).toBe(5);
  });

  it('parses checkpoint intervals', () => {
    expect(parseDuration('10m')).toBe(600);
    expect(parseDuration('30s')).toBe(30);
    expect(parseDuration('500ms')).toBe(0.5);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('off')).toBe(Infinity);
    expect(() => parseDuration('soon')).toThrow(ConfigError);
    expect(() => parseDuration('-1s')).toThrow(ConfigError);
  });
});

/** The record (without timing) and the parameters of a run. */
function finish(trainer: Trainer): { record: string; params: Buffer } {
  const record = trainer.run();
  return {
    record: comparableRecord(JSON.stringify(record)),
    params: Buffer.from(trainer.core.f32(trainer.model.params, trainer.model.paramFloats).slice().buffer),
  };
}

describe('resume from a checkpoint', () => {
  it('a run stopped at any step and resumed from its checkpoint file equals the uninterrupted run (property)', () => {
    const dir = freshDir();
    const reference = new Map<string, { record: string; params: Buffer }>();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: TINY.steps - 1 }),
        fc.constantFrom<number | null>(null, 300, 1000),
        (stopAt, data) => {
          const config: RunConfig = { ...TINY, data };
          const key = String(data);
          if (!reference.has(key)) reference.set(key, finish(new Trainer(parseRunConfig(config))));
          const path = join(dir, `${key}.ckpt`);
          const first = new Trainer(parseRunConfig(config));
          expect(() =>
            first.run(
              {},
              {
                onCheckpoint: (s) => writeCheckpoint(path, config, s),
                shouldStop: () => first.stepsDone >= stopAt,
              },
            ),
          ).toThrow(RunInterrupted);
          const second = new Trainer(parseRunConfig(config));
          second.setState(readCheckpoint(path, config).state);
          expect(second.stepsDone).toBe(stopAt);
          const resumed = finish(second);
          expect(resumed.record).toBe(reference.get(key)!.record);
          expect(resumed.params.equals(reference.get(key)!.params)).toBe(true);
        },
      ),
      { numRuns: 12, seed: 11 },
    );
  });
});

/** Starts `node cli args`, SIGKILLs it after `ms` unless it ended first; resolves with its exit code (null: killed). */
/**
 * Runs the CLI and SIGKILLs it `ms` after `checkpoint` was first written by this attempt (after its start,
 * when no checkpoint is given): a delay counted from the start would, on a fast or a loaded machine, land
 * after the run ended or before any checkpoint existed, and test nothing.
 */
function runAndKill(args: string[], ms: number, checkpoint?: string): Promise<number | null> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [bundled.cli, ...args], { stdio: 'ignore' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => (timer = setTimeout(() => child.kill('SIGKILL'), ms));
    const written = (): boolean => {
      try {
        return statSync(checkpoint!).mtimeMs >= started - 5;
      } catch {
        return false; // not written yet
      }
    };
    const poll = checkpoint ? setInterval(() => timer === undefined && written() && arm(), 10) : undefined;
    if (!checkpoint) arm();
    child.on('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('quanta train killed with SIGKILL at random moments', () => {
  const trainArgs = [
    'train',
    '--n-tasks',
    '16',
    '--n',
    '14',
    '--width',
    '32',
    '--batch',
    '256',
    '--steps',
    '4000',
    '--log-every',
    '50',
    '--test-points',
    '1000',
    '--test-points-per-task',
    '40',
    '--quiet',
  ];
  for (const data of [null, '3000']) {
    it(`resumes byte-identical to an uninterrupted run (${data === null ? 'single-epoch' : 'multi-epoch, --data ' + data})`, async () => {
      const dir = freshDir();
      const args = data === null ? trainArgs : [...trainArgs, '--data', data];
      const ref = spawnSync(
        process.execPath,
        [bundled.cli, ...args, '--checkpoint-every', 'off', '--out', join(dir, 'ref.json')],
        {
          encoding: 'utf8',
        },
      );
      expect(ref.status, ref.stderr).toBe(0);

      const out = join(dir, 'run.json');
      const random = rng(data === null ? 1 : 2);
      const resumeArgs = [...args, '--checkpoint-every', '0', '--out', out];
      let kills = 0;
      let code: number | null = null;
      for (let attempt = 0; attempt < 8 && code !== 0; attempt++) {
        code = await runAndKill(resumeArgs, random() * 300, join(dir, 'run.ckpt'));
        if (code === null) kills++;
      }
      if (code !== 0) code = await runAndKill(resumeArgs, 120_000);
      expect(code).toBe(0);
      expect(kills).toBeGreaterThanOrEqual(3);
      // the kills left checkpoints and half-written temp files: all gone at the end
      expect(readdirSync(dir).sort()).toEqual([
        'ref.json',
        'ref.subtask-loss.npy',
        'ref.weights.npy',
        'run.json',
        'run.subtask-loss.npy',
        'run.weights.npy',
      ]);
      expect(
        readFileSync(join(dir, 'run.subtask-loss.npy')).equals(
          readFileSync(join(dir, 'ref.subtask-loss.npy')),
        ),
      ).toBe(true);
      expect(comparableRecord(readFileSync(out, 'utf8'))).toBe(
        comparableRecord(readFileSync(join(dir, 'ref.json'), 'utf8')),
      );
      expect(
        readFileSync(join(dir, 'run.weights.npy')).equals(readFileSync(join(dir, 'ref.weights.npy'))),
      ).toBe(true);
    }, 180_000);
  }

  it('refuses a checkpoint of another run before any work: exit 2, one line, nothing written', () => {
    const dir = freshDir();
    const out = join(dir, 'run.json');
    const trainer = new Trainer(parseRunConfig({ ...TINY }));
    trainer.step();
    writeCheckpoint(join(dir, 'run.ckpt'), TINY, trainer.getState());
    const r = spawnSync(process.execPath, [bundled.cli, ...trainArgs, '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/belongs to a different run/);
    expect(existsSync(out)).toBe(false);
  });
});
