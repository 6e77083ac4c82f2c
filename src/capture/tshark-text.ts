/**
 * One tshark summary line as a plain record, for the seed-trace builder (src/repro/seed-traces.ts):
 *   `  11   0.203543     10.0.2.2 -> 10.0.2.15    TCP 54 [TCP ACKed lost segment] 54143 > 19622 [ACK] Seq=42 Ack=76 Win=65535 Len=0`
 * A thin view over the text-input reader (text/tshark.ts). Lines that are not TCP summaries give
 * null. A line whose Info was replaced (`[TCP segment of a reassembled PDU]`) comes back with
 * `info: false` and only what the columns say.
 */
import { TCP_FLAG_NAMES, TcpFlag, type TcpFlagName } from './tcp-packet.js';
import { parseTsharkRow } from './text/tshark.js';

export interface TsharkLine {
  frame: number | null;
  time: number;
  src: string;
  dst: string;
  frameLen: number;
  /** Bracket labels before the ports, e.g. `TCP Dup ACK 11#1`. */
  labels: string[];
  /** False when the line carries no ports/flags/numbers (a higher layer replaced Info). */
  info: boolean;
  sport: number;
  dport: number;
  flags: TcpFlagName[];
  seq: number;
  ack: number | null;
  win: number;
  len: number;
  options: { mss?: number; ws?: number; sackPerm?: boolean; tsval?: number; tsecr?: number };
}

export function parseTsharkLine(line: string): TsharkLine | null {
  const r = parseTsharkRow(line, 0);
  if (r === null || r.kind === 'other' || r.kind === 'bad') return null;
  const time = r.time ? r.time.sec + r.time.nsec / 1e9 : 0;
  if (r.kind === 'partial') {
    return { frame: r.frame, time, src: r.src, dst: r.dst, frameLen: r.frameLen, labels: ['TCP segment of a reassembled PDU'], info: false, sport: 0, dport: 0, flags: [], seq: 0, ack: null, win: 0, len: 0, options: {} };
  }
  const o = r.options;
  return {
    frame: r.frame,
    time,
    src: r.src,
    dst: r.dst,
    frameLen: r.frameLen ?? 0,
    labels: r.labels,
    info: true,
    sport: r.sport,
    dport: r.dport,
    flags: TCP_FLAG_NAMES.filter((n) => r.flags & TcpFlag[n]),
    seq: r.seq ?? 0,
    ack: r.ack,
    win: r.win,
    len: r.len,
    options: { mss: o.mss, ws: o.wsShift !== undefined ? 2 ** o.wsShift : undefined, sackPerm: o.sackPerm, tsval: o.tsval, tsecr: o.tsecr },
  };
}
