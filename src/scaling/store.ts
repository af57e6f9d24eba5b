// The run store of a sweep: DIR/sweep.json (the plan, recorded once: a different plan into the same folder is
// refused), DIR/runs/<id>.json (one run record each, written atomically, so a file that exists is complete),
// DIR/runs/<id>.ckpt (the checkpoint of a run in flight) and DIR/runs/<id>.claim (who is training it).
// Re-running a sweep skips the runs whose record exists with the planned config; a record made with a different
// config is a conflict and is refused before any work starts. Temporary files of killed writers
// (.<id>.json.<host>.<pid>.<n>.tmp) are ignored, and removed once their writer is known to be gone.
//
// Claims let any number of writers (threads, shards, array tasks on other machines) share one folder on a shared
// file system without training a run twice: a claim file is created exclusively (O_EXCL) before a run is
// trained and removed after its record is written. A claim is stale when its process is gone (same host) or
// its heartbeat (the file's mtime, touched every CLAIM_HEARTBEAT_SECONDS) is older than CLAIM_STALE_SECONDS;
// a stale claim is taken over by renaming it away (only one writer's rename succeeds) and claiming afresh.
import {
  closeSync,
  existsSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { hostTag, processAlive, removeStaleTemps, writeFileAtomic } from '../io/atomic.js';
import { checkCheckpointHeader, readCheckpointHeader } from '../train/checkpoint.js';
import { runConfigDifferences, type RunConfig } from '../train/config.js';
import { isRunRecord, serializeRecord, type RunRecord } from '../train/record.js';
import type { PlannedRun, SweepPlan } from './plan.js';
import { checkOutputsIn } from '../io/output.js';

export type RunStatus = { state: 'done' } | { state: 'missing' } | { state: 'conflict'; reason: string };

/** A claim's heartbeat: the holder touches its claim files this often. */
export const CLAIM_HEARTBEAT_SECONDS = 30;
/** A claim whose heartbeat is older than this is stale, whoever holds it (a holder on another machine). */
export const CLAIM_STALE_SECONDS = 600;

/** What a claim file holds. */
export interface ClaimHolder {
  host: string;
  pid: number;
  token: string;
  since: string;
}

/** A run claimed by this process: release() after its record is written (or when it stops). */
export class Claim {
  constructor(
    readonly path: string,
    readonly token: string,
  ) {}

  /** Touches the claim (its mtime is the heartbeat). */
  beat(): void {
    const now = new Date();
    try {
      utimesSync(this.path, now, now);
    } catch {
      // taken over or removed: nothing to keep alive
    }
  }

  /** Removes the claim, if it is still ours. */
  release(): void {
    const holder = readClaim(this.path);
    if (holder?.token === this.token) rmSync(this.path, { force: true });
  }
}

function readClaim(path: string): ClaimHolder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as ClaimHolder;
    return typeof h?.token === 'string' && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

/** Whether a claim (holder as read, file mtime) is stale; an unreadable young claim is being written. */
export function claimIsStale(holder: ClaimHolder | null, mtimeMs: number, now = Date.now()): boolean {
  const age = (now - mtimeMs) / 1000;
  if (age > CLAIM_STALE_SECONDS) return true;
  if (holder === null) return age > CLAIM_HEARTBEAT_SECONDS;
  return holder.host === hostTag() && !processAlive(holder.pid);
}

function describeHolder(h: ClaimHolder | null): string {
  return h ? `${h.host} pid ${h.pid} since ${h.since}` : 'a writer';
}

/** The first few differences between two JSON values, as `path: a there, b planned`. */
export function jsonDifferences(have: unknown, want: unknown, path = '', out: string[] = []): string[] {
  if (out.length >= 3) return out;
  if (JSON.stringify(have) === JSON.stringify(want)) return out;
  const isObj = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (isObj(have) && isObj(want)) {
    const a = have as Record<string, unknown>;
    const b = want as Record<string, unknown>;
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (key === 'runs' && path === '') continue; // derived from the rest: named only if nothing else differs
      jsonDifferences(a[key], b[key], path ? `${path}.${key}` : key, out);
    }
    if (out.length === 0 && path === '') jsonDifferences(a.runs, b.runs, 'runs', out);
    return out;
  }
  const show = (x: unknown) => {
    const t = JSON.stringify(x) ?? 'nothing';
    return t.length > 60 ? t.slice(0, 57) + '...' : t;
  };
  out.push(`${path || 'the plan'}: ${show(have)} there, ${show(want)} asked`);
  return out;
}

/** Bytes read from the start of a record to find its config (the config comes before the log). */
const HEAD_BYTES = 16384;
/** Bytes read from the end of a record to check that it is whole. */
const TAIL_BYTES = 256;

/** True when two run configs are the same run (every field equal, by value). */
export function sameConfig(a: RunConfig, b: RunConfig): boolean {
  return runConfigDifferences(a, b, 'planned').length === 0;
}

