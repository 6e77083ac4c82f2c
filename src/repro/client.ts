/**
 * The reproducer's client: sends the program, reads the preamble line, half-closes its write side
 * (shutdown(SHUT_WR), Go's CloseWrite), copies the rest to `out`, and reports whether every
 * expected byte arrived.
 */
import { connect } from 'node:net';
import { ExitCode, UserError } from '../capture/errors.js';
import type { Logger } from './log.js';
import { encodeProgram, type Program } from './program.js';

export interface ClientOptions {
  host: string;
  port: number;
  program: Program;
  /** Wait this long after the preamble before half-closing. */
  closeDelayMs: number;
  /** Give up this long after connecting, reporting what arrived (exit 1). */
  timeoutMs: number;
  out: NodeJS.WritableStream;
  log: Logger;
}

export const CLIENT_DEFAULTS = { host: '127.0.0.1', port: 19622, closeDelayMs: 0 } as const;

/** The default --timeout: the program's own duration plus 10 s. */
export function defaultTimeoutMs(p: Program): number {
  return p.initialDelay + p.burstDelay * p.burstCount + 10_000;
}

export interface ClientResult {
  code: number;
  copied: number;
  expected: number;
}

export function runClient(o: ClientOptions): Promise<ClientResult> {
  const expected = o.program.burstSize * o.program.burstCount;
  return new Promise((resolve, reject) => {
    let connected = false;
    let preambleLeft = o.program.preambleSize;
    let copied = 0;
    let done = false;
    const sock = connect({ host: o.host, port: o.port, allowHalfOpen: true });
    sock.setNoDelay(true);
    const finish = (why?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (why) o.log(why);
      o.log(`copied ${copied} bytes of ${expected} expected`);
      sock.destroy();
      resolve({ code: copied === expected ? ExitCode.Ok : ExitCode.Failure, copied, expected });
    };
    const timer = setTimeout(() => finish(`timed out after ${o.timeoutMs} ms`), o.timeoutMs);
    const halfClose = (): void => {
      setTimeout(() => {
        if (done) return;
        sock.end();
        o.log('closed write end of connection');
      }, o.closeDelayMs);
    };
    sock.on('connect', () => {
      connected = true;
      sock.write(encodeProgram(o.program));
      if (preambleLeft === 0) halfClose();
    });
    sock.on('data', (chunk: Buffer) => {
      let rest = chunk;
      if (preambleLeft > 0) {
        // The preamble is one line: up to its newline, or preamble-size bytes.
        const nl = rest.indexOf(0x0a);
        const take = Math.min(preambleLeft, nl >= 0 ? nl + 1 : rest.length);
        preambleLeft = nl >= 0 && nl < preambleLeft ? 0 : preambleLeft - take;
        rest = rest.subarray(take);
        if (preambleLeft === 0) halfClose();
      }
      if (rest.length) {
        copied += rest.length;
        o.out.write(rest);
      }
    });
    sock.on('end', () => finish());
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (!connected) {
        clearTimeout(timer);
        done = true;
        const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ETIMEDOUT' ? 'timed out' : e.message;
        reject(new UserError(`cannot reach the server at ${o.host}:${o.port}: ${why}`, ExitCode.Unreachable));
        return;
      }
      finish(`connection error: ${e.message}`);
    });
    sock.on('close', () => finish());
  });
}
