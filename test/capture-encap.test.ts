/**
 * TCP wherever tshark finds it: every frame of the encapsulation fixtures (hand-built in
 * test/helpers/encap-frames.ts, recorded over real tunnel devices by test/fixtures/encap/netns.sh)
 * decoded and compared with tshark's decode, field by field; malformed variants of every header
 * (cut at every length, nested without end); fragment reassembly; conversation identity across
 * tunnels; and records longer than the snapshot length.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { formatIPv4, formatIPv6 } from '../src/capture/addr.js';
import { Decoder } from '../src/capture/decode.js';
import { Defrag } from '../src/capture/defrag.js';
import { encapJson, encapText } from '../src/capture/encap/hop.js';
import { newCapturedPacket, type CapturedPacket } from '../src/capture/packet.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { captureFromBuffer } from '../src/capture/open.js';
import { TcpPacket } from '../src/capture/tcp-packet.js';
import { Tracker } from '../src/analyze/tracker.js';
import { eth, ethernetFrames, fragmentFrames, gre, ipv4, linkTypeFrames, seg4, udp } from './helpers/encap-frames.js';
import { fixture } from './helpers/paths.js';
import { parseTsv, tsharkAvailable } from './helpers/tshark.js';

const DIR = fixture('encap');
const FIELDS = ['frame.number', 'ip.src', 'ipv6.src', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.len'];

interface Decoded {
  frame: number;
  status: string;
  reason: string;
  src: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  len: number;
  encap: string;
  net: number;
}

async function decodeFile(path: string, decoder = new Decoder()): Promise<Decoded[]> {
  const out: Decoded[] = [];
  const p = new TcpPacket();
  await captureFromBuffer(path, readFileSync(path)).run((pkt) => {
    decoder.decode(pkt, p);
    out.push({
      frame: p.frame, status: p.status, reason: p.reason,
      src: p.ipVersion === 4 ? formatIPv4(p.src4) : formatIPv6(p.src6),
      sport: p.sport, dport: p.dport, seq: p.seq, ack: p.ack, flags: p.flags, len: p.len,
      encap: encapText(p).trim(), net: p.net,
    });
  });
  return out;
}

function tsharkOf(path: string, live: boolean): Record<string, string>[] {
  if (!live) return parseTsv(readFileSync(`${path}.tshark.tsv`, 'utf8'));
  const args = ['-r', path, '-T', 'fields', '-E', 'header=y', '-E', 'separator=/t', '-E', 'occurrence=l'];
  for (const f of FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return parseTsv(r.stdout);
}

/** Per frame: TCP exactly where tshark shows TCP, with its ports, raw numbers, flags and length. */
function compare(file: string, ours: Decoded[], theirs: Record<string, string>[], names: string[]): void {
  assert.equal(ours.length, theirs.length, `${file}: frame count`);
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i]!;
    const t = theirs[i]!;
    const what = `${file} frame ${a.frame} (${names[i] ?? '?'})`;
    if (t['tcp.srcport'] === '') {
      assert.notEqual(a.status, 'tcp', `${what}: tshark shows no TCP, we decoded ${a.sport} → ${a.dport}`);
      continue;
    }
    assert.equal(a.status, 'tcp', `${what}: tshark shows TCP, we say ${a.status}: ${a.reason}`);
    const src = a.src.includes(':') ? t['ipv6.src'] : t['ip.src'];
    assert.deepEqual(
      [a.src, a.sport, a.dport, a.seq, a.ack, `0x${a.flags.toString(16).padStart(4, '0')}`, a.len],
      [src, Number(t['tcp.srcport']), Number(t['tcp.dstport']), Number(t['tcp.seq_raw']), Number(t['tcp.ack_raw']), t['tcp.flags'], Number(t['tcp.len'])],
      what,
    );
  }
}

const NAMES = new Map<string, string[]>();
for (const line of readFileSync(join(DIR, 'NAMES'), 'utf8').split('\n').filter(Boolean)) {
  const [f, n] = line.split('\t') as [string, string];
  NAMES.set(f, [...(NAMES.get(f) ?? []), n]);
}
const FILES = readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort();

