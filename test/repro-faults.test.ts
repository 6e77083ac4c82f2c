/**
 * The wire's frame rewrites and every fault, on hand-built frames (no root, no network): which
 * frames go on, in what order, changed how, and that every changed frame carries checksums a
 * receiver accepts. The lab tests (repro-lab.test.ts) show the same faults on real stacks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTcpFrame } from '../src/capture/frame-builder.js';
import type { TcpFlagName } from '../src/capture/tcp-packet.js';
import { createFault, FAULTS, type Side } from '../src/repro/faults/index.js';
import { buildReply, TcpFrame, TCP_ACK, TCP_RST } from '../src/repro/frame.js';

const C = { addr: '10.0.2.2', port: 40000, isn: 1000 };
const S = { addr: '10.0.2.15', port: 19622, isn: 5000 };

/** A frame from `from`, with sequence numbers relative to each side's ISN (as tshark shows them). */
function seg(from: Side, flags: TcpFlagName[], seq: number, ack: number, len = 0): Buffer {
  const [me, peer] = from === 'client' ? [C, S] : [S, C];
  return buildTcpFrame({
    linktype: 1,
    src: me.addr,
    dst: peer.addr,
    sport: me.port,
    dport: peer.port,
    seq: me.isn + seq,
    ack: flags.includes('ACK') ? peer.isn + ack : 0,
    flags,
    win: 500,
    payload: Buffer.alloc(len, 0x30),
    options: flags.includes('SYN') ? { mss: 1460 } : undefined,
  });
}

/** A readable summary of a frame the wire sends on: who it appears to come from, flags, relative Seq/Ack, length. */
function describe1(frame: Buffer, from: Side): string {
  const t = new TcpFrame();
  assert.ok(t.parse(frame, frame.length));
  assert.ok(t.checksumsOk(), 'checksums a receiver accepts');
  const [me, peer] = t.src === 0x0a000202 ? [C, S] : [S, C];
  const names = (['FIN', 'SYN', 'RST', 'PSH', 'ACK'] as const).filter((_, i) => t.flags & (1 << i));
  const ack = t.has(TCP_ACK) ? ` Ack=${(t.ack - peer.isn) >>> 0}` : '';
  return `${from === 'client' ? 'c>s' : 's>c'} ${names.join(',')} Seq=${(t.seq - me.isn) >>> 0}${ack} Len=${t.payloadLen}`;
}

/** Runs frames through a fault; timers run when `flush()` is called. */
function wire(spec: string) {
  const fault = createFault(spec);
  const out: string[] = [];
  const logs: string[] = [];
  const timers: (() => void)[] = [];
  const view = new TcpFrame();
  const io = {
    emit: (f: Buffer, from: Side) => void out.push(describe1(f, from)),
    after: (_ms: number, fn: () => void) => void timers.push(fn),
    log: (m: string) => void logs.push(m),
  };
  return {
    out,
    logs,
    send(from: Side, frame: Buffer) {
      fault.onFrame(frame, view.parse(frame, frame.length) ? view : null, from, io);
    },
    flush() {
      for (const t of timers.splice(0)) t();
    },
  };
}

/** The seed's conversation up to the client's FIN and the first burst, then the client's ACK of it. */
function seedFrames(): [Side, Buffer][] {
  return [
    ['client', seg('client', ['SYN'], 0, 0)],
    ['server', seg('server', ['SYN', 'ACK'], 0, 1)],
    ['client', seg('client', ['ACK'], 1, 1)],
    ['client', seg('client', ['PSH', 'ACK'], 1, 1, 40)],
    ['server', seg('server', ['PSH', 'ACK'], 1, 41, 69)],
    ['client', seg('client', ['ACK'], 41, 70)],
    ['client', seg('client', ['FIN', 'ACK'], 41, 70)],
    ['server', seg('server', ['ACK'], 70, 42)],
    ['server', seg('server', ['PSH', 'ACK'], 70, 42, 5)],
    ['client', seg('client', ['ACK'], 42, 75)],
  ];
}

