/**
 * Builds correct IPv4/TCP frames (checksums included) for fixtures: Ethernet, BSD loopback (NULL,
 * little-endian AF_INET as macOS writes it) or raw IPv4.
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
  options?: { mss?: number; wscale?: number; sackPerm?: boolean; ts?: readonly [number, number] };
  ipId?: number;
  ttl?: number;
}

const ipBytes = (s: string): number[] => s.split('.').map(Number);

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
  while (b.length % 4) b.push(0);
  return b;
}

export function buildTcpFrame(s: TcpFrameSpec): Buffer {
  const payload = s.payload ?? new Uint8Array(0);
  const opts = optionBytes(s.options);
  const tcpLen = 20 + opts.length;
  const ipLen = 20 + tcpLen + payload.length;
  const link = s.linktype === 1 ? 14 : s.linktype === 0 ? 4 : 0;
  const f = Buffer.alloc(link + ipLen);
  if (s.linktype === 1) {
    Buffer.from([0x08, 0x00, 0x27, 0x00, 0x00, 0x02, 0x52, 0x54, 0x00, 0x12, 0x35, 0x02]).copy(f, 0);
    f.writeUInt16BE(0x0800, 12);
  } else if (s.linktype === 0) {
    f.writeUInt32LE(2, 0);
  }
  const ip = link;
  f[ip] = 0x45;
  f.writeUInt16BE(ipLen, ip + 2);
  f.writeUInt16BE(s.ipId ?? 0, ip + 4);
  f.writeUInt16BE(0x4000, ip + 6); // DF
  f[ip + 8] = s.ttl ?? 64;
  f[ip + 9] = 6;
  Buffer.from(ipBytes(s.src)).copy(f, ip + 12);
  Buffer.from(ipBytes(s.dst)).copy(f, ip + 16);
  f.writeUInt16BE(checksum(f, ip, ip + 20), ip + 10);
  const t = ip + 20;
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
  // Pseudo-header sum: addresses, protocol, TCP length.
  let pseudo = 0;
  for (let i = 0; i < 8; i += 2) pseudo += f.readUInt16BE(ip + 12 + i);
  pseudo += 6 + tcpLen + payload.length;
  f.writeUInt16BE(checksum(f, t, t + tcpLen + payload.length, pseudo), t + 16);
  return f;
}