describe('encapsulations decoded as tshark decodes them', () => {
  for (const file of FILES) {
    test(`${file}: every frame as tshark shows it (stored decode)`, async () => {
      const path = join(DIR, file);
      compare(file, await decodeFile(path), tsharkOf(path, false), NAMES.get(file) ?? []);
    });
  }

  // One tshark run per file costs about a second on a loaded machine: the biggest files only.
  test('the stored decodes are what tshark says today', { skip: tsharkAvailable() ? false : 'tshark is not on PATH' }, () => {
    for (const file of FILES.filter((f) => f === 'ethernet.pcap' || f.startsWith('netns'))) {
      const path = join(DIR, file);
      assert.deepEqual(tsharkOf(path, true), tsharkOf(path, false), file);
    }
  });

  test('every hand-built tunnel frame is TCP, with its outer layers recorded', async () => {
    const ours = await decodeFile(join(DIR, 'ethernet.pcap'));
    const names = NAMES.get('ethernet.pcap')!;
    const byName = new Map(names.map((n, i) => [n, ours[i]!]));
    for (const [n, d] of byName) if (!n.includes('frag')) assert.equal(d.status, 'tcp', `${n}: ${d.reason}`);
    const expect: Record<string, string> = {
      plain: '', vlan: '[vlan 10]', qinq: '[vlan 100] [vlan 10]', pbb: '[vlan 5] [pbb 74565]', fabricpath: '[fabricpath]',
      'mpls-2-ipv6': '[mpls 200] [mpls 300]', pppoe: '[pppoe 4660]', 'gre-key-seq-csum-ipv6': '[gre 77]', 'erspan-2': '[erspan 42]',
      'erspan-3': '[erspan 43]', wccp: '[wccp]', 'aruba-gre-80211': '[aruba]', vxlan: '[vxlan 42]', 'geneve-opts': '[geneve 7]',
      'gtp-u-ext': '[gtp 2882400001]', 'teredo-origin': '[teredo]', ayiya: '[ayiya]', ipip: '[ipip]', '6in4': '[6in4]',
      '4in6': '[4in6]', '6in6': '[6in6]', 'gre-in-udp': '[gre-udp]', 'vxlan-in-gre': '[gre] [vxlan 43] [vlan 5]',
    };
    for (const [n, text] of Object.entries(expect)) assert.equal(byName.get(n)!.encap, text, n);
  });

  test('JSON lists the layers outermost first', () => {
    const d = new Decoder();
    const p = new TcpPacket();
    const f = ethernetFrames().find((x) => x.name === 'vxlan-in-gre')!.frame;
    d.decode(packet(f, 1), p);
    assert.deepEqual(encapJson(p), [{ type: 'gre' }, { type: 'vxlan', id: 43 }, { type: 'vlan', id: 5 }]);
  });
});

function packet(frame: Buffer, linktype: number, n = 1, t = 0): CapturedPacket {
  const pkt = newCapturedPacket();
  pkt.frame = n;
  pkt.data = frame;
  pkt.offset = 0;
  pkt.caplen = frame.length;
  pkt.origlen = frame.length;
  pkt.linktype = linktype;
  pkt.tsSec = t;
  return pkt;
}

