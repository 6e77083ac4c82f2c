/**
 * The shared vocabulary of the encapsulation decoders. Each decoder in this directory reads one
 * header at `hop.off` and, when it leads on, moves the hop past it: `off` to the payload, `end`
 * (captured bytes) and `wire` (bytes on the wire) shrunk by any length field, `next` to what the
 * payload is, as tshark would dispatch it. A decoder never throws and never allocates; when it
 * cannot go on it returns a {@link Stop} and fills `hop.reason`.
 *
 * The outer layers a TCP packet was found in are recorded on the packet (`encapKind`/`encapId`)
 * and printed by {@link encapText} / {@link encapJson}.
 */
import type { TcpPacket } from '../tcp-packet.js';

/** What the bytes at `hop.off` are. */
export const enum Next {
  /** Ethernet II / 802.3 frame without FCS. */
  Ether,
  /** Payload of an ethertype `hop.val`, looked up in the full ethertype table. */
  EtherType,
  /** tshark's `ip` handle: IPv4 or IPv6 by the version nibble. */
  IP,
  /** tshark's `ipv6` handle: IPv6 only, anything else is data. */
  IPv6,
  /** An IP protocol number `hop.val` (AYIYA's next header). */
  IPProto,
  /** PPP with optional HDLC address/control. */
  PPP,
  /** An MPLS label stack. */
  MPLS,
  /** IEEE 802.2 LLC (maybe SNAP). */
  LLC,
  /** An IEEE 802.11 frame without FCS. */
  Wlan,
  /** An FDDI frame. */
  FDDI,
  /** Cisco HDLC: address, control, ethertype. */
  CHDLC,
}

/** A decoder's verdict when it does not lead on. */
export const enum Stop {
  /** Lead on: `hop` describes the payload. */
  Go = 0,
  /** Not TCP, or data tshark does not decode further. */
  Other = 1,
  /** Cut by the capture. */
  Truncated = 2,
  /** A header that cannot be right. */
  Malformed = 3,
}

/** The cursor moved from layer to layer. One per decoder, reused. */
export class Hop {
  off = 0;
  /** End of the captured bytes of this layer. */
  end = 0;
  /** Bytes of this layer on the wire from `off` (length fields only shrink it). */
  wire = 0;
  next: Next = Next.Ether;
  /** Ethertype for {@link Next.EtherType}, protocol for {@link Next.IPProto}. */
  val = 0;
  /** Why decoding stopped. */
  reason = '';
  /** tshark's per-frame `vlan_id` (first nonzero 802.1Q VID; ERSPAN may set it), used by the IPv4 reassembly key. */
  vlanId = 0;
}

/** Layers recorded on a packet. The value is the index in {@link ENCAP_NAMES}. */
export const enum Encap {
  Vlan = 1,
  Pbb,
  VnTag,
  FabricPath,
  Mpls,
  Pppoe,
  Llc,
  Gre,
  Erspan,
  Wccp,
  Aruba,
  Vxlan,
  Geneve,
  Gtp,
  Teredo,
  Ayiya,
  IpIp,
  SixIn4,
  FourIn6,
  SixIn6,
  GreUdp,
  MplsUdp,
  Isl,
  VxlanGpe,
  EoIP,
}

export const ENCAP_NAMES: readonly string[] = [
  '', 'vlan', 'pbb', 'vntag', 'fabricpath', 'mpls', 'pppoe', 'llc', 'gre', 'erspan', 'wccp', 'aruba',
  'vxlan', 'geneve', 'gtp', 'teredo', 'ayiya', 'ipip', '6in4', '4in6', '6in6', 'gre-udp', 'mpls-udp', 'isl',
  'vxlan-gpe', 'eoip',
];

/** Most layers recorded on one packet; deeper ones are decoded but not listed. */
export const MAX_RECORDED = 16;
/** Most layers stepped through before a frame is called malformed (tshark asserts near 500; 64 is plenty). */
export const MAX_DEPTH = 64;

/** Record a layer on `out` (no allocation). `id` -1: the layer has no identifier worth showing. */
export function pushEncap(out: TcpPacket, kind: Encap, id: number): void {
  const n = out.encapCount;
  if (n < MAX_RECORDED) {
    out.encapKind[n] = kind;
    out.encapId[n] = id;
  }
  out.encapCount = n + 1;
}

/** `[vlan 10] [vxlan 42] ` for a trace line (with its trailing space), '' when there is none. */
export function encapText(p: TcpPacket): string {
  const n = Math.min(p.encapCount, MAX_RECORDED);
  if (n === 0) return '';
  let s = '';
  for (let i = 0; i < n; i++) {
    const id = p.encapId[i]!;
    s += `[${ENCAP_NAMES[p.encapKind[i]!]}${id >= 0 ? ` ${id}` : ''}] `;
  }
  return s;
}

/** The layers as JSON values, outermost first: `{ type: 'vxlan', id: 42 }`. */
export function encapJson(p: TcpPacket): { type: string; id?: number }[] {
  const n = Math.min(p.encapCount, MAX_RECORDED);
  const out: { type: string; id?: number }[] = [];
  for (let i = 0; i < n; i++) {
    const id = p.encapId[i]!;
    out.push(id >= 0 ? { type: ENCAP_NAMES[p.encapKind[i]!]!, id } : { type: ENCAP_NAMES[p.encapKind[i]!]! });
  }
  return out;
}

export function hex4(v: number): string {
  return `0x${v.toString(16).padStart(4, '0')}`;
}

export function cut(hop: Hop, what: string, need: number, have: number): Stop {
  hop.reason = `${what} cut by the capture: ${Math.max(0, have)} of ${need} bytes`;
  return Stop.Truncated;
}
export function malformed(hop: Hop, reason: string): Stop {
  hop.reason = reason;
  return Stop.Malformed;
}
export function data(hop: Hop, reason: string): Stop {
  hop.reason = reason;
  return Stop.Other;
}

/** Shrink the hop to `len` bytes from `off` (length fields only ever shrink). */
export function limit(hop: Hop, len: number): void {
  if (len < hop.wire) hop.wire = len;
  if (hop.off + len < hop.end) hop.end = hop.off + len;
}

/** Move past an `n`-byte header. */
export function skip(hop: Hop, n: number): void {
  hop.off += n;
  hop.wire -= n;
}
