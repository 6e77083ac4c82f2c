/**
 * tcptrace's numbers on hand-built conversations whose right answers are known: Karn's rule, a
 * sample lost after an earlier segment was resent, three duplicate ACKs, window scaling, a zero
 * window and its probe, a retransmitted SYN, a half-close. The values are pinned here, and, with
 * tcptrace installed, compared with `tcptrace -l -r` as well.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildTcpFrame, type TcpFrameSpec } from '../src/capture/frame-builder.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import type { TcpFlagName } from '../src/capture/tcp-packet.js';
import { analyzeJson } from './helpers/cli.js';
import { compareFile, tcptraceAvailable, type Side } from './helpers/tcptrace.js';

const C = { addr: '10.1.0.1', port: 40000 };
const S = { addr: '10.1.0.2', port: 80 };

/** [time s, 'C'|'S' sender, seq, ack, flags, window, payload length, options?] */
type Step = [number, 'C' | 'S', number, number, TcpFlagName[], number, number, TcpFrameSpec['options']?];

function capture(dir: string, name: string, steps: Step[]): string {
  const w = new PcapWriter(1);
  const ids = { C: 1, S: 1000 };
  for (const [t, who, seq, ack, flags, win, len, options] of steps) {
    const [from, to] = who === 'C' ? [C, S] : [S, C];
    const frame = buildTcpFrame({
      linktype: 1, src: from.addr, dst: to.addr, sport: from.port, dport: to.port,
      seq, ack, flags, win, payload: new Uint8Array(len), options, ipId: ids[who]++,
    });
    const sec = Math.floor(t);
    w.add(1_700_000_000 + sec, Math.round((t - sec) * 1e6) * 1000, frame);
  }
  const file = join(dir, `${name}.pcap`);
  writeFileSync(file, w.toBuffer());
  return file;
}

const A = ['ACK'] as TcpFlagName[];
const PA = ['PSH', 'ACK'] as TcpFlagName[];

/** Client sends five segments, the second is lost: three dup ACKs, a fast retransmit, an RTO resend. */
const KARN: Step[] = [
  [0.0, 'C', 1000, 0, ['SYN'], 64240, 0, { mss: 1460, wscale: 7 }],
  [0.01, 'S', 5000, 1001, ['SYN', 'ACK'], 65160, 0, { mss: 1460, wscale: 2 }],
  [0.011, 'C', 1001, 5001, A, 502, 0],
  [0.012, 'C', 1001, 5001, PA, 502, 1000],
  [0.013, 'C', 2001, 5001, PA, 502, 1000],
  [0.014, 'C', 3001, 5001, PA, 502, 1000],
  [0.015, 'C', 4001, 5001, PA, 502, 1000],
  [0.016, 'C', 5001, 5001, PA, 502, 1000],
  [0.022, 'S', 5001, 2001, A, 1000, 0],
  [0.023, 'S', 5001, 2001, A, 1000, 0],
  [0.024, 'S', 5001, 2001, A, 1000, 0],
  [0.025, 'S', 5001, 2001, A, 1000, 0],
  [0.026, 'C', 2001, 5001, PA, 502, 1000], // fast retransmit
  [0.036, 'S', 5001, 6001, A, 1000, 0], // exact ACK of 5001..6000, but 2001 was resent after it: no sample
  [0.04, 'C', 6001, 5001, PA, 502, 500],
  [0.05, 'S', 5001, 6501, A, 1000, 0], // sample: 10 ms
  [0.051, 'C', 6501, 5001, PA, 502, 500],
  [0.3, 'C', 6501, 5001, PA, 502, 500], // RTO resend
  [0.31, 'S', 5001, 7001, A, 1000, 0], // ambiguous (Karn): no sample
  [0.311, 'C', 7001, 5001, ['FIN', 'ACK'], 502, 0],
  [0.32, 'S', 5001, 7002, PA, 1000, 300], // the server goes on after the client's FIN
  [0.321, 'C', 7002, 5301, A, 502, 0],
  [0.33, 'S', 5301, 7002, ['FIN', 'ACK'], 1000, 0],
  [0.331, 'C', 7002, 5302, A, 502, 0],
];