describe('malformed encapsulation headers', () => {
  const all = [
    ...ethernetFrames().map((f) => ({ ...f, linktype: 1 })),
    ...linkTypeFrames(),
  ];
  test('every header cut at every length: never throws, never TCP from a short header', () => {
    const p = new TcpPacket();
    for (const f of all) {
      const d = new Decoder();
      d.decode(packet(f.frame, f.linktype), p);
      const full = p.status;
      for (let len = 0; len < f.frame.length; len++) {
        const cut = f.frame.subarray(0, len);
        // Captured short (snaplen) and short on the wire too.
        for (const orig of [f.frame.length, len]) {
          const pkt = packet(cut, f.linktype);
          pkt.origlen = orig;
          d.decode(pkt, p);
          assert.ok(['tcp', 'other', 'truncated', 'malformed'].includes(p.status));
          if (p.status === 'tcp') {
            assert.ok(p.tcpOffset + 20 <= len, `${f.name} cut to ${len}: a TCP header needs its 20 bytes`);
            assert.equal(full, 'tcp');
          }
        }
      }
    }
  });

  test('random corruption of every header: never throws, offsets stay inside the buffer', () => {
    let seed = 12345;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const p = new TcpPacket();
    const d = new Decoder();
    for (const f of all) {
      for (let k = 0; k < 200; k++) {
        const g = Buffer.from(f.frame);
        for (let j = 0; j < 3; j++) g[Math.floor(rnd() * Math.min(g.length, 80))] = Math.floor(rnd() * 256);
        d.decode(packet(g, f.linktype), p);
        if (p.status === 'tcp') {
          assert.ok(p.tcpOffset + 20 <= p.data.length, f.name);
          assert.ok(p.payloadOffset + p.payloadCaptured <= p.data.length, f.name);
        }
      }
    }
  });

  test('tunnels nested without end stop at the depth bound, as malformed', () => {
    let inner = seg4(1);
    for (let i = 0; i < 200; i++) inner = ipv4(47, gre(0x0800, inner));
    const p = new TcpPacket();
    new Decoder().decode(packet(eth(0x0800, inner), 1), p);
    assert.equal(p.status, 'malformed');
    assert.match(p.reason, /more than 64 nested layers/);
    let v = eth(0x0800, seg4(2));
    for (let i = 0; i < 100; i++) v = eth(0x0800, ipv4(17, udp(40000, 4789, Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 1, 0]), v]))));
    new Decoder().decode(packet(v, 1), p);
    assert.equal(p.status, 'malformed');
    // 20 levels are fine.
    let ok = seg4(3);
    for (let i = 0; i < 20; i++) ok = ipv4(47, gre(0x0800, ok));
    new Decoder().decode(packet(eth(0x0800, ok), 1), p);
    assert.equal(p.status, 'tcp');
    assert.equal(p.encapCount, 20);
    assert.equal(encapText(p).split('] ').length - 1, 16, 'at most 16 layers are listed');
  });

  test('specific bad lengths: each header says what is wrong', () => {
    const p = new TcpPacket();
    const dec = (f: Buffer, lt = 1): string => {
      new Decoder().decode(packet(f, lt), p);
      return `${p.status}: ${p.reason}`;
    };
    // MPLS stack without bottom-of-stack before the frame ends.
    assert.match(dec(eth(0x8847, Buffer.from([0, 0x10, 0, 64, 0, 0x20, 0, 64]))), /^malformed: MPLS label stack ends/);
    // Geneve option length past the datagram.
    assert.match(dec(eth(0x0800, ipv4(17, udp(1, 6081, Buffer.from([0x3f, 0, 0x65, 0x58, 0, 0, 1, 0]))))), /^truncated: Geneve options/);
    // GTP extension header of length 0.
    assert.match(dec(eth(0x0800, ipv4(17, udp(2152, 2152, Buffer.from([0x34, 0xff, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 0, 0, 0, 0]))))), /^other: GTP extension header of length 0/);
    // AYIYA identity of 2^15 bytes.
    assert.match(dec(eth(0x0800, ipv4(17, udp(5072, 9, Buffer.from([0xf1, 0xf0, 0x11, 41, 0, 0, 0, 0]))))), /^truncated: AYIYA identity/);
    // Teredo authentication lengths past the end.
    assert.match(dec(eth(0x0800, ipv4(17, udp(3544, 9, Buffer.from([0, 1, 200, 200, 0, 0]))))), /^truncated: Teredo authentication/);
    // NFLOG TLV length < 4.
    assert.match(dec(Buffer.from([2, 0, 0, 1, 2, 0, 9, 0, 0, 0, 0, 0]), 239), /^malformed: NFLOG TLV length 2 < 4/);
    // Juniper extension length past the frame.
    assert.match(dec(Buffer.from([0x4d, 0x47, 0x43, 0x80, 0x10, 0x00, 1, 2]), 178), /^truncated: Juniper header/);
    // GRE optional fields past the end.
    assert.match(dec(eth(0x0800, ipv4(47, Buffer.from([0xb0, 0, 0x08, 0, 0, 0])))), /^truncated: GRE/);
    // GTP version 2 (control plane): no user data.
    assert.match(dec(eth(0x0800, ipv4(17, udp(2152, 2152, Buffer.from([0x48, 0x20, 0, 4, 0, 0, 0, 0]))))), /^other: GTP version 2/);
    // An unknown link type is other, and counted by link type.
    const d = new Decoder();
    d.decode(packet(seg4(1), 147), p);
    d.decode(packet(seg4(1), 147), p);
    assert.equal(p.status, 'other');
    assert.deepEqual([...d.otherLinkTypes], [[147, 2]]);
  });
});

