/**
 * MPLS label stacks (RFC 3032, RFC 5332) and what tshark 4.0 guesses follows the bottom of the stack
 * (`packet-mpls.c`, RFC 4928 practice): first nibble 4 → IPv4, 6 → IPv6, 1 → a pseudowire
 * associated channel (RFC 4385: channel type 0x0021 IPv4, 0x0057 IPv6), 0 → an Ethernet pseudowire
 * (RFC 4448). GAL (label 13) at the bottom means an ACH follows (RFC 5586).
 *
 * Nibble 0: tshark looks the OUIs of both MAC addresses up in its `manuf` file to decide whether a
 * control word is there. We carry no `manuf`: a control word is assumed when its first 4 bytes look
 * like one (nibble 0, and the 6-bit length is 0 or at most the rest), and then the two MAC addresses
 * at +4 are taken to be right; otherwise Ethernet starts right after the stack. This agrees with
 * tshark on frames with ordinary vendor MACs and a zeroed control word, which is what encapsulating
 * routers send.
 */
import type { TcpPacket } from '../tcp-packet.js';
import { cut, data, Encap, malformed, Next, pushEncap, skip, Stop, type Hop } from './hop.js';

/** Most labels read before the stack is called malformed (the buffer bounds it anyway). */
const MAX_LABELS = 32;

export function mpls(dv: DataView, hop: Hop, out: TcpPacket): Stop {
  let label = 0;
  for (let n = 0; ; n++) {
    if (n === MAX_LABELS) return malformed(hop, `MPLS stack of more than ${MAX_LABELS} labels`);
    const have = hop.end - hop.off;
    if (have < 4) {
      // tshark: a stack with no bottom before the buffer ends is malformed.
      return hop.wire > have ? cut(hop, 'MPLS label stack', 4, have) : malformed(hop, 'MPLS label stack ends without its bottom-of-stack bit');
    }
    const e = dv.getUint32(hop.off);
    label = e >>> 12;
    pushEncap(out, Encap.Mpls, label);
    skip(hop, 4);
    if (e & 0x100) break;
  }
  if (hop.end - hop.off < 1) return cut(hop, 'MPLS payload', 1, 0);
  const nib = dv.getUint8(hop.off) >> 4;
  if (label === 13 || nib === 1) {
    if (hop.end - hop.off < 4) return cut(hop, 'MPLS associated channel header', 4, hop.end - hop.off);
    const ct = dv.getUint16(hop.off + 2);
    skip(hop, 4);
    if (ct === 0x0021) hop.next = Next.IP;
    else if (ct === 0x0057) hop.next = Next.IPv6;
    else return data(hop, `MPLS channel type 0x${ct.toString(16)}`);
    return Stop.Go;
  }
  switch (nib) {
    case 4:
      hop.next = Next.IP;
      return Stop.Go;
    case 6:
      hop.next = Next.IPv6;
      return Stop.Go;
    case 0: {
      // Control word 0000 flags(4) frg(2) len(6) seq(16)?
      if (hop.end - hop.off >= 4 + 14) {
        const b1 = dv.getUint8(hop.off + 1);
        const cwLen = b1 & 0x3f;
        const looksLikeCw = (dv.getUint8(hop.off) & 0x0f) === 0 && (b1 & 0xc0) === 0 && (cwLen === 0 || cwLen <= hop.wire - 4);
        if (looksLikeCw) skip(hop, 4);
      }
      hop.next = Next.Ether;
      return Stop.Go;
    }
    default:
      return data(hop, `MPLS payload with first nibble ${nib}`);
  }
}