describe('TcpFrame rewrites', () => {
  it('recomputes IPv4 and TCP checksums after an ACK rewrite, byte for byte as a correct builder makes them', () => {
    const before = seg('client', ['PSH', 'ACK'], 42, 75, 7);
    const t = new TcpFrame();
    assert.ok(t.parse(before, before.length));
    assert.ok(t.checksumsOk());
    t.ack = t.ack + 1;
    assert.ok(!t.checksumsOk(), 'stale after the change');
    t.fixChecksums();
    assert.deepEqual(before, seg('client', ['PSH', 'ACK'], 42, 76, 7));
  });

  it('sees a corrupted byte in the payload, and refuses frames that are not IPv4 TCP', () => {
    const f = seg('server', ['PSH', 'ACK'], 1, 41, 69);
    const t = new TcpFrame();
    t.parse(f, f.length);
    f[f.length - 1] = f[f.length - 1]! ^ 0xff;
    assert.ok(!t.checksumsOk());
    const arp = Buffer.alloc(42);
    arp.writeUInt16BE(0x0806, 12);
    assert.equal(t.parse(arp, arp.length), false);
    assert.equal(t.parse(f, 40), false, 'shorter than its IP length');
  });

  it("builds a NAT's reset in either direction with valid checksums", () => {
    const f = seg('server', ['PSH', 'ACK'], 70, 42, 5);
    const t = new TcpFrame();
    t.parse(f, f.length);
    assert.equal(describe1(buildReply(t, true, C.isn + 42, 0, TCP_RST, 0), 'client'), 'c>s RST Seq=42 Len=0');
    assert.equal(describe1(buildReply(t, false, S.isn + 75, C.isn + 42, TCP_RST | TCP_ACK, 0), 'server'), 's>c RST,ACK Seq=75 Ack=42 Len=0');
  });
});

