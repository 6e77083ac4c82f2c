/**
 * tshark's one-line packet summaries (`tshark -r f.pcap`) and Wireshark's packet-list export, as
 * people paste them:
 *   `  11   0.203543     10.0.2.2 -> 10.0.2.15    TCP 54 [TCP ACKed lost segment] 54143 > 19622 [ACK] Seq=42 Ack=76 Win=65535 Len=0`
 * Every `-t` time format; frame number optional; `→`, `->` or no arrow between the addresses;
 * `→`, `->` or `>` between the ports; bracketed analysis labels before the ports; TCP options
 * `MSS= WS= SACK_PERM TSval= TSecr= SLE= SRE=`. A line whose Protocol column is not TCP is an
 * {@link OtherRow} (tshark may have decoded a TCP segment as HTTP or SSH: that line has no TCP fields).
 */
import { TcpFlag, type TcpFlagName } from '../tcp-packet.js';
import { MAX_PAYLOAD, type Row, type TcpRow, U32 } from './rows.js';
import { parseTime, TIME_SOURCE } from './time.js';

const HEAD = new RegExp(
  String.raw`^\s*(?:(\d+)\s+)?(?:(${TIME_SOURCE})\s+)?(\S+)\s+(?:(?:→|->)\s+)?(\S+)\s+([A-Za-z][\w.\-/+]*)\s+(\d+)(?:\s+(.*?))?\s*$`,
);
const PORT = String.raw`(?:[\w-]+\()?(\d+)\)?`;
const PORTS = new RegExp(String.raw`^${PORT}\s+(?:→|->|>)\s+${PORT}\s+\[([^\]]*)\]\s*(.*)$`);
const LABEL = /^\[([^\]]*)\]\s*/;

/** Does the line start like a tshark summary line (frame, time, addresses, protocol, length)? */
export function looksLikeTshark(line: string): boolean {
  const m = HEAD.exec(line);
  return m !== null && (m[3]!.includes('.') || m[3]!.includes(':')) && (m[2] === undefined ? m[1] !== undefined : parseTime(m[2]) !== null);
}

/** Read one line; null for a line that is not a packet summary (prose, headings, blank). */
export function parseTsharkRow(text: string, line: number): Row | null {
  const m = HEAD.exec(text);
  if (!m) return null;
  // A frame without a time stamp (a pcapng Simple Packet Block) has an empty Time column.
  if (m[2] === undefined && (m[1] === undefined || !/[.:]/.test(m[3]!))) return null;
  const time = m[2] !== undefined ? parseTime(m[2]) : null;
  if (m[2] !== undefined && time === null) return null;
  const frame = m[1] !== undefined ? Number(m[1]) : null;
  if (frame !== null && !Number.isSafeInteger(frame)) return { kind: 'bad', line, frame: null, reason: `frame number ${m[1]} is too large` };
  const [src, dst, proto] = [m[3]!, m[4]!, m[5]!];
  const frameLen = Number(m[6]);
  let rest = m[7] ?? '';
  if (proto !== 'TCP') return { kind: 'other', line, frame, time, proto, src, dst };
  const labels: string[] = [];
  for (let l = LABEL.exec(rest); l; l = LABEL.exec(rest)) {
    labels.push(l[1]!);
    rest = rest.slice(l[0].length);
  }
  const p = PORTS.exec(rest);
  if (!p) {
    // tshark 1.x replaced the whole Info of a segment carrying part of a PDU.
    // tshark 4 may also put the application's summary before that label.
    if ((rest === '' && labels.some((l) => /segment of a reassembled PDU/i.test(l))) || /\[TCP segment of a reassembled PDU\]\s*$/.test(rest)) {
      return { kind: 'partial', line, frame, time, src, dst, frameLen };
    }
    return { kind: 'bad', line, frame, reason: `a TCP line without "PORT → PORT [FLAGS]" (Info: ${clip(m[7] ?? '')})` };
  }
  const sport = Number(p[1]);
  const dport = Number(p[2]);
  if (sport > 65535 || dport > 65535) return { kind: 'bad', line, frame, reason: `port ${Math.max(sport, dport)} is out of range` };
  let flags = 0;
  for (const f of p[3]!.split(',')) {
    const name = f.trim();
    if (name === '<None>' || name === '') continue;
    if (!(name in TcpFlag)) return { kind: 'bad', line, frame, reason: `unknown TCP flag "${clip(name)}"` };
    flags |= TcpFlag[name as TcpFlagName];
  }
  const row: TcpRow = {
    kind: 'tcp', line, frame, time, src, dst, sport, dport, flags,
    seq: null, ack: null, win: 0, len: -1, frameLen, options: {}, labels, dropped: [],
  };
  let sle: number | null = null;
  for (const kv of p[4]!.split(/\s+/)) {
    if (kv === '' || kv.startsWith('[')) continue;
    const eq = kv.indexOf('=');
    const k = eq < 0 ? kv : kv.slice(0, eq);
    const v = eq < 0 ? '' : kv.slice(eq + 1);
    if (k === 'SACK_PERM') {
      row.options.sackPerm = true;
      continue;
    }
    if (!['Seq', 'Ack', 'Win', 'Len', 'Urg', 'MSS', 'WS', 'TSval', 'TSecr', 'SLE', 'SRE'].includes(k)) continue;
    if (!/^\d+$/.test(v)) return { kind: 'bad', line, frame, reason: `${k}=${clip(v)} is not a number` };
    const n = Number(v);
    if (n > U32) {
      if (k === 'Seq' || k === 'Ack' || k === 'Len' || k === 'Win') return { kind: 'bad', line, frame, reason: `${k}=${clip(v)} does not fit in 32 bits` };
      row.dropped.push(`${k}=${clip(v)} (not a 32-bit value; the option is left out)`);
      continue;
    }
    switch (k) {
      case 'Seq': row.seq = n; break;
      case 'Ack': row.ack = n; break;
      case 'Win': row.win = n; break;
      case 'Len': row.len = n; break;
      case 'MSS': row.options.mss = n & 0xffff; break;
      case 'WS': row.options.wsShift = Math.min(14, Math.round(Math.log2(Math.max(1, n)))); break;
      case 'TSval': row.options.tsval = n; break;
      case 'TSecr': row.options.tsecr = n; break;
      case 'SLE': sle = n; break;
      case 'SRE':
        if (sle !== null) (row.options.sack ??= []).push([sle, n]);
        sle = null;
        break;
      default: break;
    }
  }
  if (row.seq === null) return { kind: 'bad', line, frame, reason: 'no Seq= on a TCP line' };
  if (row.len < 0) return { kind: 'bad', line, frame, reason: 'no Len= on a TCP line' };
  if (row.len > MAX_PAYLOAD) return { kind: 'bad', line, frame, reason: `Len=${row.len} is more than one IP packet can carry` };
  if (row.win > 0xffff * 2 ** 14) return { kind: 'bad', line, frame, reason: `Win=${row.win} is larger than any scaled window` };
  return row;
}

export function clip(s: string, n = 40): string {
  const t = s.replace(/[\x00-\x1f\x7f]/g, '?');
  return t.length > n ? `${t.slice(0, n)}…` : t;
}
