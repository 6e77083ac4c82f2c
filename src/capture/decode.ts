/**
 * Link layer → (encapsulations) → IP → TCP, decoded in place into a reused {@link TcpPacket}. One
 * DataView per distinct buffer; no allocation per frame on the common path (Ethernet or VLAN → IP →
 * TCP), which is decoded inline. Everything else walks layer by layer through the decoders in
 * ./encap (one per encapsulation, each following tshark 4.0's dispatch), with the outer layers
 * recorded on the packet and the nesting bounded. IP fragments are reassembled (./defrag.ts) and the
 * segment decoded at the frame that completes the datagram.
 *
 * Every length read from the frame is checked before it is used: a frame the capture cut short is
 * `truncated`, one whose headers cannot be right is `malformed` (with the field and value),
 * anything that is not TCP is `other`.
 */
import type { CapturedPacket } from './packet.js';
import { TcpOptions, TcpPacket, type DecodeStatus } from './tcp-packet.js';
import { Defrag, type DefragLimits } from './defrag.js';
import { ether, etherType, pppoeSession } from './encap/ethernet.js';
import { gre } from './encap/gre.js';
import { Encap, Hop, MAX_DEPTH, MAX_RECORDED, Next, pushEncap, Stop } from './encap/hop.js';
import { arcnet, fddi, ipoib, juniper, LinkTypeX, nflog } from './encap/links.js';
import { llc } from './encap/llc.js';
import { mpls } from './encap/mpls.js';
import { chdlc, ppp } from './encap/ppp.js';
import { udp } from './encap/udp.js';
import { wlan } from './encap/wlan.js';

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
  ...LinkTypeX,
} as const;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const IPPROTO_TCP = 6;
/** Most IPv6 extension headers we follow before calling a frame malformed. */
const MAX_STACK = 8;

export interface DecodeCounts {
  tcp: number;
  other: number;
  truncated: number;
  malformed: number;
}

const STATUS: readonly DecodeStatus[] = ['tcp', 'other', 'truncated', 'malformed'];

/** The capture time every decoder sharing it measures from; `sec` -1 until the first frame. */
export interface TimeOrigin {
  sec: number;
  nsec: number;
}

export class Decoder {
  readonly counts: DecodeCounts = { tcp: 0, other: 0, truncated: 0, malformed: 0 };
  /** Frames of link types not decoded, by LINKTYPE value (they are `other`). */
  readonly otherLinkTypes = new Map<number, number>();
  /** Frames that were IP fragments held for reassembly (`other` unless they completed a datagram). */
  fragmentsHeld = 0;
  readonly defrag: Defrag;
  private buf: Buffer = Buffer.alloc(0);
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private readonly hop = new Hop();
  private depth = 0;
  /** Time of the first frame decoded: the origin of {@link TcpPacket.time}. */
  private t0s = -1;
  private t0ns = 0;

  /**
   * `sharedOrigin`: a time origin shared by several decoders (captures merged in time order): the
   * first of them to decode a frame sets it, and every one measures from it.
   */
  constructor(private readonly sharedOrigin?: TimeOrigin, defragLimits?: DefragLimits) {
    this.defrag = new Defrag(defragLimits);
  }

  /** The first frame's timestamp (the origin of {@link TcpPacket.time}), or null before any frame. */
  get origin(): { sec: number; nsec: number } | null {
    return this.t0s < 0 ? null : { sec: this.t0s, nsec: this.t0ns };
  }