describe('IP fragment reassembly', () => {
  test('the segment is decoded once, at the frame completing the datagram, as tshark shows it', async () => {
    const w = new PcapWriter(1);
    fragmentFrames().forEach((f, i) => w.add(i, 0, f.frame));
    const d = new Decoder();
    const p = new TcpPacket();
    const seen: string[] = [];
    await captureFromBuffer('frags', w.toBuffer()).run((pkt) => {
      d.decode(pkt, p);
      seen.push(p.status === 'tcp' ? `tcp ${p.len} ${p.data.length}` : p.status);
      if (p.status === 'tcp') {
        // The payload is the rebuilt one: 100 'a' bytes.
        assert.equal(p.data.subarray(p.payloadOffset, p.payloadOffset + p.payloadCaptured).toString(), 'a'.repeat(100));
      }
    });
    assert.deepEqual(seen, ['other', 'other', 'tcp 100 120', 'other', 'tcp 100 120']);
    assert.equal(d.fragmentsHeld, 3);
  });

  test('overlaps: bytes already written win (lower offset, then earlier arrival)', () => {
    const f = new Defrag();
    assert.equal(f.add('k', 0, 8, true, Buffer.alloc(8, 2)), 'held');
    assert.equal(f.add('k', 0, 8, false, Buffer.alloc(8, 3)), 'held'); // same offset, later: loses
    const r = f.add('k', 0, 0, false, Buffer.alloc(12, 1)); // lower offset: wins over 8..11
    assert.ok(Buffer.isBuffer(r));
    assert.deepEqual([...r], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
  });

  test('memory is bounded: per datagram, in all, and by capture-time timeout', () => {
    const f = new Defrag({ timeout: 30, maxDatagrams: 10, maxBytes: 1000, maxFragments: 4 });
    for (let i = 0; i < 100; i++) f.add(`k${i}`, 0, 8, true, Buffer.alloc(50));
    assert.ok(f.openDatagrams <= 10 && f.bytesHeld <= 1000);
    for (let i = 0; i < 5; i++) f.add('many', 0, 8 * (i + 1), true, Buffer.alloc(8));
    assert.equal(f.add('many', 0, 16, true, Buffer.alloc(8)), 'held', 'a new datagram after the one dropped at 5 fragments');
    f.add('late', 100, 8, true, Buffer.alloc(8));
    assert.equal(f.openDatagrams, 1, 'everything older than 30 s of capture time is gone');
    assert.ok(f.dropped > 0);
  });
});

describe('conversation identity across tunnels', () => {
  test('the same inner 4-tuple in two VXLAN networks is two conversations (tshark: one tcp.stream)', async () => {
    // Both tenants open 10.0.0.1:40001 → 10.0.0.2:80 with different ISNs. Keyed on the 4-tuple
    // alone (as tshark's tcp.stream), the second SYN would look like a port reuse and every later
    // segment like a retransmission or an ACK of unseen data.
    const inner = (seq: number, ack: number, flags: number, dir: 0 | 1): Buffer => {
      const a = [10, 0, 0, 1];
      const b = [10, 0, 0, 2];
      const t = Buffer.from([
        ...(dir ? [0, 80, 0x9c, 0x41] : [0x9c, 0x41, 0, 80]),
        ...[seq >>> 24, (seq >>> 16) & 255, (seq >>> 8) & 255, seq & 255],
        ...[ack >>> 24, (ack >>> 16) & 255, (ack >>> 8) & 255, ack & 255],
        0x50, flags, 0xff, 0xff, 0, 0, 0, 0,
      ]);
      return eth(0x0800, ipv4(6, t, dir ? { src: b, dst: a } : { src: a, dst: b }));
    };
    const vx = (vni: number, f: Buffer): Buffer => eth(0x0800, ipv4(17, udp(50000 + vni, 4789, Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, vni, 0]), f]))));
    const frames = [
      vx(1, inner(1000, 0, 0x02, 0)), vx(2, inner(9000, 0, 0x02, 0)),
      vx(1, inner(5000, 1001, 0x12, 1)), vx(2, inner(7000, 9001, 0x12, 1)),
      vx(1, inner(1001, 5001, 0x10, 0)), vx(2, inner(9001, 7001, 0x10, 0)),
    ];
    const d = new Decoder();
    const p = new TcpPacket();
    const tracker = new Tracker();
    const streams: number[] = [];
    const flags: number[] = [];
    frames.forEach((f, i) => {
      d.decode(packet(f, 1, i + 1, i), p);
      assert.equal(p.status, 'tcp');
      const r = tracker.process(p, p.data);
      streams.push(r.stream);
      flags.push(r.verdict.flags);
    });
    assert.deepEqual(streams, [0, 1, 0, 1, 0, 1]);
    assert.deepEqual(flags, [0, 0, 0, 0, 0, 0], 'no analysis flag: each handshake is clean in its own network');
  });
});

