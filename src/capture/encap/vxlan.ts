/**
 * VXLAN (RFC 7348, UDP 4789): flags(1, I not checked), reserved(3), VNI(3), reserved(1), then
 * Ethernet without FCS. VXLAN-GPE (UDP 4790): next protocol 1 IPv4, 2 IPv6, 3 Ethernet, 5 MPLS.
 */
import type { TcpPacket } from '../tcp-packet.js';
import { cut, data, Encap, Next, pushEncap, skip, Stop, type Hop } from './hop.js';

export function vxlan(dv: DataView, hop: Hop, out: TcpPacket): Stop {
  const have = hop.end - hop.off;
  if (have < 8) return cut(hop, 'VXLAN header', 8, have);
  pushEncap(out, Encap.Vxlan, dv.getUint32(hop.off + 4) >>> 8);
  skip(hop, 8);
  hop.next = Next.Ether;
  return Stop.Go;
}

export function vxlanGpe(dv: DataView, hop: Hop, out: TcpPacket): Stop {
  const have = hop.end - hop.off;
  if (have < 8) return cut(hop, 'VXLAN-GPE header', 8, have);
  const np = dv.getUint8(hop.off + 3);
  pushEncap(out, Encap.VxlanGpe, dv.getUint32(hop.off + 4) >>> 8);
  skip(hop, 8);
  switch (np) {
    case 1: hop.next = Next.IP; return Stop.Go;
    case 2: hop.next = Next.IPv6; return Stop.Go;
    case 3: hop.next = Next.Ether; return Stop.Go;
    case 5: hop.next = Next.MPLS; return Stop.Go;
    default: return data(hop, `VXLAN-GPE next protocol ${np}`);
  }
}
