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
const t0 = performance.now();
await (await openCapture(file)).run((pkt) => {
  frames++;
  if (mode === 'read') return;
  dec.decode(pkt, p);
  if (p.status !== 'tcp') return;
  tcp++;
  if (mode !== 'track') return;
  tracker.process(p, p.data);
});
if (mode === 'track') tracker.finish();
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ mode, frames, tcp, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
