/**
 * Rows of one text trace -> frames the decoder and tracker read like captured ones (raw IP link
 * type, checksums right). What the text does not say is made up, the same way every time, and
 * counted so that the output can say so:
 * - relative sequence numbers are placed on a synthetic ISN per direction (absolute ones kept);
 * - tcpdump prints no seq on a segment without data, SYN, FIN or RST: it gets the sender's next
 *   sequence number (so a keep-alive, one below it, cannot be recognised);
 * - tshark prints the scaled window: divided by the scale both SYNs announced;
 * - payload bytes are zeros (only lengths are known); link headers are gone (raw IP);
 * - a tshark 1.x `[TCP segment of a reassembled PDU]` line (no ports, numbers or flags) becomes a
 *   PSH/ACK segment continuing its address pair's last connection, its length the frame length
 *   less the header bytes of that direction's previous segment.
 * tcpdump's relative numbers are undone by replaying its own rule (print-tcp.c): the first segment
 * with ACK of a conversation (or any SYN) prints absolute numbers and sets both bases.
 */
import { buildTcpFrame } from '../frame-builder.js';
import { TCP_FLAG_NAMES, TcpFlag } from '../tcp-packet.js';
import { MAX_PAYLOAD, type Dialect, type OtherRow, type PartialTcpRow, type TcpOptionsText, type TcpRow } from './rows.js';
import { resolveTimes, type ResolvedTimes } from './time.js';

export const LINKTYPE_RAW = 101;

export interface RebuiltFrame {
  frame: number;
  line: number;
  tsSec: number;
  tsNsec: number;
  bytes: Buffer;
}

export interface RebuildStats {
  tcp: number;
  other: number;
  /** Lines of a protocol above TCP (tshark decoded them as HTTP, SSH...): no TCP fields, not analysed. */
  app: Map<string, number>;
  partialRebuilt: number;
  partialSkipped: number;
  seqInferred: number;
  relative: boolean;
  /** tcpdump only: the numbers were absolute (-S). */
  absoluteTcpdump: boolean;
  windowsUnscaled: number;
  times: ResolvedTimes['mode'];
  timeShape: ResolvedTimes['shape'];
  /** Lines whose addresses are not IP addresses (name resolution was on): not analysed. */
  unresolvable: number;
}

interface Dir {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** Added to printed numbers of this direction's sequence space (its seq, the peer's ack). */
  off: number;
  /** Raw next sequence number (highest seq + len + SYN/FIN seen), null before the first segment. */
  next: number | null;
  lastAck: number | null;
  lastWin: number;
  lastTs: TcpOptionsText;
  /** Window-scale shift from its SYN: undefined before a SYN, null for a SYN without WS. */
  ws: number | null | undefined;
  /** Frame length minus payload of its last non-SYN segment (tshark), for rebuilding partial lines. */
  overhead: number | null;
  /** tcpdump relative mode: the base of this direction in the current conversation. */
  base: number | null;
}

const key = (src: string, sport: number, dst: string, dport: number): string => `${src}|${sport}|${dst}|${dport}`;
const after = (a: number, b: number): boolean => ((a - b) | 0) > 0;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/;
export const isIp = (s: string): boolean => (IPV4.test(s) && s.split('.').every((x) => Number(x) < 256)) || (IPV6.test(s) && s.length <= 45);

/** A stable made-up ISN for a direction: the FNV-1a hash of its endpoints. */
function syntheticIsn(k: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function flagNames(bits: number): (typeof TCP_FLAG_NAMES)[number][] {
  return TCP_FLAG_NAMES.filter((n) => bits & TcpFlag[n]);
}

/** A stand-in frame for a non-TCP line: an IPv4 header announcing UDP, which the decoder counts as "other". */
function otherFrame(): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x45;
  b.writeUInt16BE(28, 2);
  b[8] = 64;
  b[9] = 17;
  return b;
}

type PacketRow = TcpRow | PartialTcpRow | OtherRow;

/** Decide whether tshark printed relative numbers: most directions start at Seq=0 (SYN) or 1. */
function tsharkRelative(rows: readonly PacketRow[]): boolean {
  const seen = new Set<string>();
  let rel = 0;
  let abs = 0;
  for (const r of rows) {
    if (r.kind !== 'tcp' || r.seq === null) continue;
    const k = key(r.src, r.sport, r.dst, r.dport);
    if (seen.has(k)) continue;
    seen.add(k);
    if (r.seq <= 1) rel++;
    else abs++;
  }
  return rel >= abs;
}

