// Checkpoints: everything the next step of a run depends on, so that a killed run resumes bit for bit.
//
// A run's future is a function of: the config (which fixes the task, the subsets and every batch, because the
// batches come from the counter-based generator keyed by (seed, step, sample)), the parameters, both Adam
// moments and Adam's step count, the optimiser steps done, and for multi-epoch runs the epoch and the position
// in its permutation (the permutation itself is regenerated from the epoch number). The log so far is kept as
// f64, exactly as the trainer holds it, so the final record is byte-identical to an uninterrupted run's.
//
// File layout (little-endian), written atomically (temp file + rename, ../io/atomic.ts):
//   "QUANTA-CKPT\n"  12 bytes magic
//   u32              header length H
//   H bytes          JSON header (CheckpointHeader), padded with spaces to a multiple of 8
//   sections         raw arrays in the header's order: params, adamM, adamV (f32); logSteps, meanLoss,
//                    accuracy (f64[logs]); subtaskLoss, subtaskAccuracy (f64[logs * nTasks])
// The header holds the SHA-256 of the sections, so a damaged file is refused, never half-read.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { CORE_SHA256 } from '../core/wasm.js';
import { writeFileAtomic } from '../io/atomic.js';
import { VERSION } from '../version.js';
import { runConfigDifferences, type RunConfig } from './config.js';
import type { RunLog } from './record.js';

const MAGIC = 'QUANTA-CKPT\n';
export const CHECKPOINT_FORMAT = 1;

/** The counters of a run between two steps. */
export interface TrainerCounters {
  /** Optimiser steps done; the next step is this one. */
  stepsDone: number;
  /** Adam's step count (torch's `step`), equal to stepsDone for a run that never restarted its optimiser. */
  adamT: number;
  /** Multi-epoch runs: the current epoch (-1 before the first) and the position in its permutation. */
  epoch: number;
  epochPos: number;
  /** Time spent so far (not part of the result; carried so the record's timing covers the whole run). */
  trainSeconds: number;
  evalSeconds: number;
  seconds: number;
}

export interface CheckpointHeader extends TrainerCounters {
  kind: 'quanta-checkpoint';
  format: number;
  version: string;
  /** SHA-256 of the Wasm core that wrote it: another core's f32 arithmetic may differ. */
  core: string;
  config: RunConfig;
  paramFloats: number;
  logs: number;
  nTasks: number;
  sha256: string;
  writtenAt: string;
}

/** A run's state between two steps, in plain arrays. */
export interface TrainerState extends TrainerCounters {
  params: Float32Array;
  adamM: Float32Array;
  adamV: Float32Array;
  log: RunLog;
}

export interface Checkpoint {
  header: CheckpointHeader;
  state: TrainerState;
}

/** The checkpoint path of a run record: `run.json` -> `run.ckpt`. */
export function checkpointPathOf(recordPath: string): string {
  return recordPath.replace(/\.json$/i, '') + '.ckpt';
}

function sectionsOf(state: TrainerState, nTasks: number): Uint8Array[] {
  const logs = state.log.steps.length;
  const f64 = (xs: number[]) => new Uint8Array(Float64Array.from(xs).buffer);
  const rows = (xss: number[][]) => {
    const out = new Float64Array(logs * nTasks);
    xss.forEach((row, i) => out.set(row, i * nTasks));
    return new Uint8Array(out.buffer);
  };
  const f32 = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return [
    f32(state.params),
    f32(state.adamM),
    f32(state.adamV),
    f64(state.log.steps),
    f64(state.log.meanLoss),
    f64(state.log.accuracy),
    rows(state.log.subtaskLoss),
    rows(state.log.subtaskAccuracy),
  ];
}

