/**
 * Link layer → IP → TCP, decoded in place into a reused {@link TcpPacket}. One DataView per
 * distinct buffer; no allocation per frame. Every length read from the frame is checked before it
 * is used: a frame the capture cut short is `truncated`, one whose headers cannot be right is
 * `malformed` (with the field and value), anything that is not TCP is `other`.
 */
import type { CapturedPacket } from './packet.js';
import { TcpOptions, TcpPacket, type DecodeStatus } from './tcp-packet.js';

/** LINKTYPE_* values we decode. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW_OLD: 12,
  RAW_OLD2: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const IPPROTO_TCP = 6;
/** Most VLAN tags / IPv6 extension headers we follow before calling a frame malformed. */
const MAX_STACK = 8;

export interface DecodeCounts {
  tcp: number;
  other: number;
  truncated: number;
  malformed: number;
}

/** The capture time every decoder sharing it measures from; `sec` -1 until the first frame. */
export interface TimeOrigin {
  sec: number;
  nsec: number;
}

export class Decoder {
  readonly counts: DecodeCounts = { tcp: 0, other: 0, truncated: 0, malformed: 0 };
  private buf: Buffer = Buffer.alloc(0);
  private dv: DataView = new DataView(new ArrayBuffer(0));
  /** Time of the first frame decoded: the origin of {@link TcpPacket.time}. */
  private t0s = -1;
  private t0ns = 0;

  /**
   * `origin`: a time origin shared by several decoders (captures merged in time order): the first
   * of them to decode a frame sets it, and every one measures from it.
   */
  constructor(private readonly origin?: TimeOrigin) {}

