/**
 * An in-place view of the Ethernet/IPv4/TCP frames the wire forwards, and the rewrites a fault
 * may make. The view is checked once by `parse()`; its getters and setters never fail after that.
 * Every setter leaves the checksums stale: `fixChecksums()` recomputes the IPv4 header and TCP
 * checksums (the lab turns veth checksum offload off, so every frame arrives with both complete).
 */

const ETH_HLEN = 14;
const ETH_P_IPV4 = 0x0800;
const IPPROTO_TCP = 6;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** One frame, reused for every frame of a run (`parse()` refills it); valid until the next parse. */
export class TcpFrame {
  buf: Buffer = Buffer.alloc(0);
  len = 0;
  /** Offset of the IPv4 header, and of the TCP header. */
  ip = ETH_HLEN;
  tcp = 0;
  /** IPv4 total length as the header says (bytes from `ip`). */
  ipLen = 0;
  /** TCP payload length. */
  payloadLen = 0;

  /** Fills the view; false if the frame is not an unfragmented IPv4 TCP segment that fits in `len`. */
  parse(buf: Buffer, len: number): boolean {
    this.buf = buf;
    this.len = len;
    if (len < ETH_HLEN + 20 || buf.readUInt16BE(12) !== ETH_P_IPV4) return false;
    const ip = ETH_HLEN;
    const vihl = buf[ip]!;
    const ihl = (vihl & 0x0f) * 4;
    if (vihl >> 4 !== 4 || ihl < 20 || buf[ip + 9] !== IPPROTO_TCP) return false;
    if ((buf.readUInt16BE(ip + 6) & 0x3fff) !== 0) return false; // a fragment
    const ipLen = buf.readUInt16BE(ip + 2);
    if (ipLen < ihl + 20 || ip + ipLen > len) return false;
    const tcp = ip + ihl;
    const thl = (buf[tcp + 12]! >> 4) * 4;
    if (thl < 20 || ihl + thl > ipLen) return false;
    this.ip = ip;
    this.tcp = tcp;
    this.ipLen = ipLen;
    this.payloadLen = ipLen - ihl - thl;
    return true;
  }

  get src(): number {
    return this.buf.readUInt32BE(this.ip + 12);
  }
  get dst(): number {
    return this.buf.readUInt32BE(this.ip + 16);
  }
  get sport(): number {
    return this.buf.readUInt16BE(this.tcp);
  }
  get dport(): number {
    return this.buf.readUInt16BE(this.tcp + 2);
  }
  get seq(): number {
    return this.buf.readUInt32BE(this.tcp + 4);
  }
  set seq(v: number) {
    this.buf.writeUInt32BE(v >>> 0, this.tcp + 4);
  }
  get ack(): number {
    return this.buf.readUInt32BE(this.tcp + 8);
  }
  set ack(v: number) {
    this.buf.writeUInt32BE(v >>> 0, this.tcp + 8);
  }
  get flags(): number {
    return this.buf[this.tcp + 13]!;
  }
  set flags(v: number) {
    this.buf[this.tcp + 13] = v;
  }
  get win(): number {
    return this.buf.readUInt16BE(this.tcp + 14);
  }
  set win(v: number) {
    this.buf.writeUInt16BE(v, this.tcp + 14);
  }
  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }
  /** Sequence space the segment occupies (payload, plus one each for SYN and FIN). */
  get seqLen(): number {
    return this.payloadLen + (this.has(TCP_SYN) ? 1 : 0) + (this.has(TCP_FIN) ? 1 : 0);
  }

  /** Recomputes the IPv4 header checksum and the TCP checksum (over the pseudo-header). */
  fixChecksums(): void {
    const b = this.buf;
    const ip = this.ip;
    const ihl = this.tcp - ip;
    b.writeUInt16BE(0, ip + 10);
    b.writeUInt16BE(fold(sum16(b, ip, ip + ihl, 0)), ip + 10);
    const tcpLen = this.ipLen - ihl;
    b.writeUInt16BE(0, this.tcp + 16);
    let pseudo = sum16(b, ip + 12, ip + 20, 0);
    pseudo += IPPROTO_TCP + tcpLen;
    b.writeUInt16BE(fold(sum16(b, this.tcp, this.tcp + tcpLen, pseudo)), this.tcp + 16);
  }

  /** True if both checksums are right (what a receiver would accept). */
  checksumsOk(): boolean {
    const b = this.buf;
    const ip = this.ip;
    const ihl = this.tcp - ip;
    if (fold(sum16(b, ip, ip + ihl, 0)) !== 0) return false;
    const tcpLen = this.ipLen - ihl;
    const pseudo = sum16(b, ip + 12, ip + 20, 0) + IPPROTO_TCP + tcpLen;
    return fold(sum16(b, this.tcp, this.tcp + tcpLen, pseudo)) === 0;
  }
}

/** One's-complement sum of 16-bit words over [start, end), unfolded (an odd last byte is padded). */
function sum16(b: Buffer, start: number, end: number, initial: number): number {
  let s = initial;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/**
 * A TCP segment with no payload and no options, addressed like `like` but in the other direction
 * when `reverse` is set: the frame a middlebox sends on its own (the NAT's resets).
 */
export function buildReply(like: TcpFrame, reverse: boolean, seq: number, ack: number, flags: number, win: number): Buffer {
  const f = Buffer.alloc(ETH_HLEN + 40);
  const b = like.buf;
  // Ethernet: swap the MACs when replying.
  if (reverse) {
    b.copy(f, 0, 6, 12);
    b.copy(f, 6, 0, 6);
  } else b.copy(f, 0, 0, 12);
  f.writeUInt16BE(ETH_P_IPV4, 12);
  const ip = ETH_HLEN;
  f[ip] = 0x45;
  f.writeUInt16BE(40, ip + 2);
  f.writeUInt16BE(0x4000, ip + 6); // DF
  f[ip + 8] = 64;
  f[ip + 9] = IPPROTO_TCP;
  f.writeUInt32BE(reverse ? like.dst : like.src, ip + 12);
  f.writeUInt32BE(reverse ? like.src : like.dst, ip + 16);
  const t = ip + 20;
  f.writeUInt16BE(reverse ? like.dport : like.sport, t);
  f.writeUInt16BE(reverse ? like.sport : like.dport, t + 2);
  f.writeUInt32BE(seq >>> 0, t + 4);
  f.writeUInt32BE(ack >>> 0, t + 8);
  f[t + 12] = 5 << 4;
  f[t + 13] = flags;
  f.writeUInt16BE(win, t + 14);
  const view = new TcpFrame();
  view.parse(f, f.length);
  view.fixChecksums();
  return f;
}
