/**
 * The tracker's memory follows open connections: finished connections are summarised, dropped and
 * their objects recycled; a recycled connection starts exactly like a fresh one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTcpFrame } from '../src/capture/frame-builder.js';
import { Decoder } from '../src/capture/decode.js';
import { newCapturedPacket } from '../src/capture/packet.js';
import { TcpPacket } from '../src/capture/tcp-packet.js';
import { FlowStats } from '../src/analyze/stats.js';
import { Connection, Flow } from '../src/analyze/connection.js';
import { healthOf, summarize } from '../src/analyze/summary.js';
import { openCapture } from '../src/capture/open.js';
import { FIXTURES, ROOT, SAMPLES } from './helpers/paths.js';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Tracker } from '../src/analyze/tracker.js';
import { FinishedTuples } from '../src/analyze/finished-tuples.js';
import { prng } from './helpers/prng.js';

const dec = new Decoder();
const pkt = newCapturedPacket();
const tp = new TcpPacket();
function seg(sport: number, fromClient: boolean, flags: ('SYN' | 'ACK' | 'FIN' | 'PSH' | 'RST')[], seq: number, ack: number, len = 0): TcpPacket {
  const f = buildTcpFrame({
    linktype: 1,
    src: fromClient ? '10.0.0.1' : '10.0.0.2',
    dst: fromClient ? '10.0.0.2' : '10.0.0.1',
    sport: fromClient ? sport : 80,
    dport: fromClient ? 80 : sport,
    seq,
    ack,
    flags,
    win: 1000,
    payload: new Uint8Array(len),
  });
  Object.assign(pkt, { data: f, offset: 0, caplen: f.length, origlen: f.length, linktype: 1, frame: pkt.frame + 1 });
  dec.decode(pkt, tp);
  return tp;
}

/** One whole connection: handshake, 10 bytes each way, FIN both ways. */
function conversation(tr: Tracker, port: number, t: number): void {
  const c = 1000, s = 5000;
  const steps: [boolean, ('SYN' | 'ACK' | 'FIN' | 'PSH')[], number, number, number][] = [
    [true, ['SYN'], c, 0, 0],
    [false, ['SYN', 'ACK'], s, c + 1, 0],
    [true, ['ACK'], c + 1, s + 1, 0],
    [true, ['PSH', 'ACK'], c + 1, s + 1, 10],
    [false, ['PSH', 'ACK'], s + 1, c + 11, 10],
    [true, ['FIN', 'ACK'], c + 11, s + 11, 0],
    [false, ['FIN', 'ACK'], s + 11, c + 12, 0],
    [true, ['ACK'], c + 12, s + 12, 0],
  ];
  steps.forEach(([fc, fl, sq, ak, len], i) => {
    const p = seg(port, fc, fl, sq, ak, len);
    p.time = t + i * 0.001;
    tr.process(p, pkt.data);
  });
}

describe('tracker memory', () => {
  it('keeps open connections bounded by the linger however many connections pass', () => {
    let ended = 0;
    const tr = new Tracker({ closeLinger: 1, maxFindingsPerConnection: 10, finishedTuples: 1000 }, () => ended++);
    let maxOpen = 0;
    for (let i = 0; i < 5000; i++) {
      conversation(tr, 10000 + (i % 50000), i * 0.01);
      maxOpen = Math.max(maxOpen, tr.openConnections);
    }
    tr.finish();
    assert.equal(ended, 5000);
    // 1 s of linger at 100 connections per second: about 100 open at once, never thousands.
    assert.ok(maxOpen <= 150, `up to ${maxOpen} connections open`);
  });

  it('recycles finished connections so that a reused one equals a fresh one', () => {
    const summaries: string[] = [];
    const tr = new Tracker({ closeLinger: 0.5, maxFindingsPerConnection: 10, finishedTuples: 1000 }, (c) => {
      const s = summarize(c);
      const masked = { ...s, halfClose: s.halfClose && { ...s.halfClose, at: 0 }, stream: 0, start: 0, firstFrame: 0, lastFrame: 0, closed: s.closed.replace(/\d+\.\d+ s/g, 'T'), client: { ...s.client, port: 0, finFrame: 0 }, server: { ...s.server, finFrame: 0 }, duration: s.duration.toFixed(6), irtt: s.irtt?.toFixed(6) };
      summaries.push(JSON.stringify(masked));
    });
    for (let i = 0; i < 40; i++) conversation(tr, 20000 + i, i * 1.0);
    tr.finish();
    // Every connection was the same conversation: recycled objects must summarise identically.
    assert.equal(new Set(summaries).size, 1, summaries.slice(0, 2).join('\n'));
    const fresh = new Connection(seg(1, true, ['SYN'], 1, 0), 0);
    const used = new Connection(seg(1, true, ['SYN'], 1, 0), 0);
    used.flows[0].nextseq = 77;
    used.flows[1].finSent = true;
    (used.zeek as unknown as { hist: number[] }).hist.push(83, 104, 65, 68); // history 'ShAD'
    assert.equal(used.zeek.history, 'ShAD');
    used.finished = true;
    used.init(seg(1, true, ['SYN'], 1, 0), 0);
    const view = (c: Connection): unknown => ({ ...c, firstFrame: 0, hashNext: null, zeek: { history: c.zeek.history, orig: c.zeek.orig.state }, flows: c.flows.map((f) => ({ nextseq: f.nextseq, finSent: f.finSent, window: f.window, winScale: f.winScale, dataEndAtPeerFin: f.dataEndAtPeerFin, ep: f.ep.state })) });
    assert.deepEqual(view(used), view(fresh));
  });

  it('resets a used flow to exactly the values of a fresh one', () => {
    const fresh = new Flow();
    const used = new Flow();
    // Dirty every field with a value of its own type, then reset.
    for (const [k, v] of Object.entries(used)) {
      if (k === 'ep' || k === 'st') continue;
      (used as unknown as Record<string, unknown>)[k] = typeof v === 'boolean' ? !v : typeof v === 'number' ? v + 12345.5 : typeof v === 'string' ? 'X' : { stale: true };
    }
    used.ep.state = 'TIME-WAIT';
    used.reset();
    assert.deepEqual({ ...used, ep: used.ep.state }, { ...fresh, ep: fresh.ep.state });
    assert.equal(Object.keys(used).length, Object.keys(fresh).length);
  });

  it("resets a used direction's tcptrace numbers to a fresh one's, keeping only its segment array", () => {
    const fresh = new FlowStats();
    const used = new FlowStats();
    for (const [k, v] of Object.entries(used)) {
      if (k === 'seg') continue;
      (used as unknown as Record<string, unknown>)[k] = typeof v === 'boolean' ? !v : typeof v === 'number' ? v + 12345.5 : v;
    }
    used.seg = new Float64Array(32);
    used.reset();
    assert.deepEqual({ ...used, seg: null }, { ...fresh });
    assert.equal(Object.keys(used).length, Object.keys(fresh).length);
  });
});

