#!/usr/bin/env node
// Builds samples/data-after-fin.pcap by hand: no real TCP stack sends data after its own FIN, so
// this capture is made of frames built with src/capture/frame-builder.ts. The client sends 10
// bytes, its FIN, then 5 more bytes beyond the FIN (as a broken stack or middlebox might); the
// server's ACKs stay at the FIN (it ignores the text, RFC 9293 §3.10.7.4), then it closes too.
// Run after a build: `npm run build && node samples/build-data-after-fin.mjs`.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const here = dirname(fileURLToPath(import.meta.url));
const { buildTcpFrame } = await import(join(here, '..', 'dist', 'src', 'capture', 'frame-builder.js'));
const { PcapWriter } = await import(join(here, '..', 'dist', 'src', 'capture', 'pcap-writer.js'));
const C = { addr: '192.0.2.10', port: 40000, isn: 1000 };
const S = { addr: '192.0.2.20', port: 7000, isn: 5000 };
const frames = [
  // [ms, from, flags, seq offset, ack offset, payload]
  [0.0, 'c', ['SYN'], 0, 0, ''],
  [0.2, 's', ['SYN', 'ACK'], 0, 1, ''],
  [0.4, 'c', ['ACK'], 1, 1, ''],
  [1.0, 'c', ['PSH', 'ACK'], 1, 1, 'request 1\n'],
  [1.2, 's', ['ACK'], 1, 11, ''],
  [2.0, 'c', ['FIN', 'ACK'], 11, 1, ''],
  [2.2, 's', ['ACK'], 1, 12, ''],
  [30.0, 'c', ['PSH', 'ACK'], 12, 1, 'late\n'],
  [30.2, 's', ['ACK'], 1, 12, ''],
  [60.0, 's', ['FIN', 'ACK'], 1, 12, ''],
  [60.2, 'c', ['ACK'], 17, 2, ''],
];
const w = new PcapWriter(1);
const epoch = 1764500000;
frames.forEach(([ms, from, flags, seqOff, ackOff, text], i) => {
  const [a, b] = from === 'c' ? [C, S] : [S, C];
  const f = buildTcpFrame({
    linktype: 1, src: a.addr, dst: b.addr, sport: a.port, dport: b.port,
    seq: a.isn + seqOff, ack: flags.includes('ACK') ? b.isn + ackOff : 0, flags, win: 64240,
    payload: Buffer.from(text), ipId: i + 1,
    options: flags.includes('SYN') ? { mss: 1460 } : undefined,
  });
  const us = Math.round(ms * 1000);
  w.add(epoch, us * 1000, f);
});
writeFileSync(join(here, 'data-after-fin.pcap'), w.toBuffer());
console.error(`wrote data-after-fin.pcap (${frames.length} frames, hand-built)`);
