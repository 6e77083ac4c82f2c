/**
 * Teredo (RFC 4380, UDP 3544 only; tshark's Teredo heuristic is off): an optional authentication
 * indicator (0x0001, ID-len, AU-len, client ID, auth value, nonce(8), confirmation(1)), an optional
 * origin indicator (0x0000, port, address: 8 bytes), then IPv6 (anything else is data).
 */
import type { TcpPacket } from '../tcp-packet.js';
import { cut, Encap, Next, pushEncap, skip, Stop, type Hop } from './hop.js';

export function teredo(dv: DataView, hop: Hop, out: TcpPacket): Stop {
  pushEncap(out, Encap.Teredo, -1);
  let have = hop.end - hop.off;
  if (have >= 2 && dv.getUint16(hop.off) === 0x0001) {
    if (have < 4) return cut(hop, 'Teredo authentication indicator', 4, have);
    const h = 13 + dv.getUint8(hop.off + 2) + dv.getUint8(hop.off + 3);
    if (have < h) return cut(hop, 'Teredo authentication indicator', h, have);
    skip(hop, h);
    have -= h;
  }
  if (have >= 2 && dv.getUint16(hop.off) === 0x0000) {
    if (have < 8) return cut(hop, 'Teredo origin indicator', 8, have);
    skip(hop, 8);
  }
  hop.next = Next.IPv6;
  return Stop.Go;
}
