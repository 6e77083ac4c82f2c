/**
 * Hand-built frames of every encapsulation ackscope decodes, each carrying one TCP segment with
 * its own ports and sequence number, for the fixtures in test/fixtures/encap (built by
 * test/fixtures/encap/build.ts) and for the malformed-variant tests. Checksums are left 0: tshark
 * does not check them by default.
 */
const b = (...parts: (number[] | Uint8Array | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p as Uint8Array)));
const u16 = (v: number): number[] => [(v >> 8) & 255, v & 255];
const u32 = (v: number): number[] => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

export const MAC_A = [0x00, 0x1b, 0x21, 0x01, 0x02, 0x03]; // Intel OUI
export const MAC_B = [0x00, 0x50, 0x56, 0x04, 0x05, 0x06]; // VMware OUI

export function tcp(sport: number, dport: number, seq: number, ack: number, flags: number, payload = 0): Buffer {
  return b(u16(sport), u16(dport), u32(seq), u32(ack), [0x50, flags], u16(65535), [0, 0, 0, 0], Buffer.alloc(payload, 0x61));
}

export function ipv4(proto: number, payload: Buffer, o: { src?: number[]; dst?: number[]; id?: number; mf?: boolean; off?: number; total?: number } = {}): Buffer {
  const total = o.total ?? 20 + payload.length;
  const frag = (o.mf ? 0x2000 : 0) | ((o.off ?? 0) >> 3);
  return b([0x45, 0], u16(total), u16(o.id ?? 1), u16(frag), [64, proto, 0, 0], o.src ?? [192, 0, 2, 1], o.dst ?? [198, 51, 100, 2], payload);
}

const v6 = (last: number): number[] => [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last];

export function ipv6(nh: number, payload: Buffer, o: { src?: number; dst?: number } = {}): Buffer {
  return b([0x60, 0, 0, 0], u16(payload.length), [nh, 64], v6(o.src ?? 1), v6(o.dst ?? 2), payload);
}

export function eth(type: number, payload: Buffer, dst = MAC_B, src = MAC_A): Buffer {
  return b(dst, src, u16(type), payload);
}

export function udp(sport: number, dport: number, payload: Buffer): Buffer {
  return b(u16(sport), u16(dport), u16(8 + payload.length), [0, 0], payload);
}

export const TCP_ACK = 0x10;
export const TCP_PSH_ACK = 0x18;
export const TCP_SYN = 0x02;

/** A TCP/IPv4 packet numbered `n`: ports and sequence numbers tell the fixtures apart. */
export const seg4 = (n: number, flags = TCP_PSH_ACK, len = 10): Buffer => ipv4(6, tcp(40000 + n, 80, 1000 * n, 7 * n, flags, len));
export const seg6 = (n: number, flags = TCP_ACK, len = 5): Buffer => ipv6(6, tcp(40000 + n, 443, 1000 * n, 7 * n, flags, len));

export function gre(type: number, payload: Buffer, o: { key?: number; seq?: number; csum?: boolean } = {}): Buffer {
  let flags = 0;
  const opt: number[] = [];
  if (o.csum) {
    flags |= 0x8000;
    opt.push(0, 0, 0, 0);
  }
  if (o.key !== undefined) {
    flags |= 0x2000;
    opt.push(...u32(o.key));
  }
  if (o.seq !== undefined) {
    flags |= 0x1000;
    opt.push(...u32(o.seq));
  }
  return b(u16(flags), u16(type), opt, payload);
}

export interface Built {
  name: string;
  frame: Buffer;
}