describe('records longer than the snapshot length', () => {
  test('a pcap record with caplen > snaplen is read whole and counted, as tshark reads it', async () => {
    const path = fixture('malformed', 'record-over-snaplen.pcap');
    const pkts: { caplen: number; beyond: boolean }[] = [];
    await captureFromBuffer(path, readFileSync(path)).run((pkt) => pkts.push({ caplen: pkt.caplen, beyond: pkt.beyondSnaplen }));
    assert.equal(pkts.length, 6);
    assert.deepEqual(pkts.map((x) => x.beyond), [false, false, false, false, false, true]);
    assert.ok(pkts[5]!.caplen > 96);
    if (tsharkAvailable()) {
      const r = spawnSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.cap_len'], { encoding: 'utf8' });
      assert.deepEqual(r.stdout.trim().split('\n').map(Number), pkts.map((x) => x.caplen));
    }
  });

  test('pcapng: an EPB longer than its interface snaplen is read and counted; past 256 KiB it is corrupt', async () => {
    const { PcapngWriter } = await import('../src/capture/pcapng-writer.js');
    void PcapngWriter;
    const build = (caplen: number): Buffer => {
      const le = (n: number, v: number): Buffer => { const x = Buffer.alloc(n); if (n === 2) x.writeUInt16LE(v); else x.writeUInt32LE(v); return x; };
      const block = (type: number, body: Buffer): Buffer => Buffer.concat([le(4, type), le(4, 12 + body.length), body, le(4, 12 + body.length)]);
      const shb = block(0x0a0d0d0a, Buffer.concat([le(4, 0x1a2b3c4d), le(2, 1), le(2, 0), Buffer.alloc(8, 0xff)]));
      const idb = block(1, Buffer.concat([le(2, 1), le(2, 0), le(4, 64)]));
      const data = Buffer.alloc((caplen + 3) & ~3);
      const epb = block(6, Buffer.concat([le(4, 0), le(4, 0), le(4, 0), le(4, caplen), le(4, caplen), data]));
      return Buffer.concat([shb, idb, epb]);
    };
    const got: boolean[] = [];
    await captureFromBuffer('x', build(100)).run((pkt) => got.push(pkt.beyondSnaplen));
    assert.deepEqual(got, [true]);
    await assert.rejects(captureFromBuffer('x', build(262148)).run(() => {}), /more than the 262144-byte maximum/);
  });
});
