// The run store of a sweep: DIR/sweep.json (the plan) and DIR/runs/<id>.json (one run record each, written
// atomically, so a file that exists is complete). Re-running a sweep skips the runs whose record exists with the
// planned config; a record made with a different config is a conflict (a different sweep in the same folder) and
// is refused before any work starts. Temporary files of killed writers (.<id>.json.<pid>.<n>.tmp) are ignored.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { writeJsonAtomic } from '../io/atomic.js';
import type { RunConfig } from '../train/config.js';
import { isRunRecord, type RunRecord } from '../train/record.js';
import { compactRecord } from '../train/summary.js';
import type { PlannedRun, SweepPlan } from './plan.js';

export type RunStatus = { state: 'done' } | { state: 'missing' } | { state: 'conflict'; reason: string };

/** Bytes read from the start of a record to find its config (the config comes before the log). */
const HEAD_BYTES = 16384;
/** Bytes read from the end of a record to check that it is whole. */
const TAIL_BYTES = 256;

/** True when two run configs are the same run (every field equal). */
export function sameConfig(a: RunConfig, b: RunConfig): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if ((a as unknown as Record<string, unknown>)[key] !== (b as unknown as Record<string, unknown>)[key])
      return false;
  }
  return true;
}

function describeDifference(have: RunConfig, want: RunConfig): string {
  const keys = new Set([...Object.keys(have), ...Object.keys(want)]);
  const diffs: string[] = [];
  for (const key of keys) {
    const h = (have as unknown as Record<string, unknown>)[key];
    const w = (want as unknown as Record<string, unknown>)[key];
    if (h !== w) diffs.push(`${key} ${JSON.stringify(h)} there, ${JSON.stringify(w)} planned`);
  }
  return diffs.join(', ');
}

export class SweepStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  get planPath(): string {
    return join(this.dir, 'sweep.json');
  }

  get runsDir(): string {
    return join(this.dir, 'runs');
  }

  recordPath(id: string): string {
    return join(this.runsDir, `${id}.json`);
  }

  /** Refuses an output folder that cannot hold a sweep (a file in the way). Writes nothing. */
  checkWritable(): void {
    for (const p of [this.dir, this.runsDir]) {
      if (existsSync(p) && !statSync(p).isDirectory())
        throw new ConfigError(`${p} exists and is not a folder: choose another --out`);
    }
    if (existsSync(this.planPath) && statSync(this.planPath).isDirectory())
      throw new ConfigError(`${this.planPath} is a folder: choose another --out`);
  }

  /**
   * Writes sweep.json atomically. Its content is a pure function of the plan (no shard, worker count or time),
   * so every shard of a sweep writes the same bytes.
   */
  writePlan(plan: SweepPlan): void {
    writeJsonAtomic(this.planPath, plan);
  }

  readPlan(): SweepPlan | null {
    if (!existsSync(this.planPath)) return null;
    return JSON.parse(readFileSync(this.planPath, 'utf8')) as SweepPlan;
  }

  /** Writes a run's record (compacted: 6 significant digits) atomically. */
  writeRecord(id: string, record: RunRecord): void {
    writeJsonAtomic(this.recordPath(id), compactRecord(record));
  }

  /** The whole record, or null when it is missing or unreadable. */
  readRecord(id: string): RunRecord | null {
    const path = this.recordPath(id);
    if (!existsSync(path)) return null;
    try {
      const r: unknown = JSON.parse(readFileSync(path, 'utf8'));
      return isRunRecord(r) ? r : null;
    } catch {
      return null;
    }
  }

  /**
   * Whether a planned run is done, without parsing the whole record (paper-sized records are tens of MB): the
   * config is read from the head of the file and its end is checked. A file that cannot be read this way is
   * parsed in full; an unreadable file counts as missing (it is re-run and replaced).
   */
  status(run: PlannedRun): RunStatus {
    const path = this.recordPath(run.id);
    if (!existsSync(path)) return { state: 'missing' };
    const config = readRecordConfig(path);
    if (config === undefined) return { state: 'missing' };
    if (!sameConfig(config, run.config)) {
      return {
        state: 'conflict',
        reason: `${path} was made with a different config (${describeDifference(config, run.config)})`,
      };
    }
    return { state: 'done' };
  }

  /**
   * Statuses of all runs; throws a ConfigError naming the first conflict (a different sweep already in this
   * folder), before anything is written.
   */
  statuses(runs: PlannedRun[]): Map<string, RunStatus> {
    const out = new Map<string, RunStatus>();
    for (const run of runs) {
      const s = this.status(run);
      if (s.state === 'conflict') {
        throw new ConfigError(`${s.reason}: use another --out, or delete the old records`);
      }
      out.set(run.id, s);
    }
    return out;
  }
}

/** The config of a whole record file, or undefined when the file is not a whole run record. */
export function readRecordConfig(path: string): RunConfig | undefined {
  let head: string;
  let tail: string;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const h = Buffer.alloc(Math.min(HEAD_BYTES, size));
    readSync(fd, h, 0, h.length, 0);
    const t = Buffer.alloc(Math.min(TAIL_BYTES, size));
    readSync(fd, t, 0, t.length, size - t.length);
    head = h.toString('utf8');
    tail = t.toString('utf8');
  } finally {
    closeSync(fd);
  }
  const whole = /"createdAt"\s*:\s*"[^"]*"\s*\}\s*$/.test(tail);
  const m = /^\{\s*"kind"\s*:\s*"quanta-run"[\s\S]*?"config"\s*:\s*(\{[^{}]*\})/.exec(head);
  if (whole && m) {
    try {
      return JSON.parse(m[1]) as RunConfig;
    } catch {
      // fall through to a full parse
    }
  }
  try {
    const r: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isRunRecord(r) && typeof r.createdAt === 'string' ? r.config : undefined;
  } catch {
    return undefined;
  }
}
