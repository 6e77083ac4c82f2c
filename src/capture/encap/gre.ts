/**
 * GRE (RFC 2784, RFC 2890 key and sequence; RFC 1701 routing and RFC 2637 enhanced GRE), with the
 * payloads tshark 4.0 follows from GRE's own protocol table (`packet-gre.c`): IPv4/IPv6, Ethernet
 * (transparent bridging, NVGRE, MikroTik EoIP), MPLS, PPP, ERSPAN types I-III
 * (`packet-cisco-erspan.c`), WCCP redirect and Aruba's 802.11 frames. The same parser reads
 * GRE-in-UDP (RFC 8086) from the UDP payload.
 */
import type { TcpPacket } from '../tcp-packet.js';
import { cut, data, Encap, hex4, malformed, Next, pushEncap, skip, Stop, type Hop } from './hop.js';

/** Most RFC 1701 source route entries followed. */
const MAX_SRE = 16;

export function gre(dv: DataView, hop: Hop, out: TcpPacket, kind: Encap): Stop {
  const o = hop.off;
  const have = hop.end - o;
  if (have < 4) return cut(hop, 'GRE header', 4, have);
  const flags = dv.getUint16(o);
  const type = dv.getUint16(o + 2);
  const version = flags & 7;
  const C = (flags & 0x8000) !== 0;
  const R = (flags & 0x4000) !== 0;
  const K = (flags & 0x2000) !== 0;
  const S = (flags & 0x1000) !== 0;
  const A = (flags & 0x0080) !== 0;
  // Enhanced GRE (version 1, PPTP) and the 3GPP2 types carry an acknowledgement when A is set.
  const enhanced = version === 1 || type === 0x88d2 || type === 0x8881;
  let h = 4 + (C || R ? 4 : 0);
  let key = -1;
  if (K) {
    if (have < h + 4) return cut(hop, 'GRE key', h + 4, have);
    key = dv.getUint32(o + h);
    h += 4;
  }
  if (S) h += 4;
  if (enhanced && A) h += 4;
  if (have < h) return cut(hop, 'GRE optional fields', h, have);
  if (R) {
    for (let n = 0; ; n++) {
      if (n === MAX_SRE) return malformed(hop, `GRE routing list of more than ${MAX_SRE} entries`);
      if (have < h + 4) return cut(hop, 'GRE source route entry', h + 4, have);
      const af = dv.getUint16(o + h);
      const len = dv.getUint8(o + h + 3);
      h += 4 + len;
      if (af === 0 && len === 0) break;
      if (have < h) return cut(hop, 'GRE source route entry', h, have);
    }
  }
  pushEncap(out, type === 0x88be || type === 0x22eb ? Encap.Erspan : type === 0x883e ? Encap.Wccp : type === 0x6400 ? Encap.EoIP : kind, key);
  const greByte4 = have > 4 ? dv.getUint8(o + 4) : 0;
  skip(hop, h);
  if (!S && hop.end <= hop.off) return data(hop, 'GRE keepalive (no payload)');
  switch (type) {
    case 0x0800:
      hop.next = Next.IP;
      return Stop.Go;
    case 0x86dd:
      hop.next = Next.IPv6;
      return Stop.Go;
    case 0x6558:
      hop.next = Next.Ether;
      return Stop.Go;
    case 0x6400:
      // MikroTik EoIP: the "key" is its tunnel id; Ethernet follows.
      hop.next = Next.Ether;
      return Stop.Go;
    case 0x8847:
    case 0x8848:
      hop.next = Next.MPLS;
      return Stop.Go;
    case 0x880b:
      hop.next = Next.PPP;
      return Stop.Go;
    case 0x88be:
    case 0x22eb:
      if (type === 0x88be && !S) {
        hop.next = Next.Ether; // ERSPAN type I: no header of its own
        return Stop.Go;
      }
      return erspan(dv, hop, out);
    case 0x883e: {
      // WCCP: tshark reads GRE byte 4 whatever the optional fields; a redirect header follows unless it looks like IPv4.
      if (greByte4 >> 4 !== 4) {
        if (hop.end - hop.off < 4) return cut(hop, 'WCCP redirect header', 4, hop.end - hop.off);
        skip(hop, 4);
      }
      hop.next = Next.IP;
      return Stop.Go;
    }
    default:
      if (type >= 0x8200 && type <= 0x8370 && (type & 0xf) === 0) {
        out.encapKind[Math.min(out.encapCount, 16) - 1] = Encap.Aruba;
        hop.next = Next.Wlan;
        return Stop.Go;
      }
      return data(hop, `GRE protocol ${hex4(type)}`);
  }
}

/** ERSPAN type II or III header (after GRE with S set, or any 0x22EB); Ethernet follows. */
function erspan(dv: DataView, hop: Hop, out: TcpPacket): Stop {
  const o = hop.off;
  const have = hop.end - o;
  if (have < 2) return cut(hop, 'ERSPAN header', 8, have);
  const ver = dv.getUint8(o) >> 4;
  if (ver === 1) {
    if (have < 8) return cut(hop, 'ERSPAN II header', 8, have);
    const vlan = dv.getUint16(o) & 0xfff;
    const en = (dv.getUint8(o + 2) >> 3) & 3;
    if (hop.vlanId === 0 && en !== 3) hop.vlanId = vlan;
    setId(out, dv.getUint16(o + 2) & 0x3ff);
    skip(hop, 8);
  } else if (ver === 2) {
    if (have < 12) return cut(hop, 'ERSPAN III header', 12, have);
    hop.vlanId = dv.getUint16(o) & 0xfff;
    setId(out, dv.getUint16(o + 2) & 0x3ff);
    const w = dv.getUint16(o + 10);
    const ft = (w >> 10) & 0x1f;
    const optional = (w & 1) !== 0;
    const h = optional ? 20 : 12;
    if (have < h) return cut(hop, 'ERSPAN III platform sub-header', h, have);
    skip(hop, h);
    if (ft !== 0) return data(hop, `ERSPAN III frame type ${ft} (tshark decodes only Ethernet)`);
  } else {
    return data(hop, `ERSPAN version ${ver}`);
  }
  hop.next = Next.Ether;
  return Stop.Go;
}

/** Replace the identifier of the layer just recorded (the GRE key gives way to the ERSPAN session). */
function setId(out: TcpPacket, id: number): void {
  const i = Math.min(out.encapCount, 16) - 1;
  if (i >= 0) out.encapId[i] = id;
}
