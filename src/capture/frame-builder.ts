/**
 * Builds correct IPv4/TCP and IPv6/TCP frames (checksums included) for fixtures and for packets
 * rebuilt from text traces: Ethernet, BSD loopback (NULL, little-endian AF_INET/AF_INET6 as macOS
 * writes it) or raw IP. An address with a `:` is IPv6.
 */
import { TcpFlag, type TcpFlagName } from './tcp-packet.js';

export interface TcpFrameSpec {
  linktype: 0 | 1 | 101;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** Raw sequence and acknowledgement numbers. */
  seq: number;
  ack: number;
  flags: readonly TcpFlagName[];
  /** Raw (unscaled) window. */
  win: number;
  payload?: Uint8Array;
  /** Payload of this many zero bytes, when {@link payload} is not given (text traces know only lengths). */
  payloadLength?: number;
  options?: {
    mss?: number;
    wscale?: number;
    sackPerm?: boolean;
    ts?: readonly [number, number];
    /** SACK blocks (raw left/right edges); as many as fit in the 40 option bytes. */
    sack?: readonly (readonly [number, number])[];
  };
  ipId?: number;
  ttl?: number;
}

const ipBytes = (s: string): number[] => s.split('.').map(Number);

/** The 16 bytes of an IPv6 address in text form (`::1`, `fe80::1`, `::ffff:1.2.3.4`); zeros where it is not one. */
export function ipv6Bytes(s: string): number[] {
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const text = s.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const halves = text.split('::');
  const groups = (h: string | undefined): number[] => (h ? h.split(':').filter((x) => x !== '').map((x) => parseInt(x, 16) & 0xffff) : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const g = [...head, ...new Array<number>(Math.max(0, 8 - head.length - tail.length)).fill(0), ...tail].slice(0, 8);
  const out: number[] = [];
  for (const x of g) out.push((x >> 8) & 255, x & 255);
  return out;
}

function checksum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if ((end - start) & 1) sum += b[end - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** TCP options in the order macOS and Linux put them: MSS, NOP+WS, NOP NOP TS, SACK_PERM (+padding). */
function optionBytes(o: TcpFrameSpec['options']): number[] {
  if (!o) return [];
  const b: number[] = [];
  if (o.mss !== undefined) b.push(2, 4, o.mss >> 8, o.mss & 255);
  if (o.wscale !== undefined) b.push(1, 3, 3, o.wscale);
  if (o.ts) {
    const [v, e] = o.ts;
    b.push(1, 1, 8, 10, (v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255, (e >>> 24) & 255, (e >>> 16) & 255, (e >>> 8) & 255, e & 255);
  }
  if (o.sackPerm) b.push(4, 2);
  if (o.sack?.length) {
    while (b.length % 4 !== 2) b.push(1);
    const room = Math.floor((40 - b.length - 2) / 8);
    const blocks = o.sack.slice(0, Math.max(0, room));
    if (blocks.length) {
      b.push(5, 2 + 8 * blocks.length);
      for (const [l, r] of blocks) for (const v of [l, r]) b.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
    }
  }
  while (b.length % 4) b.push(0);
  return b;
}

export function buildTcpFrame(s: TcpFrameSpec): Buffer {
  const payload = s.payload ?? new Uint8Array(s.payloadLength ?? 0);
  const opts = optionBytes(s.options);
  const tcpLen = 20 + opts.length;
  const v6 = s.src.includes(':');
  const ipHdr = v6 ? 40 : 20;
  const ipLen = ipHdr + tcpLen + payload.length;
  const link = s.linktype === 1 ? 14 : s.linktype === 0 ? 4 : 0;
  const f = Buffer.alloc(link + ipLen);
  if (s.linktype === 1) {
    Buffer.from([0x08, 0x00, 0x27, 0x00, 0x00, 0x02, 0x52, 0x54, 0x00, 0x12, 0x35, 0x02]).copy(f, 0);
    f.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  } else if (s.linktype === 0) {
    f.writeUInt32LE(v6 ? 30 : 2, 0); // AF_INET6 as macOS numbers it
  }
  const ip = link;
  let pseudo = 0;
  if (v6) {
    f.writeUInt32BE(0x60000000, ip);
    f.writeUInt16BE(tcpLen + payload.length, ip + 4);
    f[ip + 6] = 6;
    f[ip + 7] = s.ttl ?? 64;
    Buffer.from(ipv6Bytes(s.src)).copy(f, ip + 8);
    Buffer.from(ipv6Bytes(s.dst)).copy(f, ip + 24);
    for (let i = 0; i < 32; i += 2) pseudo += f.readUInt16BE(ip + 8 + i);
  } else {
    f[ip] = 0x45;
    f.writeUInt16BE(ipLen, ip + 2);
    f.writeUInt16BE(s.ipId ?? 0, ip + 4);
    f.writeUInt16BE(0x4000, ip + 6); // DF
    f[ip + 8] = s.ttl ?? 64;
    f[ip + 9] = 6;
    Buffer.from(ipBytes(s.src)).copy(f, ip + 12);
    Buffer.from(ipBytes(s.dst)).copy(f, ip + 16);
    f.writeUInt16BE(checksum(f, ip, ip + 20), ip + 10);
    for (let i = 0; i < 8; i += 2) pseudo += f.readUInt16BE(ip + 12 + i);
  }
  const t = ip + ipHdr;
  f.writeUInt16BE(s.sport, t);
  f.writeUInt16BE(s.dport, t + 2);
  f.writeUInt32BE(s.seq >>> 0, t + 4);
  f.writeUInt32BE(s.ack >>> 0, t + 8);
  let bits = 0;
  for (const n of s.flags) bits |= TcpFlag[n];
  f.writeUInt16BE(((tcpLen / 4) << 12) | bits, t + 12);
  f.writeUInt16BE(s.win, t + 14);
  Buffer.from(opts).copy(f, t + 20);
  Buffer.from(payload).copy(f, t + tcpLen);
  // Pseudo-header sum: addresses (above), protocol, TCP length.
  pseudo += 6 + tcpLen + payload.length;
  f.writeUInt16BE(checksum(f, t, t + tcpLen + payload.length, pseudo), t + 16);
  return f;
}