describe('faults on hand-built frames', () => {
  it('every fault module has a name, a usage line and a one-line summary', () => {
    for (const f of FAULTS) {
      assert.match(f.name, /^[a-z-]+$/);
      assert.ok(f.usage.startsWith(f.name));
      assert.ok(f.summary.length > 20 && !f.summary.includes('\n'));
    }
  });

  it('vbox-nat: after the client FIN passes, every client ACK is one higher (the FIN itself and all before it unchanged)', () => {
    const w = wire('vbox-nat');
    for (const [from, f] of seedFrames()) w.send(from, f);
    w.send('client', seg('client', ['ACK'], 42, 75)); // a duplicate ACK
    assert.deepEqual(w.out, [
      'c>s SYN Seq=0 Len=0',
      's>c SYN,ACK Seq=0 Ack=1 Len=0',
      'c>s ACK Seq=1 Ack=1 Len=0',
      'c>s PSH,ACK Seq=1 Ack=1 Len=40',
      's>c PSH,ACK Seq=1 Ack=41 Len=69',
      'c>s ACK Seq=41 Ack=70 Len=0',
      'c>s FIN,ACK Seq=41 Ack=70 Len=0',
      's>c ACK Seq=70 Ack=42 Len=0',
      's>c PSH,ACK Seq=70 Ack=42 Len=5',
      'c>s ACK Seq=42 Ack=76 Len=0',
      'c>s ACK Seq=42 Ack=76 Len=0',
    ]);
    assert.equal(w.logs.filter((l) => l.startsWith('client ACK rewritten: Ack=75 -> Ack=76')).length, 2);
  });

  it("vbox-nat:rst: the server's fourth retransmission stops at the NAT, which resets the server (the seed's RST Seq=42 Win=0) and the client", () => {
    const w = wire('vbox-nat:rst');
    for (const [from, f] of seedFrames()) w.send(from, f);
    for (let i = 0; i < 3; i++) w.send('server', seg('server', ['PSH', 'ACK'], 70, 42, 5));
    const before = w.out.length;
    w.send('server', seg('server', ['PSH', 'ACK'], 70, 42, 5));
    assert.deepEqual(w.out.slice(before), ['c>s RST Seq=42 Len=0', 's>c RST,ACK Seq=75 Ack=42 Len=0']);
    w.send('server', seg('server', ['FIN', 'PSH', 'ACK'], 75, 42, 5));
    assert.equal(w.out.at(-1), 's>c FIN,PSH,ACK Seq=75 Ack=42 Len=5', 'after the reset the NAT forwards as is');
  });

  it("vbox-nat:rst: the server's FIN is stopped at once", () => {
    const w = wire('vbox-nat:rst');
    for (const [from, f] of seedFrames()) w.send(from, f);
    const before = w.out.length;
    w.send('server', seg('server', ['FIN', 'ACK'], 75, 42));
    assert.deepEqual(w.out.slice(before), ['c>s RST Seq=42 Len=0', 's>c RST,ACK Seq=75 Ack=42 Len=0']);
  });

  const data = (n: number): Buffer => seg('server', ['PSH', 'ACK'], 1 + (n - 1) * 10, 41, 10);
  const seqs = (out: string[]): string[] => out.filter((l) => !l.includes('SYN')).map((l) => /Seq=(\d+)/.exec(l)![1]!);
  /** The handshake first, so the faults' log lines can give relative sequence numbers. */
  const handshake = (w: ReturnType<typeof wire>): void => {
    w.send('client', seg('client', ['SYN'], 0, 0));
    w.send('server', seg('server', ['SYN', 'ACK'], 0, 1));
  };

  it('drop:server:2,4 loses exactly the 2nd and 4th server data segments; pure ACKs and client data are not counted', () => {
    const w = wire('drop:server:2,4');
    handshake(w);
    w.send('server', data(1));
    w.send('server', seg('server', ['ACK'], 41, 41));
    w.send('client', seg('client', ['PSH', 'ACK'], 1, 1, 40));
    for (const n of [2, 3, 4, 5]) w.send('server', data(n));
    assert.deepEqual(seqs(w.out), ['1', '41', '1', '21', '41']);
    assert.deepEqual(w.logs, ['dropped server data segment #2 (Seq=11 Len=10)', 'dropped server data segment #4 (Seq=31 Len=10)']);
  });

  it('reorder:server:2,4 sends the 2nd segment after the 3rd; the 4th, with nothing after it, is released by the timer', () => {
    const w = wire('reorder:server:2,4');
    for (const n of [1, 2, 3, 4]) w.send('server', data(n));
    assert.deepEqual(seqs(w.out), ['1', '21', '11']);
    w.flush();
    assert.deepEqual(seqs(w.out), ['1', '21', '11', '31']);
  });

  it('duplicate:server:2 sends the 2nd segment twice, back to back', () => {
    const w = wire('duplicate:server:2');
    for (const n of [1, 2, 3]) w.send('server', data(n));
    assert.deepEqual(seqs(w.out), ['1', '11', '11', '21']);
  });

  it('delay:server:1:50 lets later segments pass and sends the delayed one when its timer fires', () => {
    const w = wire('delay:server:1:50');
    handshake(w);
    for (const n of [1, 2]) w.send('server', data(n));
    assert.deepEqual(seqs(w.out), ['11']);
    w.flush();
    assert.deepEqual(seqs(w.out), ['11', '1']);
    assert.deepEqual(w.logs, ['delaying server data segment #1 (Seq=1 Len=10) by 50 ms']);
  });

  it('latency:100 holds every frame, both ways, and sends them in the order they came', () => {
    const w = wire('latency:100');
    handshake(w);
    w.send('server', data(1));
    w.send('client', seg('client', ['FIN', 'ACK'], 1, 11));
    w.send('server', seg('server', ['FIN', 'ACK'], 11, 1));
    assert.deepEqual(w.out, []);
    w.flush();
    assert.deepEqual(w.out.slice(2), ['s>c PSH,ACK Seq=1 Ack=41 Len=10', 'c>s FIN,ACK Seq=1 Ack=11 Len=0', 's>c FIN,ACK Seq=11 Ack=1 Len=0']);
  });

  it('reset-on-fin: the first FIN goes no further; its sender and its peer each get an acceptable RST', () => {
    const w = wire('reset-on-fin');
    w.send('client', seg('client', ['SYN'], 0, 0));
    w.send('server', seg('server', ['SYN', 'ACK'], 0, 1));
    w.send('client', seg('client', ['FIN', 'ACK'], 41, 70));
    assert.deepEqual(w.out.slice(2), ['s>c RST Seq=70 Len=0', 'c>s RST,ACK Seq=41 Ack=70 Len=0']);
  });

  it('drop-after-fin: once the client has sent its FIN, server data toward it is dropped; its ACKs still pass', () => {
    const w = wire('drop-after-fin');
    w.send('client', seg('client', ['SYN'], 0, 0));
    w.send('server', data(1));
    w.send('client', seg('client', ['FIN', 'ACK'], 41, 11));
    w.send('server', seg('server', ['ACK'], 11, 42));
    w.send('server', data(2));
    assert.deepEqual(w.out.slice(1), ['s>c PSH,ACK Seq=1 Ack=41 Len=10', 'c>s FIN,ACK Seq=41 Ack=11 Len=0', 's>c ACK Seq=11 Ack=42 Len=0']);
  });

  it('passes frames that are not IPv4 TCP untouched, through every fault', () => {
    const arp = Buffer.alloc(42, 7);
    arp.writeUInt16BE(0x0806, 12);
    for (const spec of ['none', 'vbox-nat:rst', 'drop:client:1', 'reorder:client:1', 'duplicate:client:1', 'delay:client:1', 'reset-on-fin', 'drop-after-fin']) {
      const fault = createFault(spec);
      const got: Buffer[] = [];
      fault.onFrame(arp, null, 'client', { emit: (f) => void got.push(f), after: () => undefined, log: () => undefined });
      assert.deepEqual(got, [arp], spec);
    }
  });
});
