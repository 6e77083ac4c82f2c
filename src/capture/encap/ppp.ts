/**
 * PPP (RFC 1661, HDLC-like framing RFC 1662) and Cisco HDLC, as tshark 4.0 reads them
 * (`packet-ppp.c`, `packet-chdlc.c`): a first byte 0x0F/0x8F is Cisco HDLC; 0xFF is address and
 * control (control not checked); otherwise both are compressed away. The protocol field is one byte
 * when odd (PFC). No FCS is stripped. VJ-compressed TCP and multilink PPP are not rebuilt here:
 * they are `other`.
 */
import { cut, data, hex4, Next, skip, Stop, type Hop } from './hop.js';

export function ppp(dv: DataView, hop: Hop): Stop {
  let have = hop.end - hop.off;
  if (have < 1) return cut(hop, 'PPP header', 2, have);
  const b0 = dv.getUint8(hop.off);
  if (b0 === 0x0f || b0 === 0x8f) return chdlc(dv, hop);
  if (b0 === 0xff) {
    if (have < 2) return cut(hop, 'PPP address/control', 2, have);
    skip(hop, 2);
    have -= 2;
  }
  if (have < 1) return cut(hop, 'PPP protocol', 1, have);
  let proto = dv.getUint8(hop.off);
  if (proto & 1) {
    skip(hop, 1);
  } else {
    if (have < 2) return cut(hop, 'PPP protocol', 2, have);
    proto = dv.getUint16(hop.off);
    skip(hop, 2);
  }
  switch (proto) {
    case 0x0021:
      hop.next = Next.IP;
      return Stop.Go;
    case 0x0057:
      hop.next = Next.IPv6;
      return Stop.Go;
    case 0x0281:
    case 0x0283:
      hop.next = Next.MPLS;
      return Stop.Go;
    case 0x0800:
    case 0x86dd:
      hop.next = Next.EtherType;
      hop.val = proto;
      return Stop.Go;
    case 0x002d:
    case 0x002f:
      return data(hop, 'PPP Van Jacobson compressed TCP (not rebuilt)');
    default:
      return data(hop, `PPP protocol ${hex4(proto)}`);
  }
}

/** Cisco HDLC: address(1), control(1), ethertype(2). */
export function chdlc(dv: DataView, hop: Hop): Stop {
  const have = hop.end - hop.off;
  if (have < 4) return cut(hop, 'Cisco HDLC header', 4, have);
  hop.val = dv.getUint16(hop.off + 2);
  skip(hop, 4);
  hop.next = Next.EtherType;
  return Stop.Go;
}