/** A retransmitted SYN, a zero window with a probe, the server half-closing first. */
const ZERO: Step[] = [
  [0.0, 'C', 100, 0, ['SYN'], 8192, 0, { mss: 1460 }],
  [1.0, 'C', 100, 0, ['SYN'], 8192, 0, { mss: 1460 }],
  [1.005, 'S', 900, 101, ['SYN', 'ACK'], 4000, 0, { mss: 1460 }],
  [1.006, 'C', 101, 901, A, 8192, 0],
  [1.01, 'C', 101, 901, PA, 8192, 2000],
  [1.011, 'C', 2101, 901, PA, 8192, 2000],
  [1.02, 'S', 901, 4101, A, 0, 0], // zero window
  [1.22, 'C', 4101, 901, A, 8192, 1], // probe
  [1.221, 'S', 901, 4101, A, 0, 0],
  [1.5, 'S', 901, 4101, A, 4000, 0], // window opens
  [1.501, 'C', 4101, 901, PA, 8192, 1000],
  [1.51, 'S', 901, 5101, A, 4000, 0],
  [1.511, 'S', 901, 5101, ['FIN', 'ACK'], 4000, 0],
  [1.512, 'C', 5101, 902, A, 8192, 0],
  [1.52, 'C', 5101, 902, PA, 8192, 700],
  [1.53, 'S', 902, 5801, A, 4000, 0],
  [1.54, 'C', 5801, 902, ['FIN', 'ACK'], 8192, 0],
  [1.541, 'S', 902, 5802, A, 4000, 0],
];

interface Conn {
  halfClose: { by: string; at: number; seconds: number | null; bytes: number } | null;
  client: Side;
  server: Side;
}

describe('tcptrace numbers on built conversations', () => {
  const dir = mkdtempSync(join(tmpdir(), `ackscope-stats-${process.pid}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const karn = capture(dir, 'karn', KARN);
  const zero = capture(dir, 'zero', ZERO);
  const conn = (file: string): Conn => analyzeJson(file).find((r) => r.type === 'connection') as unknown as Conn;

  it('takes no RTT sample from a resent segment (Karn) nor from one sent before an earlier resend', () => {
    const c = conn(karn).client.stats;
    // SYN 10 ms, first segment 10 ms, 6001 10 ms, FIN 9 ms; 5001 (after the resend of 2001) and 6501 (resent) give none.
    assert.deepEqual(c.rtt, { samples: 4, min: 0.009, avg: 0.00975, max: 0.01, stddev: 0.0005 });
    assert.equal(c.handshakeRtt, 0.01);
    assert.equal(conn(karn).server.stats.handshakeRtt, 0.001);
  });

  it('counts three duplicate ACKs as one triple, and both resends in packets and bytes', () => {
    const c = conn(karn).client.stats as unknown as Record<string, number>;
    // Three at 2001, and the server's FIN: it repeats its last ACK (7002) with the same window, as tcptrace counts.
    assert.equal(c.duplicateAcks, 4);
    assert.equal(c.tripleDuplicateAcks, 1);
    assert.equal(c.retransmittedPackets, 2);
    assert.equal(c.retransmittedBytes, 1500);
    assert.equal(c.uniqueBytes, 6000);
    assert.equal(c.dataBytes, 7500);
    assert.equal(c.throughput, Math.round(6000 / 0.331));
  });

  it('scales windows by the shift each SYN offered, once both offered one', () => {
    const k = conn(karn);
    // Client: the SYN's 64240 unscaled, then 502 << 7 = 64256; server: 65160, then 1000 << 2.
    assert.equal(k.client.stats.window!.max, 64256);
    assert.equal(k.client.stats.window!.min, 64256);
    assert.equal(k.server.stats.window!.max, 4000);
  });

  it('counts zero-window adverts, keeps the probe out of unique bytes and the resent SYN in retransmissions', () => {
    const z = conn(zero);
    const c = z.client.stats as unknown as Record<string, number>;
    assert.equal((z.server.stats as unknown as Record<string, number>).zeroWindowAdverts, 2);
    assert.equal(c.zeroWindowProbes, 1);
    assert.equal(c.uniqueBytes, 5700);
    assert.equal(c.retransmittedPackets, 1, 'the second SYN');
    assert.equal(c.retransmittedBytes, 1);
    // No handshake RTT when the SYN went twice (tcptrace then prints its initial 0.0).
    assert.equal(z.client.stats.handshakeRtt, null);
    assert.equal(z.server.stats.window!.min, 4000, 'min is over non-zero windows');
  });

  it('times the half-close and counts what the other side sent in it', () => {
    assert.deepEqual(conn(zero).halfClose, { by: 'server', at: 1.511, seconds: 0.029, bytes: 700 });
    assert.deepEqual(conn(karn).halfClose, { by: 'client', at: 0.311, seconds: 0.019, bytes: 300 });
  });

  it('agrees with tcptrace -l -r on both conversations', { skip: tcptraceAvailable() ? false : 'tcptrace not installed' }, () => {
    for (const f of [karn, zero]) {
      const { checked, diffs } = compareFile(f);
      assert.deepEqual(diffs, []);
      assert.equal(checked, 2);
    }
  });
});
