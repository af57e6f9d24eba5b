// Names read from files (a run record's weights file, a family's loss matrices) are joined to the folder that
// holds the file; they must name something inside that folder. A name that climbs out (`../x`), is absolute,
// or is not a plain string is refused before anything is read.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../core/errors.js';

/** `folder/name`, refused with a ConfigError unless it stays inside `folder`. `what` says where the name came from. */
export function insideFolder(folder: string, name: unknown, what: string): string {
  if (typeof name !== 'string' || name === '' || name.includes('\0'))
    throw new ConfigError(`${what} must be a file name, got ${JSON.stringify(name)}`);
  const root = resolve(folder);
  const path = resolve(root, name);
  const rel = relative(root, path);
  if (isAbsolute(name) || rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel))
    throw new ConfigError(`${what} '${name}' points outside ${root}: refused`);
  return path;
}
