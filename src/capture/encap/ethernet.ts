/**
 * Ethernet beyond the plain Ethernet II → IP path the decoder handles inline: the Ethernet
 * heuristics that run before the type field (Cisco FabricPath), Cisco ISL, IEEE 802.3 length
 * frames, and the ethertype table with its tags (802.1Q, 802.1ad, PBB, VN-Tag) and the protocols
 * that lead to IP. Each rule follows tshark 4.0 (`packet-eth.c`, `packet-vlan.c`,
 * `packet-ieee8021ah.c`, `packet-vntag.c`, `packet-cisco-fp-mim.c`).
 */
import type { TcpPacket } from '../tcp-packet.js';
import { cut, data, Encap, hex4, limit, Next, pushEncap, skip, Stop, type Hop } from './hop.js';

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const ETH_VLAN = 0x8100;
export const ETH_QINQ = 0x88a8;
export const ETH_QINQ_OLD = 0x9100;
export const ETH_PBB = 0x88e7;
export const ETH_VNTAG = 0x8926;
export const ETH_MPLS = 0x8847;
export const ETH_MPLS_MC = 0x8848;
export const ETH_PPPOE_SESSION = 0x8864;
export const ETH_TEB = 0x6558;
export const ETH_PPP = 0x880b;
const ETH_FABRICPATH = 0x8903;

/**
 * An Ethernet frame at `hop.off` (no FCS): heuristics first, then the type/length field. Leaves
 * `hop` at the payload with `next` = EtherType (val = the type) or LLC.
 */
export function ether(dv: DataView, hop: Hop, out: TcpPacket): Stop {
  const have = hop.end - hop.off;
  if (have < 14) return cut(hop, 'Ethernet header', 14, have);
  const o = hop.off;
  const t12 = dv.getUint16(o + 12);
  // Cisco FabricPath: no ethertype entry, an on-by-default heuristic; the inner frame always loses
  // 4 trailing bytes to a presumed FCS, even when the capture has none.
  let fp = 0;
  if (t12 === ETH_FABRICPATH) fp = 16;
  else if ((t12 === ETH_VLAN || t12 === ETH_QINQ) && have >= 18 && dv.getUint16(o + 16) === ETH_FABRICPATH) fp = 20;
  if (fp !== 0) {
    if (have < fp) return cut(hop, 'FabricPath header', fp, have);
    pushEncap(out, Encap.FabricPath, -1);
    hop.end -= 4;
    hop.wire -= 4;
    skip(hop, fp);
    if (hop.end < hop.off) hop.end = hop.off;
    hop.next = Next.Ether;
    return Stop.Go;
  }
  if (t12 === 0 || t12 >= 1536) {
    skip(hop, 14);
    hop.next = Next.EtherType;
    hop.val = t12;
    return Stop.Go;
  }
  if (t12 > 1500) return data(hop, `Ethernet type/length ${t12} (neither)`);
  // Cisco ISL: a 26-byte header, then the inner frame (with its FCS) of ISL length − 12 bytes.
  const d0 = dv.getUint32(o);
  const d4 = dv.getUint8(o + 4);
  if ((d0 === 0x01000c00 || d0 === 0x0c000c00) && d4 === 0) {
    if (have < 26) return cut(hop, 'ISL header', 26, have);
    pushEncap(out, Encap.Isl, dv.getUint16(o + 20) >> 1);
    skip(hop, 26);
    limit(hop, Math.max(0, t12 - 12));
    hop.next = Next.Ether;
    return Stop.Go;
  }
  skip(hop, 14);
  return ieee8023(dv, hop, t12);
}

/** The rest of an 802.3 length frame at `hop.off`: `len` payload bytes, raw IPX or LLC. */
export function ieee8023(dv: DataView, hop: Hop, len: number): Stop {
  limit(hop, len);
  if (hop.end - hop.off >= 2 && dv.getUint16(hop.off) === 0xffff) return data(hop, 'Novell IPX (raw 802.3)');
  hop.next = Next.LLC;
  return Stop.Go;
}

/**
 * One step of the ethertype table for `hop.val`: a tag is read and the hop left at the next type;
 * IP and the tunnel protocols set `next` for the decoder. Types that lead nowhere are `other`.
 */
export function etherType(dv: DataView, hop: Hop, out: TcpPacket): Stop {
  const type = hop.val;
  const have = hop.end - hop.off;
  const o = hop.off;
  switch (type) {
    case ETH_IPV4:
      // tshark's IPv4 entry still goes on as IPv6 when the version nibble says 6.
      hop.next = Next.IP;
      return Stop.Go;
    case ETH_IPV6:
      hop.next = Next.IPv6;
      return Stop.Go;
    case ETH_VLAN:
    case ETH_QINQ_OLD: {
      if (have < 4) return cut(hop, 'VLAN tag', 4, have);
      const vid = dv.getUint16(o) & 0xfff;
      if (hop.vlanId === 0) hop.vlanId = vid;
      pushEncap(out, Encap.Vlan, vid);
      const tl = dv.getUint16(o + 2);
      skip(hop, 4);
      if (tl <= 1500) return ieee8023(dv, hop, tl);
      hop.val = tl;
      return Stop.Go;
    }
    case ETH_QINQ: {
      if (have < 4) return cut(hop, '802.1ad tag', 4, have);
      pushEncap(out, Encap.Vlan, dv.getUint16(o) & 0xfff);
      const t = dv.getUint16(o + 2);
      skip(hop, 4);
      if (t <= 1500) return data(hop, `802.1ad type ${t} is a length`);
      hop.val = t;
      return Stop.Go;
    }
    case ETH_PBB: {
      if (have < 18) return cut(hop, 'PBB I-TAG', 18, have);
      pushEncap(out, Encap.Pbb, dv.getUint32(o) & 0xffffff);
      const t = dv.getUint16(o + 16);
      skip(hop, 18);
      if (t <= 1500) return data(hop, `PBB type ${t} is a length`);
      hop.val = t;
      return Stop.Go;
    }
    case ETH_VNTAG: {
      if (have < 6) return cut(hop, 'VN-Tag', 6, have);
      pushEncap(out, Encap.VnTag, (dv.getUint16(o) >> 0) & 0x3fff);
      const tl = dv.getUint16(o + 4);
      skip(hop, 6);
      if (tl <= 1500) return ieee8023(dv, hop, tl);
      hop.val = tl;
      return Stop.Go;
    }
    case ETH_MPLS:
    case ETH_MPLS_MC:
      hop.next = Next.MPLS;
      return Stop.Go;
    case ETH_PPPOE_SESSION:
      return pppoeSession(dv, hop, out);
    case ETH_TEB:
      hop.next = Next.Ether;
      return Stop.Go;
    case ETH_PPP:
      hop.next = Next.PPP;
      return Stop.Go;
    default:
      return data(hop, `ethertype ${hex4(type)}`);
  }
}

/** PPPoE session header (RFC 2516): ver/type, code, session, length; PPP protocol follows. */
export function pppoeSession(dv: DataView, hop: Hop, out: TcpPacket): Stop {
  const have = hop.end - hop.off;
  if (have < 6) return cut(hop, 'PPPoE header', 6, have);
  pushEncap(out, Encap.Pppoe, dv.getUint16(hop.off + 2));
  const len = dv.getUint16(hop.off + 4);
  skip(hop, 6);
  limit(hop, len);
  // PPPoE carries the PPP protocol field without address/control; the PPP decoder handles both.
  hop.next = Next.PPP;
  return Stop.Go;
}