/** Ethernet-link frames, one per encapsulation. */
export function ethernetFrames(): Built[] {
  const f: Built[] = [];
  let n = 0;
  const add = (name: string, frame: Buffer): void => {
    f.push({ name, frame });
  };
  const s4 = (): Buffer => seg4(++n);
  const s6 = (): Buffer => seg6(++n);
  add('plain', eth(0x0800, s4()));
  add('vlan', eth(0x8100, b([0x00, 0x0a], u16(0x0800), s4())));
  add('qinq', eth(0x88a8, b([0x00, 0x64], u16(0x8100), [0x00, 0x0a], u16(0x0800), s4())));
  add('vlan-ipv6', eth(0x8100, b([0x00, 0x0b], u16(0x86dd), s6())));
  { const p = s4(); add('llc-snap', b(MAC_B, MAC_A, u16(8 + p.length), [0xaa, 0xaa, 0x03, 0, 0, 0], u16(0x0800), p)); }
  { const p = s4(); add('llc-dsap6', b(MAC_B, MAC_A, u16(3 + p.length), [0x06, 0x06, 0x03], p)); }
  add('pbb', eth(0x88a8, b([0x00, 0x05], u16(0x88e7), u32(0x00012345), MAC_B, MAC_A, u16(0x0800), s4())));
  add('vntag', eth(0x8926, b(u32(0x00120034), u16(0x0800), s4())));
  add('fabricpath', b(MAC_B, MAC_A, u16(0x8903), [0x04, 0x3f], eth(0x0800, s4()), [0xde, 0xad, 0xbe, 0xef]));
  add('mpls', eth(0x8847, b(u32((100 << 12) | 0x100 | 64), s4())));
  add('mpls-2-ipv6', eth(0x8847, b(u32((200 << 12) | 64), u32((300 << 12) | 0x100 | 64), s6())));
  add('mpls-pw-cw', eth(0x8847, b(u32((400 << 12) | 0x100 | 64), [0, 0, 0, 0], eth(0x0800, s4()))));
  add('pppoe', eth(0x8864, (() => { const p = s4(); return b([0x11, 0x00], u16(0x1234), u16(2 + p.length), u16(0x0021), p); })()));
  add('gre-ipv4', eth(0x0800, ipv4(47, gre(0x0800, s4()))));
  add('gre-key-seq-csum-ipv6', eth(0x0800, ipv4(47, gre(0x86dd, s6(), { key: 77, seq: 5, csum: true }))));
  add('gretap', eth(0x0800, ipv4(47, gre(0x6558, eth(0x0800, s4()), { key: 9 }))));
  add('erspan-1', eth(0x0800, ipv4(47, gre(0x88be, eth(0x0800, s4())))));
  add('erspan-2', eth(0x0800, ipv4(47, gre(0x88be, b([0x10, 0x0a, 0x00, 0x2a, 0, 0, 0, 1], eth(0x0800, s4())), { seq: 1 }))));
  add('erspan-3', eth(0x0800, ipv4(47, gre(0x22eb, b([0x20, 0x0a, 0x00, 0x2b, 0, 0, 0, 1, 0, 0, 0, 0], eth(0x0800, s4())), { seq: 2 }))));
  add('wccp', eth(0x0800, ipv4(47, gre(0x883e, b([0x00, 0x00, 0x00, 0x05], s4())))));
  add('gre-in-udp', eth(0x0800, ipv4(17, udp(50000, 4754, gre(0x0800, s4())))));
  {
    // Aruba: 802.11 data, ToDS, then LLC/SNAP.
    const wlan = b([0x08, 0x01, 0, 0], MAC_B, MAC_A, MAC_B, [0, 0], [0xaa, 0xaa, 0x03, 0, 0, 0], u16(0x0800), s4());
    add('aruba-gre-80211', eth(0x0800, ipv4(47, gre(0x8210, wlan))));
  }
  add('vxlan', eth(0x0800, ipv4(17, udp(51000, 4789, b([0x08, 0, 0, 0], u32(42 << 8), eth(0x0800, s4()))))));
  add('geneve-opts', eth(0x0800, ipv4(17, udp(52000, 6081, b([0x02, 0x00], u16(0x6558), u32(7 << 8), [0x01, 0x02, 0x80, 0x01, 0, 0, 0, 0], eth(0x0800, s4()))))));
  add('geneve-ipv4', eth(0x0800, ipv4(17, udp(52001, 6081, b([0x00, 0x00], u16(0x0800), u32(8 << 8), s4())))));
  {
    const inner = s4();
    // Flags: version 1, PT, E; one PDU session container extension (type 0x85), 4 bytes.
    const ext = b(u16(0), [0, 0x85], [0x01, 0x10, 0x01, 0x00]);
    add('gtp-u-ext', eth(0x0800, ipv4(17, udp(2152, 2152, b([0x34, 0xff], u16(ext.length + inner.length), u32(0xabcdef01), ext, inner)))));
  }
  add('teredo-origin', eth(0x0800, ipv4(17, udp(3544, 61000, b([0, 0, 0xfc, 0x17], [0x3f, 0xff, 0xff, 0xfe], s6())))));
  add('teredo-auth', eth(0x0800, ipv4(17, udp(3544, 61001, b([0, 1, 0, 0], Buffer.alloc(9), s6())))));
  add('ayiya', eth(0x0800, ipv4(17, udp(5072, 61002, b([0x41, 0x50, 0x11, 41], u32(1700000000), Buffer.alloc(16), Buffer.alloc(20), s6())))));
  add('ipip', eth(0x0800, ipv4(4, s4())));
  add('6in4', eth(0x0800, ipv4(41, s6())));
  add('4in6', eth(0x86dd, ipv6(4, s4())));
  add('6in6', eth(0x86dd, ipv6(41, s6())));
  add('mpls-in-udp', eth(0x0800, ipv4(17, udp(53000, 6635, b(u32((500 << 12) | 0x100 | 64), s4())))));
  add('vxlan-in-gre', eth(0x0800, ipv4(47, gre(0x0800, ipv4(17, udp(51001, 4789, b([0x08, 0, 0, 0], u32(43 << 8), eth(0x8100, b([0, 5], u16(0x0800), s4())))))))));
  return f;
}