function describeDifference(have: RunConfig, want: RunConfig): string {
  return runConfigDifferences(have, want, 'planned').join(', ');
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

  checkpointPath(id: string): string {
    return join(this.runsDir, `${id}.ckpt`);
  }

  claimPath(id: string): string {
    return join(this.runsDir, `${id}.claim`);
  }

  /**
   * Refuses a plan that differs from the one this folder already holds (exit 2, naming the difference): a
   * folder holds one sweep. Writes nothing.
   */
  checkPlan(plan: SweepPlan): void {
    if (!existsSync(this.planPath)) return;
    let have: unknown;
    try {
      have = JSON.parse(readFileSync(this.planPath, 'utf8'));
    } catch {
      throw new ConfigError(
        `${this.planPath} is not a readable sweep plan: move it away or use another --out`,
      );
    }
    const diffs = jsonDifferences(have, JSON.parse(JSON.stringify(plan)));
    if (diffs.length > 0)
      throw new ConfigError(
        `${this.dir} holds a different sweep (${diffs.join('; ')}): use another --out for this one`,
      );
  }

  /** Refuses checkpoints of the given runs that belong to another run or core (before any work). */
  checkCheckpoints(runs: PlannedRun[]): void {
    for (const run of runs) {
      const path = this.checkpointPath(run.id);
      if (existsSync(path)) checkCheckpointHeader(path, readCheckpointHeader(path), run.config);
    }
  }

  /** Removes temporary files that dead writers left in the store. */
  removeStaleTemps(): string[] {
    return [...removeStaleTemps(this.dir), ...removeStaleTemps(this.runsDir)];
  }

  /**
   * Removes what a writer killed between writing a run's record and tidying up leaves of the given runs, which
   * are done: the checkpoint (obsolete once the record exists) and a stale claim (claimIsStale; no later sweep
   * claims a done run to take it over). A live holder's claim stays (it releases it itself). Returns the
   * paths removed.
   */
  removeLeftovers(ids: string[]): string[] {
    const removed: string[] = [];
    for (const id of ids) {
      const checkpoint = this.checkpointPath(id);
      if (existsSync(checkpoint)) {
        rmSync(checkpoint, { force: true });
        removed.push(checkpoint);
      }
      const path = this.claimPath(id);
      let mtimeMs: number;
      try {
        mtimeMs = statSync(path).mtimeMs;
      } catch {
        continue; // no claim
      }
      if (!claimIsStale(readClaim(path), mtimeMs)) continue;
      rmSync(path, { force: true });
      removed.push(path);
    }
    return removed;
  }

  /**
   * Claims a run for this process, or says who holds it. A stale claim (dead holder, or no heartbeat for
   * CLAIM_STALE_SECONDS) is taken over. Never lets two live writers hold the same run.
   */
  claim(id: string): Claim | { heldBy: string } {
    const path = this.claimPath(id);
    const token = randomBytes(8).toString('hex');
    for (let attempt = 0; attempt < 5; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, 'wx');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let mtimeMs: number;
        try {
          mtimeMs = statSync(path).mtimeMs;
        } catch {
          continue; // released meanwhile: try again
        }
        const holder = readClaim(path);
        if (!claimIsStale(holder, mtimeMs)) return { heldBy: describeHolder(holder) };
        // take the stale claim over: only one writer's rename succeeds
        const moved = `${path}.${hostTag()}.${process.pid}.${token}.stale`;
        try {
          renameSync(path, moved);
        } catch {
          continue;
        }
        const movedHolder = readClaim(moved);
        if (holder !== null && movedHolder?.token !== holder.token) {
          // a fresh claim replaced the stale one between our read and our rename: give it back
          try {
            linkSync(moved, path);
          } catch {
            // someone claimed meanwhile; they hold it
          }
          rmSync(moved, { force: true });
          return { heldBy: describeHolder(movedHolder) };
        }
        rmSync(moved, { force: true });
        continue;
      }
      const holder: ClaimHolder = {
        host: hostTag(),
        pid: process.pid,
        token,
        since: new Date().toISOString(),
      };
      try {
        writeSync(fd, JSON.stringify(holder) + '\n');
      } finally {
        closeSync(fd);
      }
      return new Claim(path, token);
    }
    return { heldBy: describeHolder(readClaim(path)) };
  }

  /** Refuses an output folder that cannot hold a sweep (a file in the way). Writes nothing. */
  checkWritable(): void {
    checkOutputsIn(this.dir, ['sweep.json'], ['runs']);
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
    mkdirSync(this.runsDir, { recursive: true });
    if (existsSync(this.planPath)) {
      this.checkPlan(plan);
      return;
    }
    // the first writer records the plan; a concurrent first writer's link fails and its plan is compared
    const tmp = join(this.dir, `.sweep.json.${hostTag()}.${process.pid}.0.tmp`);
    writeFileAtomic(tmp, JSON.stringify(plan, null, 1) + '\n');
    try {
      linkSync(tmp, this.planPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      this.checkPlan(plan);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  readPlan(): SweepPlan | null {
    if (!existsSync(this.planPath)) return null;
    return JSON.parse(readFileSync(this.planPath, 'utf8')) as SweepPlan;
  }

  /** Writes a run's record (serializeRecord: 6 significant digits, one line per log entry) atomically. */
  writeRecord(id: string, record: RunRecord): void {
    writeFileAtomic(this.recordPath(id), serializeRecord(record));
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
    let path = this.recordPath(run.id);
    // a record committed compressed (<id>.json.gz) counts as done too
    if (!existsSync(path) && existsSync(path + '.gz')) path += '.gz';
    if (!existsSync(path)) return { state: 'missing' };
    const config = path.endsWith('.gz') ? readCompressedRecordConfig(path) : readRecordConfig(path);
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

/** The config of a gzipped record file, or undefined when it is not a whole run record. */
function readCompressedRecordConfig(path: string): RunConfig | undefined {
  try {
    const r: unknown = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'));
    return isRunRecord(r) && typeof r.createdAt === 'string' ? r.config : undefined;
  } catch {
    return undefined;
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
  const m = /^\{\s*"kind"\s*:\s*"quanta-run"[\s\S]*?"config"\s*:\s*(\{(?:[^{}]|\{[^{}]*\})*\})/.exec(head);
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
