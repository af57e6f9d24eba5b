// Output locations are checked before any work starts (issue: "every output path checked before the work"):
// the target must be of the right kind (a file target is not a folder or a dangling link; a folder target is
// not a file), every existing ancestor must be a folder, and the nearest existing folder must really accept a
// new entry. That last check is a probe (a temporary folder made and removed at once), because permission bits
// do not tell: root ignores them, read-only mounts and /proc refuse anyway (and Node 20's recursive mkdir
// spins forever under /proc). Failures are ConfigErrors: one line, exit 2, nothing written.
import { lstatSync, mkdtempSync, rmdirSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** Reasons a probe fails, said the way a user fixes them. */
function probeError(folder: string, e: unknown, flag: string): ConfigError {
  const code = (e as NodeJS.ErrnoException).code ?? 'error';
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'is not writable'
      : code === 'EROFS'
        ? 'is on a read-only file system'
        : code === 'ENOSPC'
          ? 'has no space left'
          : `does not accept new files (${code})`;
  return new ConfigError(`${flag}: ${folder} ${why}: choose another location`);
}

/** The nearest existing ancestor of `path` (itself included), checked to be a folder that accepts entries. */
function checkNearestFolder(path: string, flag: string): void {
  let p = path;
  for (;;) {
    const st = statOrNull(p);
    if (st !== null) {
      if (!st.isDirectory())
        throw new ConfigError(`${flag}: ${p} is a file, not a folder: choose another location`);
      try {
        rmdirSync(mkdtempSync(join(p, '.quanta-probe-')));
      } catch (e) {
        throw probeError(p, e, flag);
      }
      return;
    }
    const link = lstatOrNull(p);
    if (link?.isSymbolicLink())
      throw new ConfigError(`${flag}: ${p} is a symbolic link to nothing: choose another location`);
    const parent = dirname(p);
    if (parent === p) throw new ConfigError(`${flag}: no existing folder above ${path}`);
    p = parent;
  }
}

/** Checks that a file can be written at `path` (creating its folders as needed); returns it resolved. */
export function checkOutputFile(path: string, flag = '--out'): string {
  const p = resolve(path);
  const st = statOrNull(p);
  if (st?.isDirectory()) throw new ConfigError(`${flag}: ${p} is a folder; give a file name`);
  // a device, FIFO or socket (/dev/null, a named pipe) would be replaced by the atomic rename: refused
  if (st !== null && !st.isFile())
    throw new ConfigError(`${flag}: ${p} is not a regular file (a device, pipe or socket): give a file name`);
  if (st === null && lstatOrNull(p)?.isSymbolicLink())
    throw new ConfigError(`${flag}: ${p} is a symbolic link to nothing: choose another location`);
  checkNearestFolder(dirname(p), flag);
  return p;
}

/** Checks that a folder can hold output at `path` (made as needed); returns it resolved. */
export function checkOutputFolder(path: string, flag = '--out'): string {
  const p = resolve(path);
  const st = statOrNull(p);
  if (st !== null && !st.isDirectory()) throw new ConfigError(`${flag}: ${p} is a file, not a folder`);
  if (st === null && lstatOrNull(p)?.isSymbolicLink())
    throw new ConfigError(`${flag}: ${p} is a symbolic link to nothing: choose another location`);
  checkNearestFolder(p, flag);
  return p;
}

/** Checks each file name inside `folder` (e.g. fits.json, report.html) is not in the way as a folder. */
export function checkOutputsIn(
  folder: string,
  files: string[],
  folders: string[] = [],
  flag = '--out',
): void {
  checkOutputFolder(folder, flag);
  for (const f of files) checkOutputFile(join(folder, f), flag);
  for (const d of folders) checkOutputFolder(join(folder, d), flag);
}
