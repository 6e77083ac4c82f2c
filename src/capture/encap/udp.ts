/**
 * UDP, only as far as it leads to a tunnel: the port table of tshark 4.0 (`decode_udp_ports`), lower
 * port first, then the higher, a tunnel that rejects its payload (GTP) giving way to the other port.
 * tshark would hand a lower port bound to some other protocol (DNS on 53, ...) to that protocol
 * first; we only know the tunnel ports, so such a datagram is decoded as the tunnel here.
 * The UDP length only ever shrinks the payload.
 */
import type { TcpPacket } from '../tcp-packet.js';
import { ayiya } from './ayiya.js';
import { geneve } from './geneve.js';
import { gre } from './gre.js';
import { gtp } from './gtp.js';
import { cut, data, Encap, malformed, Next, pushEncap, skip, Stop, type Hop } from './hop.js';
import { teredo } from './teredo.js';
import { vxlan, vxlanGpe } from './vxlan.js';

export const UdpPort = {
  VXLAN: 4789,
  VXLAN_GPE: 4790,
  GENEVE: 6081,
  GTP_U: 2152,
  TEREDO: 3544,
  AYIYA: 5072,
  GRE_UDP: 4754,
  MPLS_UDP: 6635,
} as const;

export function udp(dv: DataView, hop: Hop, out: TcpPacket): Stop {
  const o = hop.off;
  const have = hop.end - o;
  if (have < 8) return cut(hop, 'UDP header', 8, have);
  const sport = dv.getUint16(o);
  const dport = dv.getUint16(o + 2);
  const len = dv.getUint16(o + 4);
  if (len !== 0 && len < 8) return malformed(hop, `UDP length ${len} < 8`);
  skip(hop, 8);
  if (len !== 0 && len - 8 < hop.wire) {
    hop.wire = len - 8;
    if (hop.off + hop.wire < hop.end) hop.end = hop.off + hop.wire;
  }
  const lo = sport < dport ? sport : dport;
  const hi = sport < dport ? dport : sport;
  const off = hop.off;
  const end = hop.end;
  const wire = hop.wire;
  const count = out.encapCount;
  for (let i = 0; i < 2; i++) {
    const port = i === 0 ? lo : hi;
    if (port === 0 || (i === 1 && hi === lo)) continue;
    const s = byPort(dv, hop, out, port);
    if (s !== -1) return s;
    // Rejected: restore and try the other port.
    hop.off = off;
    hop.end = end;
    hop.wire = wire;
    out.encapCount = count;
  }
  return data(hop, `UDP ${sport} → ${dport}`);
}

/** -1: no tunnel on this port, or the tunnel rejected the payload. */
function byPort(dv: DataView, hop: Hop, out: TcpPacket, port: number): Stop | -1 {
  switch (port) {
    case UdpPort.VXLAN:
      return vxlan(dv, hop, out);
    case UdpPort.VXLAN_GPE:
      return vxlanGpe(dv, hop, out);
    case UdpPort.GENEVE:
      return geneve(dv, hop, out);
    case UdpPort.GTP_U:
      return gtp(dv, hop, out);
    case UdpPort.TEREDO:
      return teredo(dv, hop, out);
    case UdpPort.AYIYA:
      return ayiya(dv, hop, out);
    case UdpPort.GRE_UDP:
      return gre(dv, hop, out, Encap.GreUdp);
    case UdpPort.MPLS_UDP:
      pushEncap(out, Encap.MplsUdp, -1);
      hop.next = Next.MPLS;
      return Stop.Go;
    default:
      return -1;
  }
}