/** IPv4 and IPv6 fragments of one TCP segment each (out of order, one overlap), on Ethernet. */
export function fragmentFrames(): Built[] {
  const seg = tcp(45000, 80, 123456, 1, TCP_PSH_ACK, 100); // 120 bytes of TCP
  const f4 = (off: number, len: number, mf: boolean): Buffer => eth(0x0800, ipv4(6, seg.subarray(off, off + len), { id: 0x4242, mf, off }));
  const out: Built[] = [
    { name: 'ipv4-frag-2', frame: f4(48, 48, true) },
    { name: 'ipv4-frag-3-last', frame: f4(96, 24, false) },
    { name: 'ipv4-frag-1', frame: f4(0, 56, true) }, // overlaps the second by 8 bytes: first written wins
  ];
  const seg6b = tcp(45001, 443, 654321, 2, TCP_PSH_ACK, 100);
  const fh = (off: number, m: boolean): number[] => [6, 0, ...u16(off | (m ? 1 : 0)), ...u32(0x9999)];
  const f6 = (off: number, len: number, m: boolean): Buffer => eth(0x86dd, ipv6(44, b(fh(off, m), seg6b.subarray(off, off + len))));
  out.push({ name: 'ipv6-frag-1', frame: f6(0, 64, true) }, { name: 'ipv6-frag-2-last', frame: f6(64, 56, false) });
  return out;
}

/** Frames for the other link types: [linktype, name, frame]. */
export function linkTypeFrames(): { linktype: number; name: string; frame: Buffer }[] {
  let n = 100;
  const s4 = (): Buffer => seg4(++n);
  const s6 = (): Buffer => seg6(++n);
  const list: { linktype: number; name: string; frame: Buffer }[] = [];
  list.push({ linktype: 9, name: 'ppp', frame: b([0xff, 0x03], u16(0x0021), s4()) });
  list.push({ linktype: 9, name: 'ppp-acfc-pfc', frame: b([0x21], s4()) });
  list.push({ linktype: 9, name: 'ppp-ipv6', frame: b([0xff, 0x03], u16(0x0057), s6()) });
  list.push({ linktype: 9, name: 'ppp-mpls', frame: b([0xff, 0x03], u16(0x0281), u32((600 << 12) | 0x100 | 64), s4()) });
  list.push({ linktype: 50, name: 'ppp-hdlc', frame: b([0xff, 0x03], u16(0x0021), s4()) });
  list.push({ linktype: 50, name: 'ppp-hdlc-cisco', frame: b([0x0f, 0x00], u16(0x0800), s4()) });
  list.push({ linktype: 104, name: 'c-hdlc', frame: b([0x0f, 0x00], u16(0x0800), s4()) });
  list.push({ linktype: 51, name: 'ppp-ether', frame: (() => { const p = s4(); return b([0x11, 0x00], u16(0x77), u16(2 + p.length), u16(0x0021), p); })() });
  list.push({ linktype: 10, name: 'fddi', frame: b([0x50], MAC_B, MAC_A, [0xaa, 0xaa, 0x03, 0, 0, 0], u16(0x0800), s4()) });
  list.push({ linktype: 242, name: 'ipoib', frame: b(Buffer.alloc(40), u16(0x0800), [0, 0], s4()) });
  list.push({ linktype: 129, name: 'arcnet-linux-1201', frame: b([1, 2], [0, 0], [212], [0], [0, 1], s4()) });
  list.push({ linktype: 129, name: 'arcnet-linux-1051', frame: b([1, 2], [0, 0], [240], s4()) });
  list.push({ linktype: 7, name: 'arcnet-bsd-1201', frame: b([1, 2], [212], [0], [0, 1], s4()) });
  {
    const p = s4();
    const tlv = (type: number, v: Buffer): Buffer => {
      const len = 4 + v.length;
      const h = Buffer.alloc(4);
      h.writeUInt16LE(len, 0);
      h.writeUInt16LE(type, 2);
      return b(h, v, Buffer.alloc((4 - (len & 3)) & 3));
    };
    list.push({ linktype: 239, name: 'nflog', frame: b([2, 0, 0, 1], tlv(1, Buffer.from([0x08, 0x00, 3, 0])), tlv(10, Buffer.from('prefix\0')), tlv(9, p)) });
  }
  list.push({ linktype: 178, name: 'juniper-ether', frame: b([0x4d, 0x47, 0x43, 0x00], eth(0x0800, s4())) });
  list.push({ linktype: 147, name: 'user0-not-decoded', frame: s4() });
  return list;
}
