/**
 * `--zeek-log DIR`: Zeek's conn.log and weird.log in Zeek's ASCII (TSV) form, so that `zeek-cut`
 * and every tool that reads Zeek logs read ackscope's. The values come from the analysis' Zeek
 * model (src/analyze/zeek.ts); this module only lays them out as Zeek's ASCII writer does
 * (logging/writers/ascii/Ascii.cc, threading/formatters/Ascii.cc): the `#` header lines, a tab
 * between fields, `-` for unset, `(empty)` for an empty set or string, times with 6 decimals.
 *
 * Deterministic, so that golden files hold: the uid is derived from the stream number and the
 * connection's 4-tuple and start time (Zeek's is random); `#open` and `#close` are the capture's
 * first and last packet times in UTC (Zeek writes the wall-clock time of the run).
 *
 * Rows are written as connections end (Zeek, too, writes conn.log in removal order, not by ts);
 * memory holds one output chunk, not the log.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { formatIPv4, formatIPv6 } from '../capture/addr.js';
import { ExitCode, UserError } from '../capture/errors.js';
import type { Connection } from '../analyze/connection.js';
import type { ZeekWeird } from '../analyze/zeek.js';
import type { ConnectionEnd, Epoch, RunEnd, Sink } from './sink.js';

export const CONN_FIELDS = [
  ['ts', 'time'],
  ['uid', 'string'],
  ['id.orig_h', 'addr'],
  ['id.orig_p', 'port'],
  ['id.resp_h', 'addr'],
  ['id.resp_p', 'port'],
  ['proto', 'enum'],
  ['service', 'string'],
  ['duration', 'interval'],
  ['orig_bytes', 'count'],
  ['resp_bytes', 'count'],
  ['conn_state', 'string'],
  ['local_orig', 'bool'],
  ['local_resp', 'bool'],
  ['missed_bytes', 'count'],
  ['history', 'string'],
  ['orig_pkts', 'count'],
  ['orig_ip_bytes', 'count'],
  ['resp_pkts', 'count'],
  ['resp_ip_bytes', 'count'],
  ['tunnel_parents', 'set[string]'],
  ['ip_proto', 'count'],
] as const;

export const WEIRD_FIELDS = [
  ['ts', 'time'],
  ['uid', 'string'],
  ['id.orig_h', 'addr'],
  ['id.orig_p', 'port'],
  ['id.resp_h', 'addr'],
  ['id.resp_p', 'port'],
  ['name', 'string'],
  ['addl', 'string'],
  ['notice', 'bool'],
  ['peer', 'string'],
  ['source', 'string'],
] as const;

/**
 * Zeek's default weird actions (base/frameworks/notice/weird.zeek) for the names the TCP model
 * raises: ACTION_IGNORE names never reach weird.log, LOG_PER_ORIG ones are logged once per
 * originator host, NOTICE_PER_ORIG ones once per originator with notice=T. Every other name is
 * logged once per connection.
 */
const IGNORED = new Set(['unsolicited_SYN_response', 'spontaneous_FIN', 'spontaneous_RST', 'FIN_after_reset']);
const PER_ORIG = new Set(['bad_TCP_checksum', 'connection_originator_SYN_ack', 'SYN_with_data', 'FIN_storm', 'SYN_after_partial']);
const NOTICE = new Set(['FIN_storm', 'SYN_after_partial']);

/** What ackscope calls itself in weird.log's `peer` and, for its own findings, `source`. */
const ACKSCOPE = 'ackscope';
const CHUNK = 1 << 16;

class LogFile {
  private fd = -1;
  private buf = '';
  private headerDone = false;

  constructor(private readonly path: string, private readonly name: string, private readonly fields: readonly (readonly [string, string])[]) {}

  open(): void {
    try {
      this.fd = openSync(this.path, 'w');
    } catch (e) {
      throw new UserError(`--zeek-log: cannot write ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ExitCode.CantCreate);
    }
  }

  header(openTime: string): void {
    if (this.headerDone) return;
    this.headerDone = true;
    this.buf +=
      `#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t${this.name}\n#open\t${openTime}\n` +
      `#fields\t${this.fields.map((f) => f[0]).join('\t')}\n#types\t${this.fields.map((f) => f[1]).join('\t')}\n`;
  }

  row(values: readonly string[]): void {
    this.buf += values.join('\t') + '\n';
    if (this.buf.length >= CHUNK) this.flush();
  }

  close(openTime: string, closeTime: string): void {
    this.header(openTime);
    this.buf += `#close\t${closeTime}\n`;
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, this.buf);
    this.buf = '';
  }
}

export class ZeekLogSink implements Sink {
  readonly wantsPackets = false;
  private readonly conn: LogFile;
  private readonly weird: LogFile;
  private epoch: Epoch | null = null;
  /** Latest packet time of any logged connection (seconds since the capture's first packet). */
  private lastTime = 0;
  /** Originator hosts a LOG_PER_ORIG weird name was already logged for: `name orig_h`. */
  private readonly perOrig = new Set<string>();

