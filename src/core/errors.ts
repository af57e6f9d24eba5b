/**
 * Bad input from a user: a flag, a config or a file that cannot be used. The CLI prints its message as one
 * line and exits with code 2, before any work starts and without writing output.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Throws a ConfigError unless `ok`. */
export function require(ok: boolean, message: string): asserts ok {
  if (!ok) throw new ConfigError(message);
}

/** Throws unless `x` is an integer in [min, max]. */
export function requireInt(x: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  require(Number.isInteger(x) &&
    x >= min &&
    x <= max, `${name} must be an integer in [${min}, ${max}], got ${x}`);
}

/** Throws unless `x` is a finite number in the open/closed interval given. */
export function requireNumber(
  x: number,
  name: string,
  min = -Infinity,
  max = Infinity,
  minOpen = false,
): void {
  const ok = Number.isFinite(x) && (minOpen ? x > min : x >= min) && x <= max;
  require(ok, `${name} must be a number ${minOpen ? '>' : '>='} ${min}${max < Infinity ? ` and <= ${max}` : ''}, got ${x}`);
}

/**
 * A kernel wrapper's cheap internal precondition: throws a RangeError (a caller's bug, exit 1) unless `x` is an
 * integer in [min, max]. User input is validated once, at the edge, into a validated config (ConfigError,
 * exit 2); below that edge only these asserts remain.
 */
export function assertInt(x: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!(Number.isInteger(x) && x >= min && x <= max)) {
    throw new RangeError(`quanta: ${name} must be an integer in [${min}, ${max}], got ${x}`);
  }
}