/** The checkpoint file's bytes for a run's state. */
export function encodeCheckpoint(config: RunConfig, state: TrainerState): Uint8Array {
  const sections = sectionsOf(state, config.nTasks);
  const hash = createHash('sha256');
  for (const s of sections) hash.update(s);
  const { params, adamM: _m, adamV: _v, log, ...counters } = state;
  const header: CheckpointHeader = {
    kind: 'quanta-checkpoint',
    format: CHECKPOINT_FORMAT,
    version: VERSION,
    core: CORE_SHA256,
    config,
    ...counters,
    paramFloats: params.length,
    logs: log.steps.length,
    nTasks: config.nTasks,
    sha256: hash.digest('hex'),
    writtenAt: new Date().toISOString(),
  };
  let json = JSON.stringify(header);
  const pad = (8 - ((MAGIC.length + 4 + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const head = Buffer.alloc(MAGIC.length + 4 + Buffer.byteLength(json));
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(Buffer.byteLength(json), MAGIC.length);
  head.write(json, MAGIC.length + 4, 'utf8');
  return Buffer.concat([head, ...sections]);
}

/** Writes a checkpoint atomically (a reader or a killed writer never leaves a half-written file). */
export function writeCheckpoint(path: string, config: RunConfig, state: TrainerState): void {
  writeFileAtomic(path, encodeCheckpoint(config, state));
}

function damaged(path: string, why: string): ConfigError {
  return new ConfigError(`checkpoint ${path} is damaged (${why}): delete it to start the run afresh`);
}

/** Reads only the header (cheap: used to check a folder's checkpoints before any work). */
export function readCheckpointHeader(path: string): CheckpointHeader {
  const fd = openSync(path, 'r');
  try {
    const pre = Buffer.alloc(MAGIC.length + 4);
    if (
      readSync(fd, pre, 0, pre.length, 0) !== pre.length ||
      pre.toString('latin1', 0, MAGIC.length) !== MAGIC
    )
      throw damaged(path, 'not a quanta checkpoint');
    const length = pre.readUInt32LE(MAGIC.length);
    if (length > 1 << 24) throw damaged(path, 'header too long');
    const json = Buffer.alloc(length);
    if (readSync(fd, json, 0, length, pre.length) !== length) throw damaged(path, 'truncated header');
    let header: CheckpointHeader;
    try {
      header = JSON.parse(json.toString('utf8')) as CheckpointHeader;
    } catch {
      throw damaged(path, 'unreadable header');
    }
    if (header?.kind !== 'quanta-checkpoint' || typeof header.config !== 'object')
      throw damaged(path, 'not a quanta checkpoint');
    return header;
  } finally {
    closeSync(fd);
  }
}

function describeConfigDifference(have: RunConfig, want: RunConfig): string {
  return runConfigDifferences(have, want, 'asked').join(', ');
}

/**
 * Throws a ConfigError (exit 2) unless the checkpoint at `path` belongs to a run of `config` on this core
 * and this checkpoint format: it is never silently reused for another run.
 */
export function checkCheckpointHeader(path: string, header: CheckpointHeader, config: RunConfig): void {
  if (header.format !== CHECKPOINT_FORMAT)
    throw new ConfigError(
      `checkpoint ${path} has format ${header.format}, this quanta reads ${CHECKPOINT_FORMAT}: delete it to start afresh`,
    );
  const diff = describeConfigDifference(header.config, config);
  if (diff !== '')
    throw new ConfigError(
      `checkpoint ${path} belongs to a different run (${diff}): delete it or write to another --out`,
    );
  if (header.core !== CORE_SHA256)
    throw new ConfigError(
      `checkpoint ${path} was written by another Wasm core (quanta ${header.version}, core ${header.core.slice(0, 12)}; ` +
        `this one is ${CORE_SHA256.slice(0, 12)}): resuming would not be bit-exact; delete it to start afresh`,
    );
}

/** Reads and checks a whole checkpoint for `config`; throws a ConfigError when it is not this run's. */
export function readCheckpoint(path: string, config: RunConfig): Checkpoint {
  const header = readCheckpointHeader(path);
  checkCheckpointHeader(path, header, config);
  const bytes = readFileSync(path);
  const start = MAGIC.length + 4 + bytes.readUInt32LE(MAGIC.length);
  const { paramFloats, logs, nTasks } = header;
  const sizes = [
    4 * paramFloats,
    4 * paramFloats,
    4 * paramFloats,
    8 * logs,
    8 * logs,
    8 * logs,
    8 * logs * nTasks,
    8 * logs * nTasks,
  ];
  const total = sizes.reduce((a, b) => a + b, 0);
  if (bytes.length !== start + total) throw damaged(path, `${bytes.length} bytes, expected ${start + total}`);
  const body = bytes.subarray(start);
  if (createHash('sha256').update(body).digest('hex') !== header.sha256) throw damaged(path, 'checksum');
  // copy each section into its own aligned buffer
  const parts: ArrayBuffer[] = [];
  let off = 0;
  for (const s of sizes) {
    parts.push(body.buffer.slice(body.byteOffset + off, body.byteOffset + off + s) as ArrayBuffer);
    off += s;
  }
  const f64 = (b: ArrayBuffer) => Array.from(new Float64Array(b));
  const rows = (b: ArrayBuffer) => {
    const a = new Float64Array(b);
    const out: number[][] = [];
    for (let i = 0; i < logs; i++) out.push(Array.from(a.subarray(i * nTasks, (i + 1) * nTasks)));
    return out;
  };
  const state: TrainerState = {
    stepsDone: header.stepsDone,
    adamT: header.adamT,
    epoch: header.epoch,
    epochPos: header.epochPos,
    trainSeconds: header.trainSeconds,
    evalSeconds: header.evalSeconds,
    seconds: header.seconds,
    params: new Float32Array(parts[0]),
    adamM: new Float32Array(parts[1]),
    adamV: new Float32Array(parts[2]),
    log: {
      steps: f64(parts[3]),
      meanLoss: f64(parts[4]),
      accuracy: f64(parts[5]),
      subtaskLoss: rows(parts[6]),
      subtaskAccuracy: rows(parts[7]),
    },
  };
  return { header, state };
}

/** The checkpoint of `config` at `path` when one exists (checked), else null. */
export function findCheckpoint(path: string, config: RunConfig): Checkpoint | null {
  if (!existsSync(path)) return null;
  if (!statSync(path).isFile()) throw new ConfigError(`${path} is not a file: move it out of the way`);
  return readCheckpoint(path, config);
}

/** Parses a checkpoint interval: `10m`, `30s`, `500ms`, `1h`, a bare number of seconds, `0` (every step) or `off`. */
export function parseDuration(text: string, name = '--checkpoint-every'): number {
  const t = text.trim().toLowerCase();
  if (t === 'off' || t === 'never') return Infinity;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?$/.exec(t);
  if (!m)
    throw new ConfigError(`${name} must be a duration like 10m, 30s, 500ms, 1h, 0 or off, got '${text}'`);
  const x = Number(m[1]);
  const unit = m[2] ?? 's';
  const scale = unit === 'ms' ? 1e-3 : unit === 's' ? 1 : unit === 'h' ? 3600 : 60;
  return x * scale;
}

/** A preempted run loses at most this much work by default (Slurm's default KillWait is 30 s after SIGTERM). */
export const DEFAULT_CHECKPOINT_EVERY = '5m';
