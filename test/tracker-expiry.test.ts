/**
 * Connections are summarised `closeLinger` seconds after they close and go quiet, from a queue of
 * closed connections. A connection object is recycled for a new stream when its conversation ends
 * another way (a SYN with a new ISN on its 4-tuple); the old queue entry must not then act on the
 * new, open connection.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { analyzeJson } from './helpers/cli.js';
import { convoFrames, type Ends, type Step } from './helpers/convo.js';
import { tsharkAvailable, tsharkRows } from './helpers/tshark.js';

const T1: Ends = { client: ['10.9.0.1', 40000], server: ['10.9.0.2', 8080], isn: { c: 1000, s: 5000 } };
const T2: Ends = { ...T1, isn: { c: 900_000, s: 700_000 } };
const B: Ends = { client: ['10.9.0.3', 41000], server: ['10.9.0.2', 8080], isn: { c: 3000, s: 7000 } };

const closedConvo: Step[] = [
  { from: 'c', flags: ['SYN'], t: 0 },
  { from: 's', flags: ['SYN', 'ACK'], t: 0.01 },
  { from: 'c', flags: ['ACK'], t: 0.02 },
  { from: 'c', flags: ['FIN', 'ACK'], t: 0.03 },
  { from: 's', flags: ['FIN', 'ACK'], t: 0.04 },
  { from: 'c', flags: ['ACK'], t: 0.05 },
];
/** The same 4-tuple again half a second later, new ISNs, then silent for 5.5 s before sending. */
const reusedConvo: Step[] = [
  { from: 'c', flags: ['SYN'], t: 0.5 },
  { from: 's', flags: ['SYN', 'ACK'], t: 0.51 },
  { from: 'c', flags: ['ACK'], t: 0.52 },
  { from: 'c', flags: ['ACK', 'PSH'], len: 5, t: 6.0 },
  { from: 's', flags: ['ACK'], t: 6.01 },
];
/** Another connection talking every half second meanwhile, so that the expiry queue is worked through. */
const busyConvo: Step[] = [
  { from: 'c', flags: ['SYN'], t: 0.2 },
  { from: 's', flags: ['SYN', 'ACK'], t: 0.21 },
  { from: 'c', flags: ['ACK'], t: 0.22 },
  ...Array.from({ length: 11 }, (_, i): Step => ({ from: i % 2 ? 's' : 'c', flags: ['ACK', 'PSH'], len: 10, t: 1 + i * 0.5 })),
];

const dir = mkdtempSync(join(tmpdir(), 'ackscope-expiry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function capture(): string {
  const frames = [...convoFrames(closedConvo, T1), ...convoFrames(reusedConvo, T2), ...convoFrames(busyConvo, B)];
  frames.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const w = new PcapWriter(1, { nanos: true });
  for (const [s, ns, f] of frames) w.add(s, ns, f);
  const file = join(dir, 'reused-then-idle.pcap');
  writeFileSync(file, w.toBuffer());
  return file;
}

describe('the close-linger queue', () => {
  it('leaves open a connection that reuses the object of one ended while queued, however long it idles', () => {
    const file = capture();
    const packets = analyzeJson(file).filter((r) => r.type === 'packet');
    const onT = packets.filter((r) => r.sport === 40000 || r.dport === 40000);
    assert.equal(onT.length, closedConvo.length + reusedConvo.length);
    const streams = onT.map((r) => r.stream);
    // The first conversation is stream 0; the second one, all of it (its data after 5.5 s of silence included), one other stream.
    assert.deepEqual(new Set(streams.slice(0, closedConvo.length)), new Set([0]));
    const second = new Set(streams.slice(closedConvo.length));
    assert.equal(second.size, 1, `second conversation split over streams ${[...second].join(', ')}`);
    const conns = analyzeJson(file).filter((r) => r.type === 'connection');
    assert.equal(conns.length, 3);
    if (tsharkAvailable()) {
      const ts = tsharkRows(file, ['frame.number', 'tcp.stream']);
      assert.deepEqual(packets.map((r) => String(r.stream)), ts.map((r) => r['tcp.stream']));
    }
  });
});
