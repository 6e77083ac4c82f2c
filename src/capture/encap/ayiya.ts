/**
 * AYIYA (draft-massar-v6ops-ayiya-02, UDP 5072): ID-len/ID-type, sig-len/hash, auth/opcode, next
 * header, epoch(4), identity (2^ID-len bytes), signature (4 × sig-len bytes). Only opcode 1
 * (forward) carries a payload, dispatched by its IP protocol number.
 */
import type { TcpPacket } from '../tcp-packet.js';
import { cut, data, Encap, Next, pushEncap, skip, Stop, type Hop } from './hop.js';

export function ayiya(dv: DataView, hop: Hop, out: TcpPacket): Stop {
  const have = hop.end - hop.off;
  if (have < 8) return cut(hop, 'AYIYA header', 8, have);
  const b0 = dv.getUint8(hop.off);
  const b1 = dv.getUint8(hop.off + 1);
  const opcode = dv.getUint8(hop.off + 2) & 0xf;
  const nh = dv.getUint8(hop.off + 3);
  const h = 8 + (1 << (b0 >> 4)) + 4 * (b1 >> 4);
  if (have < h) return cut(hop, 'AYIYA identity and signature', h, have);
  pushEncap(out, Encap.Ayiya, -1);
  skip(hop, h);
  if (opcode !== 1) return data(hop, `AYIYA opcode ${opcode} (not forward)`);
  hop.next = Next.IPProto;
  hop.val = nh;
  return Stop.Go;
}