  constructor(dir: string) {
    try {
      // Not recursive: Node's recursive mkdir can spin on paths such as /proc/x; the parent must exist.
      mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UserError(`--zeek-log: cannot create directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ExitCode.CantCreate);
    }
    this.conn = new LogFile(join(dir, 'conn.log'), 'conn', CONN_FIELDS);
    this.weird = new LogFile(join(dir, 'weird.log'), 'weird', WEIRD_FIELDS);
    this.conn.open();
    this.weird.open();
  }

  connectionEnd(e: ConnectionEnd): void {
    const epoch = (this.epoch ??= e.epoch);
    const open = zeekDate(epoch, 0);
    this.conn.header(open);
    this.weird.header(open);
    const c = e.conn;
    const z = c.zeek;
    if (c.lastTime > this.lastTime) this.lastTime = c.lastTime;
    const uid = connUid(c, epoch);
    const [oh, op, rh, rp] = ids(c, z.origDir);
    const dur = z.duration;
    // main.zeek set_conn: duration and the byte counts only when the duration is positive.
    const timed = dur > 0;
    this.conn.row([
      zeekTime(epoch, z.startTime),
      uid,
      oh,
      op,
      rh,
      rp,
      'tcp',
      '-',
      timed ? dur.toFixed(6) : '-',
      timed ? String(z.orig.size(z.resp)) : '-',
      timed ? String(z.resp.size(z.orig)) : '-',
      z.connState(),
      '-',
      '-',
      String(z.missedBytes),
      z.history === '' ? '-' : escape(z.history),
      String(z.origPkts),
      String(z.origIpBytes),
      String(z.respPkts),
      String(z.respIpBytes),
      '-',
      '6',
    ]);
    if (z.weirds !== null) for (const w of z.weirds) this.zeekWeird(c, uid, epoch, w);
    if (c.findings !== null) {
      // ackscope's own findings, alongside Zeek's names: source `ackscope`, the explanation in addl.
      const [fh, fp, gh, gp] = ids(c, z.origDir);
      c.findings.forEach((f, i) => {
        const t = c.findingTimes?.[i] ?? c.firstTime;
        this.weird.row([zeekTime(epoch, t), uid, fh, fp, gh, gp, f.kind, escape(`frame ${f.frame}, by the ${f.by}: ${f.explain}`), 'F', ACKSCOPE, ACKSCOPE]);
      });
    }
  }

  private zeekWeird(c: Connection, uid: string, epoch: Epoch, w: ZeekWeird): void {
    if (IGNORED.has(w.name)) return;
    const [oh, op, rh, rp] = ids(c, w.origDir);
    if (PER_ORIG.has(w.name)) {
      const key = `${w.name} ${oh}`;
      if (this.perOrig.has(key)) return;
      this.perOrig.add(key);
    }
    this.weird.row([zeekTime(epoch, w.time), uid, oh, op, rh, rp, w.name, w.addl === '' ? '-' : escape(w.addl), NOTICE.has(w.name) ? 'T' : 'F', ACKSCOPE, w.source === '' ? '-' : w.source]);
  }

  end(run: RunEnd): void {
    const epoch = this.epoch ?? run.epoch ?? { sec: 0, nsec: 0 };
    const open = zeekDate(epoch, 0);
    const close = zeekDate(epoch, this.lastTime);
    this.conn.close(open, close);
    this.weird.close(open, close);
  }
}

/** [orig_h, orig_p, resp_h, resp_p] with the originator on capture side `origDir` (0: A, the first sender). */
function ids(c: Connection, origDir: 0 | 1): [string, string, string, string] {
  const a = c.ipVersion === 4 ? formatIPv4(c.a4) : formatIPv6(c.a6!);
  const b = c.ipVersion === 4 ? formatIPv4(c.b4) : formatIPv6(c.b6!);
  return origDir === 0 ? [a, String(c.pa), b, String(c.pb)] : [b, String(c.pb), a, String(c.pa)];
}

/** A capture time (seconds after the first packet) as Zeek's `time`: epoch seconds, 6 decimals. */
export function zeekTime(epoch: Epoch, t: number): string {
  const us = Math.round(epoch.nsec / 1000 + t * 1e6);
  const sec = epoch.sec + Math.floor(us / 1e6);
  const frac = us - Math.floor(us / 1e6) * 1e6;
  return `${sec}.${String(frac).padStart(6, '0')}`;
}

/** `#open`/`#close` stamp, %Y-%m-%d-%H-%M-%S, in UTC. */
export function zeekDate(epoch: Epoch, t: number): string {
  const d = new Date(Math.floor((epoch.sec + epoch.nsec / 1e9 + t) * 1000));
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(x: number): string {
  let s = '';
  x >>>= 0;
  do {
    s = BASE62[x % 62]! + s;
    x = Math.floor(x / 62);
  } while (x > 0);
  return s;
}

/** FNV-1a over a string, from a given basis. */
function fnv(s: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Zeek-shaped uid (`C` + base62 of 96 bits, words unpadded), but deterministic: a hash of the stream
 * number, the 4-tuple as first seen and the start time, so the same capture always gives the same uids.
 */
export function connUid(c: Connection, epoch: Epoch): string {
  const [ah, ap, bh, bp] = ids(c, 0);
  const key = `${c.stream}|${ah}|${ap}|${bh}|${bp}|${zeekTime(epoch, c.firstTime)}`;
  return `C${base62(fnv(key, 0x811c9dc5))}${base62(fnv(key, 0x01234567))}${base62(fnv(key, 0x9e3779b9))}`;
}

/**
 * A value as Zeek's ASCII writer prints it: the separator, other control bytes, backslash and
 * bytes above 0x7e as \xHH (UTF-8 bytes one by one); the empty string as `(empty)`.
 */
export function escape(s: string): string {
  if (s === '') return '(empty)';
  if (/^[\x20-\x5b\x5d-\x7e]*$/.test(s)) return s;
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    out += byte < 0x20 || byte > 0x7e || byte === 0x5c ? `\\x${byte.toString(16).padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}
