/**
 * Parses tshark's one-line packet summaries, the text people paste into tickets:
 *   `  11   0.203543     10.0.2.2 -> 10.0.2.15    TCP 54 [TCP ACKed lost segment] 54143 > 19622 [ACK] Seq=42 Ack=76 Win=65535 Len=0`
 * Old (`->`, `>`) and new (`→`) arrows both work; the frame number column is optional. Lines that
 * are not TCP summaries give null. A line whose Info was replaced (`[TCP segment of a reassembled
 * PDU]`) comes back with `info: false` and only what the columns say.
 */
import type { TcpFlagName } from './tcp-packet.js';

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

const HEAD = /^\s*(?:(\d+)\s+)?(\d+\.\d+)\s+(\S+)\s+(?:->|→)\s+(\S+)\s+TCP\s+(\d+)\s*(.*)$/;
const FLAG_NAMES = new Set(['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE']);

export function parseTsharkLine(line: string): TsharkLine | null {
  const m = HEAD.exec(line);
  if (!m) return null;
  let rest = m[6] ?? '';
  const labels: string[] = [];
  for (let l = /^\[([^\]]*)\]\s*/.exec(rest); l && !FLAG_NAMES.has((l[1] ?? '').split(',')[0]!.trim()); l = /^\[([^\]]*)\]\s*/.exec(rest)) {
    labels.push(l[1]!);
    rest = rest.slice(l[0].length);
  }
  const out: TsharkLine = {
    frame: m[1] !== undefined ? Number(m[1]) : null,
    time: Number(m[2]),
    src: m[3]!,
    dst: m[4]!,
    frameLen: Number(m[5]),
    labels,
    info: false,
    sport: 0,
    dport: 0,
    flags: [],
    seq: 0,
    ack: null,
    win: 0,
    len: 0,
    options: {},
  };
  const p = /^(\d+)\s+(?:>|→)\s+(\d+)\s+\[([^\]]*)\]\s*(.*)$/.exec(rest);
  if (!p) return out;
  out.info = true;
  out.sport = Number(p[1]);
  out.dport = Number(p[2]);
  out.flags = p[3]!.split(',').map((x) => x.trim()).filter((x): x is TcpFlagName => FLAG_NAMES.has(x));
  for (const kv of p[4]!.split(/\s+/)) {
    const [k, v] = kv.split('=');
    const n = Number(v);
    switch (k) {
      case 'Seq': out.seq = n; break;
      case 'Ack': out.ack = n; break;
      case 'Win': out.win = n; break;
      case 'Len': out.len = n; break;
      case 'MSS': out.options.mss = n; break;
      case 'WS': out.options.ws = n; break;
      case 'SACK_PERM': out.options.sackPerm = true; break;
      case 'TSval': out.options.tsval = n; break;
      case 'TSecr': out.options.tsecr = n; break;
      default: break;
    }
  }
  return out;
}
