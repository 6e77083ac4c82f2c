/**
 * IEEE 802.2 LLC and SNAP (RFC 1042), as tshark 4.0 dispatches them (`packet-llc.c`): only I-frames
 * and UI (control exactly 0x03) carry a payload; DSAP 0x06 is IP; SNAP with OUI 00-00-00 or
 * 00-00-F8 carries an ethertype; OUI 00-80-C2 carries bridged Ethernet (after 2 pad bytes) or FDDI
 * (after 3).
 */
import { cut, data, hex4, Next, skip, Stop, type Hop } from './hop.js';

export function llc(dv: DataView, hop: Hop): Stop {
  const have = hop.end - hop.off;
  if (have < 3) return cut(hop, 'LLC header', 3, have);
  const o = hop.off;
  const dsap = dv.getUint8(o);
  const ssap = dv.getUint8(o + 1);
  const ctl = dv.getUint8(o + 2);
  const uFrame = (ctl & 3) === 3;
  const ctlLen = uFrame ? 1 : 2;
  if (!((ctl & 1) === 0 || ctl === 0x03)) return data(hop, `LLC control 0x${ctl.toString(16)} carries no data`);
  if (have < 2 + ctlLen) return cut(hop, 'LLC header', 2 + ctlLen, have);
  if (dsap === 0xaa && ssap === 0xaa) {
    const h = 2 + ctlLen + 5;
    if (have < h) return cut(hop, 'SNAP header', h, have);
    const oui = (dv.getUint16(o + 2 + ctlLen) << 8) | dv.getUint8(o + 4 + ctlLen);
    const pid = dv.getUint16(o + 5 + ctlLen);
    skip(hop, h);
    if (oui === 0 || oui === 0xf8) {
      hop.next = Next.EtherType;
      hop.val = pid;
      return Stop.Go;
    }
    if (oui === 0x0080c2) {
      if (pid === 0x0001 || pid === 0x0007) {
        if (hop.end - hop.off < 2) return cut(hop, 'bridged Ethernet pad', 2, hop.end - hop.off);
        skip(hop, 2);
        hop.next = Next.Ether;
        return Stop.Go;
      }
      if (pid === 0x0004 || pid === 0x000a) {
        if (hop.end - hop.off < 3) return cut(hop, 'bridged FDDI pad', 3, hop.end - hop.off);
        skip(hop, 3);
        hop.next = Next.FDDI;
        return Stop.Go;
      }
    }
    return data(hop, `SNAP OUI ${oui.toString(16).padStart(6, '0')} PID ${hex4(pid)}`);
  }
  if (dsap === 0x06) {
    skip(hop, 2 + ctlLen);
    hop.next = Next.IP;
    return Stop.Go;
  }
  return data(hop, `LLC DSAP 0x${dsap.toString(16).padStart(2, '0')}`);
}
