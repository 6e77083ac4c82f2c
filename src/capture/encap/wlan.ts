/**
 * IEEE 802.11 data frames inside tunnels (Aruba GRE), IEEE 802.11-2016 §9.2: header of 24 bytes,
 * +6 with both ToDS and FromDS, +2 for QoS data, +4 for QoS data with Order (HT control); the body is
 * LLC/SNAP. Protected frames are data (no keys). An A-MSDU is decoded up to its first subframe only:
 * one frame here yields one packet, while tshark shows every subframe.
 */
import { cut, data, Next, skip, Stop, type Hop } from './hop.js';

export function wlan(dv: DataView, hop: Hop): Stop {
  const o = hop.off;
  const have = hop.end - o;
  if (have < 24) return cut(hop, '802.11 header', 24, have);
  const fc0 = dv.getUint8(o);
  const fc1 = dv.getUint8(o + 1);
  const type = (fc0 >> 2) & 3;
  const subtype = fc0 >> 4;
  if (type !== 2) return data(hop, `802.11 frame type ${type} (not data)`);
  if (subtype === 4 || subtype === 12 || (subtype & 4) !== 0) return data(hop, '802.11 data frame without a body');
  if (fc1 & 0x40) return data(hop, 'protected 802.11 frame (no keys)');
  const qos = (subtype & 8) !== 0;
  let h = 24;
  if ((fc1 & 3) === 3) h += 6;
  let amsdu = false;
  if (qos) {
    if (have < h + 2) return cut(hop, '802.11 QoS control', h + 2, have);
    amsdu = (dv.getUint8(o + h) & 0x80) !== 0;
    h += 2;
    if (fc1 & 0x80) h += 4;
  }
  if (have < h) return cut(hop, '802.11 header', h, have);
  skip(hop, h);
  if (amsdu) {
    if (hop.end - hop.off < 14) return cut(hop, 'A-MSDU subframe header', 14, hop.end - hop.off);
    const len = dv.getUint16(hop.off + 12);
    skip(hop, 14);
    if (len < hop.wire) hop.wire = len;
    if (hop.off + len < hop.end) hop.end = hop.off + len;
  }
  hop.next = Next.LLC;
  return Stop.Go;
}