describe('finished 4-tuples', () => {
  it('remembers the tuples of the last N finishes, forgetting the oldest first', () => {
    const t = new FinishedTuples(3);
    for (const h of [1, 2, 3, 4]) t.add(h, -h);
    assert.deepEqual([1, 2, 3, 4].map((h) => t.has(h, -h)), [false, true, true, true]);
    assert.equal(t.has(2, 2), false, 'both hashes must match');
    t.add(2, -2); // 2 finished again: the last three finishes are now 3, 4, 2
    t.add(5, -5); // and now 4, 2, 5
    assert.deepEqual([2, 3, 4, 5].map((h) => t.has(h, -h)), [true, false, true, true]);
    assert.equal(t.size, 3);
    const none = new FinishedTuples(0);
    none.add(1, 1);
    assert.equal(none.has(1, 1), false);
  });

  it('knows exactly the tuples among the last N added, over 200 000 random adds with collisions and repeats', () => {
    const rnd = prng(7);
    const t = new FinishedTuples(1000);
    const last: number[] = []; // the model: the last 1000 adds
    for (let n = 0; n < 200_000; n++) {
      // Few distinct values and homes (many collisions); the second hash alone does not decide.
      const h = Math.floor(rnd() * 3000);
      const h2 = Math.floor(rnd() * 4) * 0x10000001;
      const fp = h * 8 + h2 / 0x10000001;
      if (rnd() < 0.6) {
        t.add(h, h2 | 0);
        last.push(fp);
        if (last.length > 1000) last.shift();
      } else {
        assert.equal(t.has(h, h2 | 0), last.includes(fp), `lookup ${n}`);
      }
    }
    assert.equal(t.size, new Set(last).size);
  });
});

describe('connection health without a summary', () => {
  it('healthOf() gives the health the full summary gives, on every connection of every sample and fixture', async () => {
    const files = [
      ...readdirSync(SAMPLES).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(SAMPLES, f)),
      ...readdirSync(join(FIXTURES, 'capture')).filter((f) => /\.pcap(ng)?(\.gz)?$/.test(f)).map((f) => join(FIXTURES, 'capture', f)),
    ];
    const seen: Record<string, number> = {};
    for (const file of files) {
      const d = new Decoder();
      const p = new TcpPacket();
      // A short linger so that recycled connections (flag counts zeroed, not null) are judged too.
      const tr = new Tracker({ closeLinger: 0.001, maxFindingsPerConnection: 10, finishedTuples: 1000 }, (c) => {
        const quick = healthOf(c);
        assert.equal(quick, summarize(c).health, `${file} stream ${c.stream}`);
        seen[quick] = (seen[quick] ?? 0) + 1;
      });
      await (await openCapture(file)).run((pkt) => {
        d.decode(pkt, p);
        if (p.status === 'tcp') tr.process(p, pkt.data);
      });
      tr.finish();
    }
    // The samples hold broken, degraded and clean connections: every branch was compared.
    for (const h of ['ok', 'degraded', 'broken']) assert.ok((seen[h] ?? 0) > 0, `no ${h} connection among the samples: ${JSON.stringify(seen)}`);
  });
});

describe('garbage once warm', () => {
  // Each scenario in a process of its own with a 1 MB young generation (test/helpers/alloc-probe.ts),
  // 400 000 packets measured after a warm-up: every 1 MB allocated is one collection.
  const probe = (scenario: string): { packets: number; gcs: number } => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=1', join(ROOT, 'dist', 'test', 'helpers', 'alloc-probe.js'), scenario], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { packets: number; gcs: number };
  };

  it('tracks a long transfer without allocating per packet', () => {
    const r = probe('bulk');
    assert.ok(r.packets >= 400_000, `${r.packets} packets`);
    assert.equal(r.gcs, 0, `${r.gcs} collections over ${r.packets} packets of one connection`);
  });

  it('recycles finished connections without garbage', () => {
    // 50 000 connections through the pool. The linger queue used to shorten its arrays and grow
    // them again (about 80 bytes a connection, 5 collections here), and the start time was passed
    // to Connection.init as a double (a heap number each, 1 collection): now none.
    const r = probe('short');
    assert.ok(r.packets >= 400_000, `${r.packets} packets`);
    assert.equal(r.gcs, 0, `${r.gcs} collections over 50 000 recycled connections`);
  });
});
