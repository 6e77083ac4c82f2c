import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExitCode, UserError } from '../capture/errors.js';

/** node:util parseArgs, strict, with mistakes turned into a one-line usage error (exit 64). */
export function parseOrUsage<T extends ParseArgsConfig>(config: T, command: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ ...config, strict: true });
  } catch (e) {
    throw new UserError(`${command}: ${(e as Error).message} (see ackscope ${command} --help)`, ExitCode.Usage);
  }
}

/** A non-negative integer option, or a usage error naming it. */
export function intOption(name: string, v: string | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UserError(`--${name} takes a whole number, not '${v}'`, ExitCode.Usage);
  const n = Number(v);
  if (n < min || n > max) throw new UserError(`--${name} must be between ${min} and ${max}`, ExitCode.Usage);
  return n;
}

export function numberOption(name: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UserError(`--${name} takes a number >= ${min}, not '${v}'`, ExitCode.Usage);
  return n;
}
