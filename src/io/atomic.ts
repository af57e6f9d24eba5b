// Atomic file output: write a temporary file beside the target, then rename it over the target, so a reader
// (or a killed run) never sees a half-written file. A temporary file is named `.<target>.<host>.<pid>.<n>.tmp`,
// so a later run can tell whose it is and remove those of dead writers (removeStaleTemps).
import { hostname } from 'node:os';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

let counter = 0;

/** A host name safe inside a file name (dots would make the temp name ambiguous). */
export function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9_-]/g, '_') || 'host';
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${hostTag()}.${process.pid}.${counter++}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 1) + '\n');
}

/** Whether a process of this host is alive (signal 0 probes without signalling; EPERM means it exists). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temp files of other hosts are removed once this old (their writer cannot be probed from here). */
export const FOREIGN_TEMP_SECONDS = 24 * 3600;

/**
 * Removes the temporary files that killed writers left in `dir` (only those whose target starts with
 * `prefix`, when given): this host's whose process is gone, other hosts' older than a day. Returns their names.
 */
export function removeStaleTemps(dir: string, prefix = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const me = hostTag();
  const removed: string[] = [];
  for (const name of names) {
    const m = /^\.(.+)\.([A-Za-z0-9_-]+)\.(\d+)\.(\d+)\.tmp$/.exec(name);
    if (!m || !m[1].startsWith(prefix)) continue;
    const [, , host, pid] = m;
    const path = join(dir, name);
    let stale: boolean;
    if (host === me) stale = !processAlive(Number(pid));
    else {
      try {
        stale = (Date.now() - statSync(path).mtimeMs) / 1000 > FOREIGN_TEMP_SECONDS;
      } catch {
        continue;
      }
    }
    if (stale) {
      rmSync(path, { force: true });
      removed.push(name);
    }
  }
  return removed;
}
