/**
 * The case ackscope exists for: the seed report's broken VirtualBox trace must be diagnosed
 * exactly, and its working trace must raise nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseTsharkLine } from '../src/capture/tshark-text.js';
import { splitSeedTables } from '../src/repro/seed-traces.js';
import { analyzeJson, runCli } from './helpers/cli.js';
import { SAMPLES } from './helpers/paths.js';

type Rec = Record<string, any>;
const broken = analyzeJson(join(SAMPLES, 'vbox-broken.pcap')) as Rec[];
const working = analyzeJson(join(SAMPLES, 'vbox-working.pcap')) as Rec[];
const packet = (recs: Rec[], frame: number): Rec => recs.find((r) => r.type === 'packet' && r.frame === frame)!;

describe('the broken VirtualBox trace', () => {
  it('rebuilds every line of the report table: seq, ack, len, flags, window, time', () => {
    const { broken: table } = splitSeedTables(readFileSync(join(SAMPLES, 'vbox-seed-tables.txt'), 'utf8'));
    const rows = table.map((l) => parseTsharkLine(l)!);
    assert.equal(rows.length, 19);
    rows.forEach((row, i) => {
      const p = packet(broken, i + 1);
      assert.equal(p.frameLen, row.frameLen, `frame ${i + 1} length`);
      assert.ok(Math.abs(p.time - row.time) < 1e-6, `frame ${i + 1} time`);
      if (!row.info) return; // "[TCP segment of a reassembled PDU]": checked by length only
      assert.deepEqual([p.seq, p.len, p.winScaled], [row.seq, row.len, row.win], `frame ${i + 1}`);
      if (row.ack !== null) assert.equal(p.ack, row.ack, `frame ${i + 1} ack`);
      assert.deepEqual([...p.flags].sort(), [...row.flags].sort(), `frame ${i + 1} flags`);
    });
  });

  it('shows frame 11 as ACKed unseen with an ack_unsent finding: beyond 1, rejected, after own FIN', () => {
    const p = packet(broken, 11);
    assert.deepEqual(p.analysis, ['ack_lost_segment']);
    const f = p.findings.find((x: Rec) => x.kind === 'ack_unsent');
    assert.ok(f, 'no ack_unsent on frame 11');
    assert.equal(f.beyond, 1);
    assert.equal(f.ack, 76);
    assert.equal(f.peerNext, 75);
    assert.equal(f.rejected, true);
    assert.equal(f.rejectedBy, 12);
    assert.equal(f.afterOwnFin, true);
    assert.equal(f.verdict, 'broken_peer');
  });

  it('numbers the repeated bad ACKs Dup ACK 11#1 to 11#3 as tshark does', () => {
    assert.deepEqual([13, 15, 17].map((n) => `${packet(broken, n).dupAckFrame}#${packet(broken, n).dupAckNum}`), ['11#1', '11#2', '11#3']);
  });

  it("calls tshark's spurious retransmissions of Seq=70 real ones", () => {
    for (const n of [12, 14, 16]) {
      const p = packet(broken, n);
      assert.deepEqual(p.analysis, ['spurious_retransmission'], `frame ${n}`);
      const f = p.findings.find((x: Rec) => x.kind === 'real_retransmission');
      assert.ok(f, `frame ${n} has no real_retransmission`);
      assert.equal(f.badAckFrame, 11);
      assert.deepEqual([f.seq, f.len], [70, 5]);
    }
  });

  it('counts the 5 bytes the reset lost after the half-close', () => {
    const f = packet(broken, 19).findings.find((x: Rec) => x.kind === 'rst_after_fin');
    assert.ok(f);
    assert.equal(f.unackedBytes, 5);
    assert.equal(f.resetBy, 'client');
  });

  it('tells the connection story: half-close, the server kept sending, reset, broken; Zeek calls it SF', () => {
    const c = broken.find((r) => r.type === 'connection')!;
    // Zeek keeps a closed endpoint closed: the client's RST after both FINs leaves the state SF.
    assert.equal(c.connState, 'SF');
    assert.equal(c.history, 'ShADadFgtfR');
    assert.equal(c.health, 'broken');
    assert.match(c.closed, /^client half-closed at 0\.002 s, server kept sending \(10 bytes\).*client reset at 2\.206 s with 5 server bytes unacknowledged$/);
    assert.deepEqual(c.findings, { ack_unsent: 1, real_retransmission: 3, rst_after_fin: 1 });
  });

  it('follows both endpoints through the half-close with RFC 9293 state names', () => {
    assert.deepEqual(packet(broken, 8).state, { client: 'FIN-WAIT-1', server: 'CLOSE-WAIT' });
    assert.deepEqual(packet(broken, 9).state, { client: 'FIN-WAIT-2', server: 'CLOSE-WAIT' });
    assert.deepEqual(packet(broken, 19).state, { client: 'CLOSED', server: 'CLOSED' });
  });
});

describe('the working trace', () => {
  it('has no finding and a clean SF close', () => {
    for (const r of working) if (r.type === 'packet') assert.deepEqual(r.findings, [], `frame ${r.frame}`);
    const c = working.find((r) => r.type === 'connection')!;
    assert.equal(c.connState, 'SF');
    assert.equal(c.health, 'ok');
    assert.deepEqual(c.findings, {});
  });

  it('scales the window by the negotiated shift (WS=16)', () => {
    assert.equal(packet(working, 3).winScaled, 146976);
    assert.equal(packet(working, 3).win, 9186);
  });
});

describe('the annotated text', () => {
  it('prints the labels and finding lines in tshark style, without colour when NO_COLOR is set', () => {
    const r = runCli(['analyze', join(SAMPLES, 'vbox-broken.pcap')]);
    assert.equal(r.status, 0);
    assert.doesNotMatch(r.stdout, /\x1b\[/);
    assert.match(r.stdout, /^ +11 +0\.203543 +10\.0\.2\.2 → 10\.0\.2\.15 +TCP 54 \[TCP ACKed unseen segment\] 54143 → 19622 \[ACK\] Seq=42 Ack=76 Win=65535 Len=0$/m);
    assert.match(r.stdout, /^ +13 .*\[TCP Dup ACK 11#1\] 54143 → 19622 \[ACK\] Seq=42 Ack=76/m);
    assert.match(r.stdout, /^ +↳ ack_unsent: client acknowledged 1 byte the server never sent/m);
  });
});
