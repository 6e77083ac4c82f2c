/**
 * One benchmark measurement in its own process: `node dist/bench/run-one.js read|decode|track FILE`.
 * Prints one JSON line: packets, TCP packets, seconds, peak RSS.
 */
import { openCapture } from '../src/capture/open.js';
import { Decoder } from '../src/capture/decode.js';
import { TcpPacket } from '../src/capture/tcp-packet.js';
import { Tracker } from '../src/analyze/tracker.js';

const [mode, file] = process.argv.slice(2);
if (!file || !['read', 'decode', 'track'].includes(mode ?? '')) {
  console.error('usage: node dist/bench/run-one.js read|decode|track FILE');
  process.exit(64);
}
const dec = new Decoder();
const p = new TcpPacket();
const tracker = new Tracker();
let frames = 0;
let tcp = 0;
let t0s = -1;
let t0ns = 0;
const t0 = performance.now();
await (await openCapture(file)).run((pkt) => {
  frames++;
  if (mode === 'read') return;
  dec.decode(pkt, p);
  if (p.status !== 'tcp') return;
  tcp++;
  if (mode !== 'track') return;
  if (t0s < 0) {
    t0s = pkt.tsSec;
    t0ns = pkt.tsNsec;
  }
  tracker.process(p, pkt.data, pkt.tsSec - t0s + (pkt.tsNsec - t0ns) / 1e9);
});
if (mode === 'track') tracker.finish();
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ mode, frames, tcp, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