/** Decide whether tcpdump printed absolute numbers (-S): later acks near the base they would be relative to. */
function tcpdumpAbsolute(rows: readonly PacketRow[]): boolean {
  const conv = new Map<string, Map<string, number | null>>();
  let abs = 0;
  let rel = 0;
  for (const r of rows) {
    if (r.kind !== 'tcp' || !(r.flags & TcpFlag.ACK) || r.ack === null) continue;
    const me = key(r.src, r.sport, r.dst, r.dport);
    const peer = key(r.dst, r.dport, r.src, r.sport);
    const ck = me < peer ? me + '#' + peer : peer + '#' + me;
    const c = conv.get(ck);
    if (c === undefined || r.flags & TcpFlag.SYN) {
      conv.set(ck, new Map([[me, r.seq], [peer, (r.ack - 1) >>> 0]]));
      continue;
    }
    const base = c.get(peer);
    if (base === null || base === undefined) continue;
    const absDist = (r.ack - base) >>> 0;
    if (absDist < r.ack) abs++;
    else if (absDist > r.ack) rel++;
    if (abs + rel >= 64) break;
  }
  return abs > rel;
}

/** Rebuild the frames of one trace. `rows` are its packet rows in text order. */
export function rebuildTrace(dialect: Dialect, rows: readonly PacketRow[]): { frames: RebuiltFrame[]; stats: RebuildStats } {
  const times = resolveTimes(rows.map((r) => r.time));
  const relative = dialect === 'tshark' ? tsharkRelative(rows) : true;
  const absoluteTcpdump = dialect === 'tcpdump' && tcpdumpAbsolute(rows);
  const stats: RebuildStats = {
    tcp: 0, other: 0, app: new Map(), partialRebuilt: 0, partialSkipped: 0, seqInferred: 0,
    relative: dialect === 'tshark' ? relative : !absoluteTcpdump, absoluteTcpdump, windowsUnscaled: 0,
    times: times.mode, timeShape: times.shape, unresolvable: 0,
  };
  const dirs = new Map<string, Dir>();
  /** Last direction seen per address pair, for partial lines. */
  const byAddr = new Map<string, Dir>();
  /** tcpdump: conversations that have their bases set. */
  const convs = new Set<string>();
  const tcpAddrPairs = new Set<string>();
  for (const r of rows) if (r.kind === 'tcp') tcpAddrPairs.add(`${r.src}|${r.dst}`).add(`${r.dst}|${r.src}`);

  const dirOf = (src: string, sport: number, dst: string, dport: number): Dir => {
    const k = key(src, sport, dst, dport);
    let d = dirs.get(k);
    if (d === undefined) {
      const off = dialect === 'tshark' && relative ? syntheticIsn(k) : 0;
      d = { src, dst, sport, dport, off, next: null, lastAck: null, lastWin: 0, lastTs: {}, ws: undefined, overhead: null, base: null };
      dirs.set(k, d);
    }
    return d;
  };

  /**
   * The direction a partial line continues: the one connection of its address pair, or, when
   * several share it (loopback), the one whose peer soon acknowledges exactly this segment's end.
   */
  const partialDir = (r: PartialTcpRow, i: number): Dir | undefined => {
    const cands = [...dirs.values()].filter((d) => d.src === r.src && d.dst === r.dst && d.next !== null && d.overhead !== null);
    if (cands.length <= 1) return cands[0];
    for (const d of cands) {
      const end = (d.next! - d.off + r.frameLen - d.overhead!) >>> 0;
      for (const x of rows.slice(i + 1, i + 21)) {
        if (x.kind === 'tcp' && x.src === d.dst && x.sport === d.dport && x.dst === d.src && x.dport === d.sport && x.ack === end) return d;
      }
    }
    return byAddr.get(`${r.src}|${r.dst}`);
  };

  const frames: RebuiltFrame[] = [];
  let counter = 0;
  rows.forEach((r, i) => {
    const frame = r.frame ?? ++counter;
    if (r.frame !== null) counter = r.frame;
    const push = (bytes: Buffer): void => {
      frames.push({ frame, line: r.line, tsSec: times.sec[i]!, tsNsec: times.nsec[i]!, bytes });
    };
    if (r.kind === 'other') {
      // tshark names the protocol it decoded: above TCP when TCP lines share the address pair.
      if (dialect === 'tshark' && tcpAddrPairs.has(`${r.src}|${r.dst}`) && !NOT_OVER_TCP.has(r.proto.toUpperCase())) {
        stats.app.set(r.proto, (stats.app.get(r.proto) ?? 0) + 1);
      } else {
        stats.other++;
      }
      push(otherFrame());
      return;
    }
    if (!isIp(r.src) || !isIp(r.dst) || r.src.includes(':') !== r.dst.includes(':')) {
      stats.unresolvable++;
      push(otherFrame());
      return;
    }
    let row: TcpRow;
    if (r.kind === 'partial') {
      const d = partialDir(r, i);
      const len = d && d.overhead !== null ? r.frameLen - d.overhead : -1;
      if (!d || d.next === null || len <= 0 || len > MAX_PAYLOAD) {
        stats.partialSkipped++;
        push(otherFrame());
        return;
      }
      stats.partialRebuilt++;
      row = {
        kind: 'tcp', line: r.line, frame: r.frame, time: r.time, src: d.src, dst: d.dst, sport: d.sport, dport: d.dport,
        flags: TcpFlag.PSH | TcpFlag.ACK, seq: null, ack: null, win: d.lastWin, len, frameLen: r.frameLen,
        options: { ...d.lastTs }, labels: [], dropped: [],
      };
    } else {
      row = r;
    }
    const me = dirOf(row.src, row.sport, row.dst, row.dport);
    const peer = dirOf(row.dst, row.dport, row.src, row.sport);
    byAddr.set(`${row.src}|${row.dst}`, me);
    const syn = (row.flags & TcpFlag.SYN) !== 0;
    const fin = (row.flags & TcpFlag.FIN) !== 0;
    const hasAck = (row.flags & TcpFlag.ACK) !== 0;

    let seq: number;
    let ack = 0;
    let sackOff = 0;
    const inferSeq = (): number => {
      stats.seqInferred++;
      if (me.next !== null) return me.next;
      if (peer.lastAck !== null) return peer.lastAck;
      return syntheticIsn(key(row.src, row.sport, row.dst, row.dport));
    };
    if (r.kind === 'partial') {
      seq = me.next!;
      ack = me.lastAck ?? 0;
    } else if (dialect === 'tshark') {
      seq = ((row.seq ?? 0) + me.off) >>> 0;
      if (row.ack !== null) ack = (row.ack + peer.off) >>> 0;
      sackOff = peer.off;
    } else if (absoluteTcpdump || !hasAck) {
      seq = row.seq ?? inferSeq();
      if (row.ack !== null) ack = row.ack;
    } else {
      const ck = convKey(me, peer);
      if (!convs.has(ck) || syn) {
        convs.add(ck);
        seq = row.seq ?? inferSeq();
        ack = row.ack ?? 0;
        me.base = seq;
        peer.base = (ack - 1) >>> 0;
      } else {
        seq = row.seq !== null ? (row.seq + (me.base ?? 0)) >>> 0 : inferSeq();
        ack = ((row.ack ?? 0) + (peer.base ?? 0)) >>> 0;
        sackOff = peer.base ?? 0;
      }
    }

    // Window: tshark prints it scaled once both SYNs announced a scale.
    if (syn) me.ws = row.options.wsShift ?? null;
    let win = row.win;
    if (dialect === 'tshark' && !syn && typeof me.ws === 'number' && typeof peer.ws === 'number' && me.ws > 0) {
      win = Math.round(row.win / 2 ** me.ws);
      stats.windowsUnscaled++;
    }
    win = Math.min(0xffff, win);

    const o = row.options;
    const ts = o.tsval !== undefined && o.tsecr !== undefined ? ([o.tsval, o.tsecr] as const) : undefined;
    const sack = o.sack?.map(([l, rr]) => [(l + sackOff) >>> 0, (rr + sackOff) >>> 0] as [number, number]);
    const bytes = buildTcpFrame({
      linktype: LINKTYPE_RAW,
      src: row.src, dst: row.dst, sport: row.sport, dport: row.dport,
      seq, ack: hasAck ? ack : 0,
      flags: flagNames(row.flags),
      win,
      payloadLength: row.len,
      options: syn
        ? { mss: o.mss, wscale: o.wsShift, sackPerm: o.sackPerm, ts }
        : { ts, sack },
      ipId: frame & 0xffff,
    });
    stats.tcp++;
    push(bytes);

    const end = (seq + row.len + (syn ? 1 : 0) + (fin ? 1 : 0)) >>> 0;
    if (me.next === null || after(end, me.next)) me.next = end;
    if (hasAck) me.lastAck = ack;
    me.lastWin = row.win;
    if (ts) me.lastTs = { tsval: ts[0], tsecr: ts[1] };
    if (!syn && row.frameLen !== null && r.kind === 'tcp') me.overhead = row.frameLen - row.len;
  });
  return { frames, stats };
}

function convKey(a: Dir, b: Dir): string {
  const x = key(a.src, a.sport, a.dst, a.dport);
  const y = key(b.src, b.sport, b.dst, b.dport);
  return x < y ? `${x}#${y}` : `${y}#${x}`;
}

/** Protocol column values that never ride on TCP (a line with one of them is simply not TCP). */
const NOT_OVER_TCP = new Set([
  'UDP', 'ICMP', 'ICMPV6', 'ARP', 'RARP', 'IGMP', 'IGMPV2', 'IGMPV3', 'DNS', 'MDNS', 'LLMNR', 'NBNS', 'DHCP', 'DHCPV6', 'BOOTP',
  'NTP', 'SSDP', 'QUIC', 'STP', 'RSTP', 'LLDP', 'CDP', 'VRRP', 'OSPF', 'GRE', 'ESP', 'AH', 'SCTP', 'SNMP', 'TFTP', 'SYSLOG',
  'RIP', 'RIPV2', 'HSRP', 'PIM', 'EIGRP', 'CLDAP', 'WOL', 'IPV4', 'IPV6', 'IP', 'ETHERNET', 'LLC', 'UDPENCAP', 'VXLAN', 'GQUIC', 'DTLS', 'RTP', 'RTCP', 'STUN',
]);
