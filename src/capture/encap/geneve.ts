/**
 * Geneve (RFC 8926, UDP 6081): ver(2) opt-len(6) in 4-byte words, O/C flags, protocol type (an
 * ethertype), VNI(3), reserved. Options are skipped by length; a version other than 0 is decoded
 * anyway, as tshark does.
 */
import type { TcpPacket } from '../tcp-packet.js';
import { cut, Encap, Next, pushEncap, skip, Stop, type Hop } from './hop.js';

export function geneve(dv: DataView, hop: Hop, out: TcpPacket): Stop {
  const have = hop.end - hop.off;
  if (have < 8) return cut(hop, 'Geneve header', 8, have);
  const h = 8 + (dv.getUint8(hop.off) & 0x3f) * 4;
  if (have < h) return cut(hop, 'Geneve options', h, have);
  hop.val = dv.getUint16(hop.off + 2);
  pushEncap(out, Encap.Geneve, dv.getUint32(hop.off + 4) >>> 8);
  skip(hop, h);
  hop.next = Next.EtherType;
  return Stop.Go;
}
