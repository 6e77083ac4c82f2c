/**
 * One tshark-style summary line per packet:
 *   `   11   0.203543     10.0.2.2 → 10.0.2.15    TCP 54 [TCP ACKed unseen segment] 54143 → 19622 [ACK] Seq=42 Ack=76 Win=65535 Len=0`
 * Never throws: whatever the record holds becomes text.
 */
import { formatIPv4, formatIPv6 } from '../capture/addr.js';
import { encapText } from '../capture/encap/hop.js';
import { TCP_FLAG_NAMES, TcpFlag, TcpOptionKind, type TcpOptions, type TcpPacket } from '../capture/tcp-packet.js';
import { tsharkLabels } from '../analyze/flags.js';
import type { PacketResult } from '../analyze/tracker.js';

export function srcAddr(p: TcpPacket): string {
  return p.ipVersion === 4 ? formatIPv4(p.src4) : formatIPv6(p.src6);
}
export function dstAddr(p: TcpPacket): string {
  return p.ipVersion === 4 ? formatIPv4(p.dst4) : formatIPv6(p.dst6);
}

/** `[SYN, ACK]` contents in tshark's bit order; `<None>` when no flag is set. */
export function flagText(flags: number): string {
  const names: string[] = [];
  for (let i = 0; i < TCP_FLAG_NAMES.length; i++) if (flags & (1 << i)) names.push(TCP_FLAG_NAMES[i]!);
  return names.length ? names.join(', ') : '<None>';
}

/** Options as tshark appends them to Info, in header order; SACK edges relative to `sackBase` (0: raw). */
export function optionText(o: TcpOptions, sackBase = 0): string {
  let s = '';
  let sack = 0;
  for (let i = 0; i < o.count; i++) {
    switch (o.kinds[i]) {
      case TcpOptionKind.MSS:
        if (o.mss >= 0) s += ` MSS=${o.mss}`;
        break;
      case TcpOptionKind.WS:
        if (o.wscale >= 0) s += ` WS=${2 ** Math.min(o.wscale, 14)}`;
        break;
      case TcpOptionKind.SACK_PERM:
        s += ' SACK_PERM';
        break;
      case TcpOptionKind.TS:
        if (o.hasTs) s += ` TSval=${o.tsVal} TSecr=${o.tsEcr}`;
        break;
      case TcpOptionKind.SACK:
        for (; sack < o.sackBlocks; sack++) s += ` SLE=${(o.sack[sack * 2]! - sackBase) >>> 0} SRE=${(o.sack[sack * 2 + 1]! - sackBase) >>> 0}`;
        break;
      default:
        break;
    }
  }
  return s;
}

export interface LineParts {
  /** `   11   0.203543     10.0.2.2 → 10.0.2.15    TCP 54 ` */
  lead: string;
  /** Bracket labels, e.g. `TCP Dup ACK 11#1`, without brackets. */
  labels: string[];
  /** `54143 → 19622 [ACK] Seq=42 Ack=76 Win=65535 Len=0 …` */
  info: string;
}

/**
 * The parts of a trace line. `r` carries relative numbers and flags; without it (decode only)
 * raw numbers are shown. SACK edges are shown relative to the peer's base when `r` is given.
 */
export function traceLineParts(p: TcpPacket, time: number, r: PacketResult | null, o: TcpOptions | null, peerBase = 0): LineParts {
  const lead = `${String(p.frame).padStart(5)} ${time.toFixed(6).padStart(11)} ${srcAddr(p).padStart(15)} → ${dstAddr(p).padEnd(15)} TCP ${p.frameLen} ${encapText(p)}`;
  const labels = r ? tsharkLabels(r.verdict.flags, r.verdict.dupAckFrame, r.verdict.dupAckNum) : [];
  const seq = r ? r.seq : p.seq;
  const ack = r ? r.ack : p.ack;
  const win = r ? r.win : p.win;
  let info = `${p.sport} → ${p.dport} [${flagText(p.flags)}] Seq=${seq}`;
  if (p.flags & TcpFlag.ACK) info += ` Ack=${ack}`;
  info += ` Win=${win}`;
  if (p.flags & TcpFlag.URG) info += ` Urg=${p.urg}`;
  info += ` Len=${p.len}`;
  // The options record is shared by every sink of the packet: read it, never rewrite it.
  if (o) info += optionText(o, r ? peerBase : 0);
  return { lead, labels, info };
}

export function plainLine(parts: LineParts): string {
  return parts.lead + parts.labels.map((l) => `[${l}] `).join('') + parts.info;
}
