/**
 * Link types beyond Ethernet, cooked and raw IP, each as tshark 4.0 reads it: FDDI, IP over
 * InfiniBand, ARCNET (BSD and Linux), Linux NFLOG, and Juniper's "MGC" link types as far as the
 * inner packet is reachable. Each leaves `hop` at the first layer tshark dispatches to.
 */
import { cut, data, malformed, Next, skip, Stop, type Hop } from './hop.js';

export const LinkTypeX = {
  ARCNET_BSD: 7,
  PPP: 9,
  FDDI: 10,
  PPP_HDLC: 50,
  PPP_ETHER: 51,
  C_HDLC: 104,
  ARCNET_LINUX: 129,
  JUNIPER_GGSN: 133,
  JUNIPER_SVCS: 136,
  JUNIPER_PPPOE: 167,
  JUNIPER_ETHER: 178,
  JUNIPER_PPP: 179,
  JUNIPER_CHDLC: 181,
  JUNIPER_VP: 183,
  PPP_WITH_DIR: 204,
  NFLOG: 239,
  IPOIB: 242,
} as const;

/** FDDI (RFC 1188): FC, DA, SA; only asynchronous LLC frames (FC 0x50-0x5F) go on, to LLC. */
export function fddi(dv: DataView, hop: Hop): Stop {
  const have = hop.end - hop.off;
  if (have < 13) return cut(hop, 'FDDI header', 13, have);
  const fc = dv.getUint8(hop.off);
  if (fc < 0x50 || fc > 0x5f) return data(hop, `FDDI frame control 0x${fc.toString(16)} (not async LLC)`);
  skip(hop, 13);
  hop.next = Next.LLC;
  return Stop.Go;
}

/** IP over InfiniBand (RFC 4391) as captured: a 40-byte pseudo-header, type(2), reserved(2). */
export function ipoib(dv: DataView, hop: Hop): Stop {
  const have = hop.end - hop.off;
  if (have < 44) return cut(hop, 'IPoIB header', 44, have);
  const type = dv.getUint16(hop.off + 40);
  skip(hop, 44);
  if (type === 0x0800 || type === 0x86dd) {
    hop.next = Next.IP;
    return Stop.Go;
  }
  return data(hop, `IPoIB type 0x${type.toString(16).padStart(4, '0')}`);
}

/**
 * ARCNET: src, dst, (Linux: offset(2)), protocol ID. RFC 1051 IDs (240 IP) carry IP right after;
 * RFC 1201 IDs (212 IP, 196 IPv6) have split flag and sequence first; a BSD exception frame (split
 * flag 0xFF) has 4 more bytes. RFC 1201 fragments are not reassembled (tshark does not either).
 */
export function arcnet(dv: DataView, hop: Hop, linux: boolean): Stop {
  const have = hop.end - hop.off;
  const base = linux ? 4 : 2;
  if (have < base + 1) return cut(hop, 'ARCNET header', base + 1, have);
  const id = dv.getUint8(hop.off + base);
  if (id === 240) {
    skip(hop, base + 1);
    hop.next = Next.IP;
    return Stop.Go;
  }
  if (id !== 212 && id !== 196) return data(hop, `ARCNET protocol ${id}`);
  let h = base + 4;
  if (have < h) return cut(hop, 'ARCNET header', h, have);
  if (!linux && dv.getUint8(hop.off + base + 1) === 0xff) h += 4;
  if (have < h) return cut(hop, 'ARCNET exception header', h, have);
  skip(hop, h);
  hop.next = id === 196 ? Next.IPv6 : Next.IP;
  return Stop.Go;
}

/**
 * Linux NFLOG: family, version, resource id, then TLVs (length includes the 4-byte header, next
 * TLV at the length rounded up to 4) in the capturing host's byte order. The byte order of the
 * file is not passed down to the decoder, so it is guessed per frame: little-endian (every Linux
 * capture host we know of) unless the first TLV length only makes sense big-endian.
 * PACKET_HDR (1) gives hw_protocol; the last PAYLOAD (9) wins. A TLV length < 4, or a payload
 * running past the end, means no payload (as tshark).
 */
