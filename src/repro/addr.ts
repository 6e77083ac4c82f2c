import { ExitCode, UserError } from '../capture/errors.js';

/** `host:port` or `[v6]:port`. */
export function parseAddr(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]*):(\d+)$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new UserError(`--addr takes HOST:PORT (or [IPv6]:PORT), not '${s}'`, ExitCode.Usage);
  return { host: m[1] || '0.0.0.0', port };
}