  /** Decode `pkt` into `out`. Never throws. */
  decode(pkt: CapturedPacket, out: TcpPacket): void {
    const buf = pkt.data;
    if (buf !== this.buf) this.use(buf);
    out.data = buf;
    out.frame = pkt.frame;
    out.frameLen = pkt.origlen;
    if (this.t0s < 0) {
      const o = this.sharedOrigin;
      if (o !== undefined && o.sec < 0) {
        o.sec = pkt.tsSec;
        o.nsec = pkt.tsNsec;
      }
      this.t0s = o !== undefined ? o.sec : pkt.tsSec;
      this.t0ns = o !== undefined ? o.nsec : pkt.tsNsec;
    }
    out.time = pkt.tsSec - this.t0s + (pkt.tsNsec - this.t0ns) / 1e9;
    out.reason = '';
    out.encapCount = 0;
    this.hop.vlanId = 0;
    this.depth = 0;
    const start = pkt.offset;
    const end = Math.min(start + pkt.caplen, buf.length);
    const s = this.link(pkt.linktype, start, end, pkt.origlen, out);
    out.net = out.encapCount === 0 ? 0 : networkOf(out);
    out.status = s;
    this.counts[s]++;
  }

  private use(buf: Buffer): void {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private link(linktype: number, start: number, end: number, origlen: number, out: TcpPacket): DecodeStatus {
    const dv = this.dv;
    const have = end - start;
    let off = start;
    let version = 0;
    switch (linktype) {
      case LinkType.ETHERNET: {
        // The common path, inline: Ethernet II, at most one 802.1Q tag, IPv4 or IPv6.
        if (have < 14) return short(out, 'Ethernet header', 14, have);
        let type = dv.getUint16(off + 12);
        off += 14;
        if (type === ETH_VLAN && have >= 18) {
          const inner = dv.getUint16(off + 2);
          if (inner === ETH_IPV4 || inner === ETH_IPV6) {
            const vid = dv.getUint16(off) & 0xfff;
            this.hop.vlanId = vid;
            pushEncap(out, Encap.Vlan, vid);
            type = inner;
            off += 4;
          }
        }
        if (type === ETH_IPV4) version = 4;
        else if (type === ETH_IPV6) version = 6;
        else return this.walkFrom(Next.Ether, start, end, origlen, out, 0);
        break;
      }
      case LinkType.LINUX_SLL: {
        if (have < 16) return short(out, 'Linux cooked header', 16, have);
        const type = dv.getUint16(off + 14);
        off += 16;
        version = type === ETH_IPV4 ? 4 : type === ETH_IPV6 ? 6 : 0;
        if (!version) return this.walkFrom(Next.EtherType, off, end, origlen - 16, out, type);
        break;
      }
      case LinkType.LINUX_SLL2: {
        if (have < 20) return short(out, 'Linux cooked v2 header', 20, have);
        const type = dv.getUint16(off);
        off += 20;
        version = type === ETH_IPV4 ? 4 : type === ETH_IPV6 ? 6 : 0;
        if (!version) return this.walkFrom(Next.EtherType, off, end, origlen - 20, out, type);
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
      case LinkType.PPP:
      case LinkType.PPP_HDLC:
        return this.walkFrom(Next.PPP, off, end, origlen, out, 0);
      case LinkType.PPP_WITH_DIR:
        if (have < 1) return short(out, 'PPP direction byte', 1, have);
        return this.walkFrom(Next.PPP, off + 1, end, origlen - 1, out, 0);
      case LinkType.C_HDLC:
        return this.walkFrom(Next.CHDLC, off, end, origlen, out, 0);
      case LinkType.FDDI:
        return this.walkFrom(Next.FDDI, off, end, origlen, out, 0);
      case LinkType.PPP_ETHER:
      case LinkType.IPOIB:
      case LinkType.ARCNET_BSD:
      case LinkType.ARCNET_LINUX:
      case LinkType.NFLOG:
      case LinkType.JUNIPER_ETHER:
      case LinkType.JUNIPER_PPPOE:
      case LinkType.JUNIPER_PPP:
      case LinkType.JUNIPER_CHDLC:
      case LinkType.JUNIPER_SVCS:
      case LinkType.JUNIPER_GGSN:
      case LinkType.JUNIPER_VP: {
        const hop = this.hop;
        hop.off = off;
        hop.end = end;
        hop.wire = origlen;
        let s: Stop;
        if (linktype === LinkType.PPP_ETHER) s = pppoeSession(dv, hop, out);
        else if (linktype === LinkType.IPOIB) s = ipoib(dv, hop);
        else if (linktype === LinkType.ARCNET_BSD || linktype === LinkType.ARCNET_LINUX) s = arcnet(dv, hop, linktype === LinkType.ARCNET_LINUX);
        else if (linktype === LinkType.NFLOG) s = nflog(dv, hop);
        else s = juniper(dv, hop, linktype);
        if (s !== Stop.Go) return this.stopped(s, out);
        return this.walk(out);
      }
      default:
        this.otherLinkTypes.set(linktype, (this.otherLinkTypes.get(linktype) ?? 0) + 1);
        return other(out, `link type ${linktype}`);
    }
    // Bytes of this frame on the wire from `off` on: an IP length beyond it is not believed.
    const wire = origlen - (off - start);
    return version === 4 ? this.ipv4(off, end, wire, out) : this.ipv6(off, end, wire, out);
  }

  private walkFrom(next: Next, off: number, end: number, wire: number, out: TcpPacket, val: number): DecodeStatus {
    const hop = this.hop;
    hop.off = off;
    hop.end = end;
    hop.wire = wire;
    hop.next = next;
    hop.val = val;
    return this.walk(out);
  }

  /** Step through layers from `this.hop` until TCP, or until a layer leads nowhere. */
  private walk(out: TcpPacket): DecodeStatus {
    const hop = this.hop;
    for (;;) {
      if (++this.depth > MAX_DEPTH) return bad(out, `more than ${MAX_DEPTH} nested layers (encapsulation loop?)`);
      const dv = this.dv;
      let s: Stop;
      switch (hop.next) {
        case Next.Ether:
          s = ether(dv, hop, out);
          break;
        case Next.EtherType:
          s = etherType(dv, hop, out);
          break;
        case Next.LLC:
          s = llc(dv, hop);
          break;
        case Next.MPLS:
          s = mpls(dv, hop, out);
          break;
        case Next.PPP:
          s = ppp(dv, hop);
          break;
        case Next.CHDLC:
          s = chdlc(dv, hop);
          break;
        case Next.Wlan:
          s = wlan(dv, hop);
          break;
        case Next.FDDI:
          s = fddi(dv, hop);
          break;
        case Next.IPProto:
          return this.ipPayload(hop.val, 0, hop.off, hop.end, hop.wire, out);
        case Next.IP:
        case Next.IPv6: {
          if (hop.end - hop.off < 1) return short(out, 'IP header', 20, 0);
          const v = dv.getUint8(hop.off) >> 4;
          if (v === 6) return this.ipv6(hop.off, hop.end, hop.wire, out);
          if (v === 4 && hop.next === Next.IP) return this.ipv4(hop.off, hop.end, hop.wire, out);
          return other(out, `IP version ${v} where ${hop.next === Next.IP ? 'IP' : 'IPv6'} was expected`);
        }
      }
      if (s !== Stop.Go) return this.stopped(s, out);
    }
  }

  private stopped(s: Stop, out: TcpPacket): DecodeStatus {
    out.reason = this.hop.reason;
    return STATUS[s]!;
  }

  /** What an IP header with protocol `proto` carries, when it is not TCP. */
  private ipPayload(proto: number, outer: 0 | 4 | 6, off: number, end: number, wire: number, out: TcpPacket): DecodeStatus {
    const hop = this.hop;
    hop.off = off;
    hop.end = end;
    hop.wire = wire;
    const dv = this.dv;
    switch (proto) {
      case IPPROTO_TCP:
        // Reached through AYIYA: TCP right after a tunnel header.
        return this.tcp(off, end, wire, out);
      case 4: {
        const v = end > off ? dv.getUint8(off) >> 4 : 0;
        if (outer !== 0) pushEncap(out, outer === 6 ? (v === 6 ? Encap.SixIn6 : Encap.FourIn6) : v === 6 ? Encap.SixIn4 : Encap.IpIp, -1);
        hop.next = Next.IP;
        break;
      }
      case 41:
        if (outer !== 0) pushEncap(out, outer === 6 ? Encap.SixIn6 : Encap.SixIn4, -1);
        hop.next = Next.IPv6;
        break;
      case 47: {
        if (++this.depth > MAX_DEPTH) return bad(out, `more than ${MAX_DEPTH} nested layers (encapsulation loop?)`);
        const s = gre(dv, hop, out, Encap.Gre);
        if (s !== Stop.Go) return this.stopped(s, out);
        break;
      }
      case 137:
        hop.next = Next.MPLS;
        break;
      case 143:
        hop.next = Next.Ether;
        break;
      case 17: {
        if (++this.depth > MAX_DEPTH) return bad(out, `more than ${MAX_DEPTH} nested layers (encapsulation loop?)`);
        const s = udp(dv, hop, out);
        if (s !== Stop.Go) return this.stopped(s, out);
        break;
      }
      default:
        return other(out, proto === 59 ? 'IPv6 no next header' : `IP protocol ${proto}`);
    }
    return this.walk(out);
  }

  private ipv4(off: number, end: number, wire: number, out: TcpPacket): DecodeStatus {
    const dv = this.dv;
    if (end - off < 20) return short(out, 'IPv4 header', 20, end - off);
    const b0 = dv.getUint8(off);
    if (b0 >> 4 !== 4) {
      // tshark's IPv4 entries (ethertype 0x0800, ...) go on as IPv6 when the version says 6.
      if (b0 >> 4 === 6) return this.ipv6(off, end, wire, out);
      return bad(out, `IP version ${b0 >> 4} in an IPv4 frame`);
    }
    const ihl = (b0 & 15) * 4;
    if (ihl < 20) return bad(out, `IPv4 header length ${ihl} < 20`);
    let total = dv.getUint16(off + 2);
    // Total length 0: a TSO/GSO frame captured on the sending host; the frame length stands in.
    if (total === 0) total = wire;
    if (total < ihl) return bad(out, `IPv4 total length ${total} < header length ${ihl}`);
    if (total > wire) total = wire;
    const frag = dv.getUint16(off + 6);
    const proto = dv.getUint8(off + 9);
    if (end - off < ihl) return short(out, 'IPv4 options', ihl, end - off);
    out.ipVersion = 4;
    out.ipLen = total;
    out.src4 = dv.getUint32(off + 12);
    out.dst4 = dv.getUint32(off + 16);
    if ((frag & 0x3fff) !== 0) return this.fragment4(off, end, ihl, total, frag, proto, out);
    if (proto !== IPPROTO_TCP) return this.ipPayload(proto, 4, off + ihl, end < off + total ? end : off + total, total - ihl, out);
    return this.tcp(off + ihl, end, total - ihl, out);
  }

  /** An IPv4 fragment (MF set or offset ≠ 0): held, or the datagram it completes is decoded. */
  private fragment4(off: number, end: number, ihl: number, total: number, frag: number, proto: number, out: TcpPacket): DecodeStatus {
    const fragOff = (frag & 0x1fff) * 8;
    if (total <= ihl || end - off < total) {
      // tshark: a fragment that cannot join is dissected only at offset 0, and not analysed.
      return fragOff === 0
        ? other(out, 'IPv4 first fragment not wholly captured (cannot be reassembled)')
        : other(out, 'IPv4 fragment not wholly captured');
    }
    const src = out.src4;
    const dst = out.dst4;
    const vlan = isPrivate4(src) || isPrivate4(dst) ? this.hop.vlanId : 0;
    const key = `4 ${src} ${dst} ${proto} ${this.dv.getUint16(off + 4)} ${vlan}`;
    const r = this.defrag.add(key, out.time, fragOff, (frag & 0x2000) === 0, this.buf.subarray(off + ihl, off + total));
    if (r === 'held') {
      this.fragmentsHeld++;
      return other(out, 'IPv4 fragment (reassembled in a later frame, if complete)');
    }
    if (r === 'dropped') return other(out, 'IPv4 fragment dropped (reassembly bound or timeout)');
    this.use(r);
    out.data = r;
    if (proto !== IPPROTO_TCP) return this.ipPayload(proto, 4, 0, r.length, r.length, out);
    return this.tcp(0, r.length, r.length, out);
  }

  private ipv6(off: number, end: number, wire: number, out: TcpPacket): DecodeStatus {
    let dv = this.dv;
    if (end - off < 40) return short(out, 'IPv6 header', 40, end - off);
    const v = dv.getUint8(off) >> 4;
    if (v !== 6) return bad(out, `IP version ${v} in an IPv6 frame`);
    let remaining = dv.getUint16(off + 4);
    // Payload length 0 (jumbogram or TSO): the frame length stands in.
    if (remaining === 0 || remaining > wire - 40) remaining = Math.max(0, wire - 40);
    const ipLen = remaining + 40;
    let next = dv.getUint8(off + 6);
    const src = out.src6;
    const dst = out.dst6;
    for (let i = 0; i < 4; i++) {
      src[i] = dv.getUint32(off + 8 + i * 4);
      dst[i] = dv.getUint32(off + 24 + i * 4);
    }
    out.ipVersion = 6;
    let p = off + 40;
    for (let n = 0; ; n++) {
      if (next === IPPROTO_TCP) break;
      if (next !== 0 && next !== 43 && next !== 44 && next !== 60 && next !== 51) {
        return this.ipPayload(next, 6, p, end < p + remaining ? end : p + remaining, remaining, out);
      }
      if (n === MAX_STACK) return bad(out, `more than ${MAX_STACK} IPv6 extension headers`);
      if (remaining < 8) return bad(out, `IPv6 extension header ${next} longer than the payload (${remaining} bytes left)`);
      if (end - p < 8) return short(out, 'IPv6 extension header', 8, end - p);
      let len: number;
      if (next === 44) {
        const fo = dv.getUint16(p + 2);
        if ((fo & 0xfff9) !== 0) {
          // A real fragment (not an atomic one): hold it, or go on in the rebuilt datagram.
          const size = remaining - 8;
          if (end - (p + 8) < size) return other(out, 'IPv6 fragment not wholly captured');
          const key = `6 ${src.join(' ')} ${dst.join(' ')} ${dv.getUint32(p + 4)}`;
          const r = this.defrag.add(key, out.time, fo & 0xfff8, (fo & 1) === 0, this.buf.subarray(p + 8, p + 8 + size));
          if (r === 'held') {
            this.fragmentsHeld++;
            return other(out, 'IPv6 fragment (reassembled in a later frame, if complete)');
          }
          if (r === 'dropped') return other(out, 'IPv6 fragment dropped (reassembly bound or timeout)');
          next = dv.getUint8(p);
          this.use(r);
          out.data = r;
          dv = this.dv;
          p = 0;
          end = r.length;
          remaining = r.length;
          continue;
        }
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
    out.ipLen = ipLen;
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

/** RFC 1918 and link-local IPv4: tshark mixes the VLAN id into the reassembly key for these. */
function isPrivate4(a: number): boolean {
  const b0 = a >>> 24;
  const b1 = (a >>> 16) & 255;
  return b0 === 10 || (b0 === 172 && (b1 & 0xf0) === 16) || (b0 === 192 && b1 === 168) || (b0 === 169 && b1 === 254);
}

/**
 * Conversation identity across tunnels: the innermost overlay network identifier (VXLAN VNI,
 * VXLAN-GPE VNI, Geneve VNI), as kind × 2^24 + VNI; 0 when there is none. See README "Tunnels".
 */
function networkOf(p: TcpPacket): number {
  for (let i = Math.min(p.encapCount, MAX_RECORDED) - 1; i >= 0; i--) {
    const k = p.encapKind[i]!;
    if (k === Encap.Vxlan || k === Encap.Geneve || k === Encap.VxlanGpe) return k * 0x1000000 + p.encapId[i]!;
  }
  return 0;
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