export function nflog(dv: DataView, hop: Hop): Stop {
  const o = hop.off;
  const have = hop.end - o;
  if (have < 4) return cut(hop, 'NFLOG header', 4, have);
  const family = dv.getUint8(o);
  let le = true;
  if (have >= 8) {
    const l = dv.getUint16(o + 4, true);
    const b = dv.getUint16(o + 4, false);
    if ((l < 4 || l > have - 4) && b >= 4 && b <= have - 4) le = false;
  }
  let p = o + 4;
  let hw = 0;
  let payOff = -1;
  let payLen = 0;
  while (hop.end - p >= 4) {
    const len = dv.getUint16(p, le);
    const type = dv.getUint16(p + 2, le) & 0x7fff;
    if (len < 4) return malformed(hop, `NFLOG TLV length ${len} < 4`);
    if (p + len > hop.end) {
      if (type === 9) return cut(hop, 'NFLOG payload', len, hop.end - p);
      break;
    }
    if (type === 1 && len - 4 === 4) hw = dv.getUint16(p + 4);
    if (type === 9) {
      payOff = p + 4;
      payLen = len - 4;
    }
    p += (len + 3) & ~3;
  }
  if (payOff < 0) return data(hop, 'NFLOG without a payload');
  hop.wire -= payOff - hop.off;
  hop.off = payOff;
  hop.end = payOff + payLen;
  if (payLen < hop.wire) hop.wire = payLen;
  if (hw !== 0) {
    hop.next = Next.EtherType;
    hop.val = hw;
  } else if (family === 2) {
    hop.next = Next.IP;
  } else if (family === 10) {
    hop.next = Next.IPv6;
  } else {
    return data(hop, `NFLOG family ${family}`);
  }
  return Stop.Go;
}

/**
 * Juniper link types (`packet-juniper.c`; no public spec): "MGC" magic, flags (0x01 inbound,
 * 0x02 no-L2, 0x80 extensions with a 2-byte length). With no-L2 a 4-byte little-endian protocol
 * follows; otherwise the link type says what starts after the header. Bad magic: header length 0.
 * ATM and multilink variants are not decoded.
 */
export function juniper(dv: DataView, hop: Hop, linktype: number): Stop {
  const o = hop.off;
  const have = hop.end - o;
  let h = 0;
  let flags = 0;
  if (have >= 4 && dv.getUint16(o) === 0x4d47 && dv.getUint8(o + 2) === 0x43) {
    flags = dv.getUint8(o + 3);
    h = 4;
    if (flags & 0x80) {
      if (have < 6) return cut(hop, 'Juniper extension length', 6, have);
      h = 6 + dv.getUint16(o + 4);
    }
    if (have < h) return cut(hop, 'Juniper header', h, have);
  }
  if (h > 0 && flags & 0x02) {
    if (have < h + 4) return cut(hop, 'Juniper protocol', h + 4, have);
    const proto = dv.getUint32(o + h, true);
    skip(hop, h + 4);
    switch (proto) {
      case 2: case 3: hop.next = Next.IP; return Stop.Go;
      case 6: case 7: hop.next = Next.IPv6; return Stop.Go;
      case 4: case 5: case 8: hop.next = Next.MPLS; return Stop.Go;
      case 200: hop.next = Next.PPP; return Stop.Go;
      case 204: hop.next = Next.Ether; return Stop.Go;
      case 0xa248:
        if (hop.end - hop.off < 4) return cut(hop, 'Juniper header', 4, hop.end - hop.off);
        skip(hop, 4);
        hop.next = Next.IP;
        return Stop.Go;
      default:
        return data(hop, `Juniper protocol ${proto}`);
    }
  }
  let at = h;
  switch (linktype) {
    case LinkTypeX.JUNIPER_ETHER:
    case LinkTypeX.JUNIPER_PPPOE:
      hop.next = Next.Ether;
      break;
    case LinkTypeX.JUNIPER_PPP:
      at = h + 2;
      hop.next = Next.PPP;
      break;
    case LinkTypeX.JUNIPER_CHDLC:
      hop.next = Next.CHDLC;
      break;
    case LinkTypeX.JUNIPER_SVCS:
      at = h + (flags & 1 ? 16 : 12);
      hop.next = Next.IP;
      break;
    case LinkTypeX.JUNIPER_VP:
      at = h + 18;
      hop.next = Next.IP;
      break;
    case LinkTypeX.JUNIPER_GGSN: {
      if (have < h + 4) return cut(hop, 'Juniper GGSN header', h + 4, have);
      const proto = dv.getUint16(o + h, true);
      at = h + 4;
      if (proto === 2 || proto === 3) hop.next = Next.IP;
      else if (proto === 6 || proto === 7) hop.next = Next.IPv6;
      else return data(hop, `Juniper GGSN protocol ${proto}`);
      break;
    }
    default:
      return data(hop, `Juniper link type ${linktype}`);
  }
  if (have < at) return cut(hop, 'Juniper header', at, have);
  skip(hop, at);
  return Stop.Go;
}