  /** Decode `pkt` into `out`. Never throws. */
  decode(pkt: CapturedPacket, out: TcpPacket): void {
    const buf = pkt.data;
    if (buf !== this.buf) {
      this.buf = buf;
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    out.frame = pkt.frame;
    out.frameLen = pkt.origlen;
    if (this.t0s < 0) {
      const o = this.origin;
      if (o !== undefined && o.sec < 0) {
        o.sec = pkt.tsSec;
        o.nsec = pkt.tsNsec;
      }
      this.t0s = o !== undefined ? o.sec : pkt.tsSec;
      this.t0ns = o !== undefined ? o.nsec : pkt.tsNsec;
    }
    out.time = pkt.tsSec - this.t0s + (pkt.tsNsec - this.t0ns) / 1e9;
    out.reason = '';
    const start = pkt.offset;
    const end = Math.min(start + pkt.caplen, buf.length);
    const s = this.link(pkt.linktype, start, end, pkt.origlen, out);
    out.status = s;
    this.counts[s]++;
  }

  private link(linktype: number, start: number, end: number, origlen: number, out: TcpPacket): DecodeStatus {
    const dv = this.dv;
    const have = end - start;
    let off = start;
    let version = 0;
    switch (linktype) {
      case LinkType.ETHERNET: {
        if (have < 14) return short(out, 'Ethernet header', 14, have);
        let type = dv.getUint16(off + 12);
        off += 14;
        for (let n = 0; type === ETH_VLAN || type === ETH_QINQ || type === ETH_QINQ_OLD; n++) {
          if (n === MAX_STACK) return bad(out, `more than ${MAX_STACK} VLAN tags`);
          if (end - off < 4) return short(out, 'VLAN tag', 4, end - off);
          type = dv.getUint16(off + 2);
          off += 4;
        }
        version = type === ETH_IPV4 ? 4 : type === ETH_IPV6 ? 6 : 0;
        if (!version) return other(out, `ethertype 0x${type.toString(16).padStart(4, '0')}`);
        break;
      }
      case LinkType.LINUX_SLL: {
        if (have < 16) return short(out, 'Linux cooked header', 16, have);
        const type = dv.getUint16(off + 14);
        off += 16;
        version = type === ETH_IPV4 ? 4 : type === ETH_IPV6 ? 6 : 0;
        if (!version) return other(out, `protocol 0x${type.toString(16).padStart(4, '0')}`);
        break;
      }
      case LinkType.LINUX_SLL2: {
        if (have < 20) return short(out, 'Linux cooked v2 header', 20, have);
        const type = dv.getUint16(off);
        off += 20;
        version = type === ETH_IPV4 ? 4 : type === ETH_IPV6 ? 6 : 0;
        if (!version) return other(out, `protocol 0x${type.toString(16).padStart(4, '0')}`);
        break;
      }
      case LinkType.NULL:
      case LinkType.LOOP: {
        if (have < 4) return short(out, 'loopback header', 4, have);
        // NULL is in the writer's byte order; LOOP is big-endian. A value > 0xffff was written the other way round.
        let af = linktype === LinkType.LOOP ? dv.getUint32(off) : dv.getUint32(off, true);
        if (af > 0xffff) af = dv.getUint32(off, linktype !== LinkType.LOOP);
        off += 4;
        version = af === 2 ? 4 : af === 24 || af === 28 || af === 30 ? 6 : 0;
        if (!version) return other(out, `address family ${af}`);
        break;
      }
      case LinkType.RAW:
      case LinkType.RAW_OLD:
      case LinkType.RAW_OLD2:
        if (have < 1) return short(out, 'IP header', 20, have);
        version = (dv.getUint8(off) >> 4) as number;
        if (version !== 4 && version !== 6) return bad(out, `IP version ${version}`);
        break;
      case LinkType.IPV4:
        version = 4;
        break;
      case LinkType.IPV6:
        version = 6;
        break;
      default:
        return other(out, `link type ${linktype}`);
    }
    // Bytes of this frame on the wire from `off` on: an IP length beyond it is not believed.
    const wire = origlen - (off - start);
    return version === 4 ? this.ipv4(off, end, wire, out) : this.ipv6(off, end, wire, out);
  }

  private ipv4(off: number, end: number, wire: number, out: TcpPacket): DecodeStatus {
    const dv = this.dv;
    if (end - off < 20) return short(out, 'IPv4 header', 20, end - off);
    const b0 = dv.getUint8(off);
    if (b0 >> 4 !== 4) return bad(out, `IP version ${b0 >> 4} in an IPv4 frame`);
    const ihl = (b0 & 15) * 4;
    if (ihl < 20) return bad(out, `IPv4 header length ${ihl} < 20`);
    let total = dv.getUint16(off + 2);
    // Total length 0: a TSO/GSO frame captured on the sending host; the frame length stands in.
    if (total === 0) total = wire;
    if (total < ihl) return bad(out, `IPv4 total length ${total} < header length ${ihl}`);
    if (total > wire) total = wire;
    const fragOff = dv.getUint16(off + 6) & 0x1fff;
    const proto = dv.getUint8(off + 9);
    if (proto !== IPPROTO_TCP) return other(out, `IP protocol ${proto}`);
    if (fragOff !== 0) return other(out, 'IPv4 fragment after the first');
    if (end - off < ihl) return short(out, 'IPv4 options', ihl, end - off);
    out.ipVersion = 4;
    out.src4 = dv.getUint32(off + 12);
    out.dst4 = dv.getUint32(off + 16);
    return this.tcp(off + ihl, end, total - ihl, out);
  }

  private ipv6(off: number, end: number, wire: number, out: TcpPacket): DecodeStatus {
    const dv = this.dv;
    if (end - off < 40) return short(out, 'IPv6 header', 40, end - off);
    const v = dv.getUint8(off) >> 4;
    if (v !== 6) return bad(out, `IP version ${v} in an IPv6 frame`);
    let remaining = dv.getUint16(off + 4);
    // Payload length 0 (jumbogram or TSO): the frame length stands in.
    if (remaining === 0 || remaining > wire - 40) remaining = Math.max(0, wire - 40);
    let next = dv.getUint8(off + 6);
    const src = out.src6;
    const dst = out.dst6;
    for (let i = 0; i < 4; i++) {
      src[i] = dv.getUint32(off + 8 + i * 4);
      dst[i] = dv.getUint32(off + 24 + i * 4);
    }
    let p = off + 40;
    for (let n = 0; ; n++) {
      if (next === IPPROTO_TCP) break;
      if (next !== 0 && next !== 43 && next !== 44 && next !== 60 && next !== 51) {
        return other(out, next === 59 ? 'IPv6 no next header' : `IP protocol ${next}`);
      }
      if (n === MAX_STACK) return bad(out, `more than ${MAX_STACK} IPv6 extension headers`);
      if (remaining < 8) return bad(out, `IPv6 extension header ${next} longer than the payload (${remaining} bytes left)`);
      if (end - p < 8) return short(out, 'IPv6 extension header', 8, end - p);
      let len: number;
      if (next === 44) {
        if (dv.getUint16(p + 2) >> 3 !== 0) return other(out, 'IPv6 fragment after the first');
        len = 8;
      } else if (next === 51) {
        len = (dv.getUint8(p + 1) + 2) * 4;
      } else {
        len = (dv.getUint8(p + 1) + 1) * 8;
      }
      if (len > remaining) return bad(out, `IPv6 extension header ${next} length ${len} > ${remaining} bytes left`);
      next = dv.getUint8(p);
      p += len;
      remaining -= len;
    }
    out.ipVersion = 6;
    return this.tcp(p, end, remaining, out);
  }

  /** `segLen`: the TCP segment's length from the IP header (header + payload). */
  private tcp(off: number, end: number, segLen: number, out: TcpPacket): DecodeStatus {
    const dv = this.dv;
    if (segLen < 20) return bad(out, `TCP segment of ${segLen} bytes < 20`);
    if (end - off < 20) return short(out, 'TCP header', 20, end - off);
    const hl = (dv.getUint8(off + 12) >> 4) * 4;
    if (hl < 20) return bad(out, `TCP data offset ${hl / 4} < 5`);
    if (hl > segLen) return bad(out, `TCP header length ${hl} > segment length ${segLen}`);
    out.tcpOffset = off;
    out.sport = dv.getUint16(off);
    out.dport = dv.getUint16(off + 2);
    out.seq = dv.getUint32(off + 4);
    out.ack = dv.getUint32(off + 8);
    out.headerLen = hl;
    out.flags = dv.getUint16(off + 12) & 0x1ff;
    out.win = dv.getUint16(off + 14);
    out.checksum = dv.getUint16(off + 16);
    out.urg = dv.getUint16(off + 18);
    out.len = segLen - hl;
    out.optOffset = off + 20;
    out.optLen = hl - 20;
    out.optCaptured = clamp(end - out.optOffset, 0, out.optLen);
    out.payloadOffset = off + hl;
    out.payloadCaptured = clamp(end - out.payloadOffset, 0, out.len);
    return 'tcp';
  }
}

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

function short(out: TcpPacket, what: string, need: number, have: number): DecodeStatus {
  out.reason = `${what} cut by the capture: ${Math.max(0, have)} of ${need} bytes`;
  return 'truncated';
}
function bad(out: TcpPacket, reason: string): DecodeStatus {
  out.reason = reason;
  return 'malformed';
}
function other(out: TcpPacket, reason: string): DecodeStatus {
  out.reason = reason;
  return 'other';
}

/**
 * Parse TCP options at `buf[off, off+len)` into `out` (reset first). Stops at EOL, and at an option
 * whose length byte is impossible (< 2 or past the header), which `out.malformed` then describes.
 */
export function parseTcpOptions(buf: Uint8Array, off: number, len: number, out: TcpOptions): TcpOptions {
  out.count = 0;
  out.mss = -1;
  out.wscale = -1;
  out.sackPerm = false;
  out.hasTs = false;
  out.tsVal = 0;
  out.tsEcr = 0;
  out.sackBlocks = 0;
  out.malformed = '';
  const end = Math.min(off + len, buf.length);
  let i = off;
  while (i < end) {
    const kind = buf[i]!;
    if (out.count < out.kinds.length) out.kinds[out.count++] = kind;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= end) {
      out.malformed = `option ${kind} has no length byte`;
      break;
    }
    const olen = buf[i + 1]!;
    if (olen < 2) {
      out.malformed = `option ${kind} length ${olen} < 2`;
      break;
    }
    if (i + olen > end) {
      out.malformed = `option ${kind} length ${olen} runs past the header`;
      break;
    }
    switch (kind) {
      case 2:
        if (olen === 4) out.mss = (buf[i + 2]! << 8) | buf[i + 3]!;
        break;
      case 3:
        if (olen === 3) out.wscale = buf[i + 2]!;
        break;
      case 4:
        out.sackPerm = true;
        break;
      case 5: {
        const n = Math.min(4, (olen - 2) >> 3);
        for (let b = 0; b < n; b++) {
          out.sack[b * 2] = u32(buf, i + 2 + b * 8);
          out.sack[b * 2 + 1] = u32(buf, i + 6 + b * 8);
        }
        out.sackBlocks = n;
        break;
      }
      case 8:
        if (olen === 10) {
          out.hasTs = true;
          out.tsVal = u32(buf, i + 2);
          out.tsEcr = u32(buf, i + 6);
        }
        break;
      default:
        break;
    }
    i += olen;
  }
  return out;
}

const u32 = (b: Uint8Array, i: number): number => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
