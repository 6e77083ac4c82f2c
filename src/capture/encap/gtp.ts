/**
 * GTP-U (3GPP TS 29.281, UDP 2152) as tshark 4.0 reads it (`packet-gtp.c`): version 1 with PT set;
 * E, S or PN add 4 bytes (sequence, N-PDU, next extension type); extension headers are chained by
 * their last byte, each len × 4 bytes long (len 0 stops). Only a T-PDU (type 0xFF) carries user
 * data, and its type is guessed: 0x45-0x4E IPv4, nibble 6 IPv6, else Ethernet when bytes 12-13 are
 * an IP or ARP ethertype. GTPv0, GTP' and GTPv2-C carry no user data here. Returns -1 (reject, UDP
 * tries the other port) where tshark's dissector returns 0.
 */
import type { TcpPacket } from '../tcp-packet.js';
import { cut, data, Encap, limit, malformed, Next, pushEncap, skip, Stop, type Hop } from './hop.js';

/** Most extension headers followed. */
const MAX_EXT = 16;

export function gtp(dv: DataView, hop: Hop, out: TcpPacket): Stop | -1 {
  const o = hop.off;
  const have = hop.end - o;
  if (have < 2) return -1;
  const flags = dv.getUint8(o);
  const version = flags >> 5;
  const type = dv.getUint8(o + 1);
  if (version > 2 || type === 0) return -1;
  if (version !== 1 || (flags & 0x10) === 0) return data(hop, `GTP version ${version}${flags & 0x10 ? '' : "'"} (no user data)`);
  if (have < 8) return cut(hop, 'GTP header', 8, have);
  const len = dv.getUint16(o + 2);
  pushEncap(out, Encap.Gtp, dv.getUint32(o + 4));
  skip(hop, 8);
  limit(hop, len);
  if (flags & 0x07) {
    if (hop.end - hop.off < 4) return cut(hop, 'GTP optional fields', 4, hop.end - hop.off);
    let next = dv.getUint8(hop.off + 3);
    skip(hop, 4);
    if (flags & 0x04) {
      for (let n = 0; next !== 0; n++) {
        if (n === MAX_EXT) return malformed(hop, `more than ${MAX_EXT} GTP extension headers`);
        if (hop.end - hop.off < 1) return cut(hop, 'GTP extension header', 4, 0);
        const elen = dv.getUint8(hop.off) * 4;
        if (elen === 0) return data(hop, 'GTP extension header of length 0 (tshark stops there)');
        if (hop.end - hop.off < elen) return cut(hop, 'GTP extension header', elen, hop.end - hop.off);
        next = dv.getUint8(hop.off + elen - 1);
        skip(hop, elen);
      }
    }
  }
  if (type !== 0xff) return data(hop, `GTP message type ${type} (not a T-PDU)`);
  const rest = hop.end - hop.off;
  if (rest < 1) return cut(hop, 'GTP user data', 1, 0);
  const b0 = dv.getUint8(hop.off);
  if (b0 >= 0x45 && b0 <= 0x4e) {
    hop.next = Next.IP;
    return Stop.Go;
  }
  if (b0 >> 4 === 6) {
    hop.next = Next.IPv6;
    return Stop.Go;
  }
  if (rest > 14) {
    const t = dv.getUint16(hop.off + 12);
    if (t === 0x0800 || t === 0x86dd || t === 0x0806) {
      hop.next = Next.Ether;
      return Stop.Go;
    }
  }
  return data(hop, 'GTP user data of unknown type');
}
