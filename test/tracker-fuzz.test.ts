/**
 * The tracker on hostile input: segments with random flags, sequence and acknowledgement numbers
 * (near wrap-around too), lengths and times (running backwards too) on a handful of 4-tuples. It
 * must never throw, and what it reports must stay well-formed: stream numbers in order of first
 * appearance, relative numbers in 0..2^32-1, RFC state names, catalogued finding kinds, and a
 * summary for every connection that ends.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TcpFlag, TcpPacket } from '../src/capture/tcp-packet.js';
import { FINDING_CATALOGUE } from '../src/analyze/findings.js';
import { summarize, type ConnectionSummary } from '../src/analyze/summary.js';
import { Tracker } from '../src/analyze/tracker.js';
import { prng } from './helpers/prng.js';

const STATES = new Set(['CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT']);
const KINDS = new Set(Object.keys(FINDING_CATALOGUE));
const NO_BYTES = Buffer.alloc(0);

describe('tracker on random segments', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`stays well-formed over 40 000 random segments (seed ${seed})`, () => {
      const rnd = prng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
      const ended: ConnectionSummary[] = [];
      const tr = new Tracker({ closeLinger: 0.5, maxFindingsPerConnection: 5, finishedTuples: 16 }, (c) => ended.push(summarize(c)));
      const p = new TcpPacket();
      p.status = 'tcp';
      p.ipVersion = 4;
      // Numbers near 0 and near 2^32, so that comparisons cross the wrap.
      const bases = [0, 1, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];
      const isns = bases.map((b) => (b + Math.floor(rnd() * 64)) >>> 0);
      let time = 0;
      let maxStream = -1;
      for (let i = 1; i <= 40_000; i++) {
        const fwd = rnd() < 0.5;
        const port = 40000 + Math.floor(rnd() * 6);
        p.frame = i;
        p.src4 = fwd ? 0x0a000001 : 0x0a000002;
        p.dst4 = fwd ? 0x0a000002 : 0x0a000001;
        p.sport = fwd ? port : 80;
        p.dport = fwd ? 80 : port;
        p.seq = (pick(isns) + Math.floor(rnd() * 3000)) >>> 0;
        p.ack = (pick(isns) + Math.floor(rnd() * 3000)) >>> 0;
        let flags: number = TcpFlag.ACK;
        const r = rnd();
        if (r < 0.08) flags = TcpFlag.SYN;
        else if (r < 0.14) flags = TcpFlag.SYN | TcpFlag.ACK;
        else if (r < 0.22) flags |= TcpFlag.FIN;
        else if (r < 0.27) flags = rnd() < 0.5 ? TcpFlag.RST : TcpFlag.RST | TcpFlag.ACK;
        else if (r < 0.29) flags = Math.floor(rnd() * 512); // anything at all
        p.flags = flags;
        p.win = rnd() < 0.1 ? 0 : Math.floor(rnd() * 65536);
        p.len = rnd() < 0.5 ? 0 : rnd() < 0.05 ? 1 : Math.floor(rnd() * 1500);
        p.frameLen = 54 + p.len;
        time += rnd() < 0.02 ? -rnd() : rnd() * 0.05; // now and then backwards, as in merged captures
        p.time = time;
        const res = tr.process(p, NO_BYTES);
        assert.ok(res.stream <= maxStream + 1, `frame ${i}: stream ${res.stream} skips past ${maxStream + 1}`);
        maxStream = Math.max(maxStream, res.stream);
        for (const x of [res.seq, res.ack, res.win]) assert.ok(Number.isInteger(x) && x >= 0 && x <= 0xffffffff * 16384, `frame ${i}: ${x}`);
        assert.ok(res.seq <= 0xffffffff && res.ack <= 0xffffffff, `frame ${i}: relative numbers`);
        assert.ok(STATES.has(res.clientState) && STATES.has(res.serverState), `frame ${i}: states`);
        for (const f of res.findings) {
          assert.ok(KINDS.has(f.kind), `frame ${i}: kind ${f.kind}`);
          assert.equal(f.frame, i);
        }
      }
      tr.finish();
      // The input reached the rare paths too: every kind of finding, port reuse, many connections.
      for (const k of ['ack_unsent', 'rst_after_fin', 'data_after_fin'] as const) assert.ok((tr.totals.findingCounts[k] ?? 0) > 0, `no ${k}`);
      assert.ok(tr.totals.flagCounts[0]! > 0, 'no reused_ports');
      assert.ok(ended.length > 100, `${ended.length} connections`);
      assert.equal(ended.length, tr.totals.connections);
      assert.deepEqual(ended.map((s) => s.stream).sort((a, b) => a - b), Array.from({ length: ended.length }, (_, k) => k));
      assert.equal(ended.reduce((n, s) => n + s.client.packets + s.server.packets, 0), 40_000);
      for (const s of ended) {
        assert.ok(s.verdict.length > 0 && s.connState.length > 0, `stream ${s.stream}`);
        assert.ok(Number.isFinite(s.duration), `stream ${s.stream} duration`);
      }
    });
  }
});
