/**
 * Warm-up against steady state: `node dist/bench/steady.js FILE [PASSES]` runs read + decode +
 * track over FILE PASSES times (default 3) in one process, a new Tracker each pass, and prints
 * each pass's wall and CPU time: the first pass pays for compiling, the later ones do not. Each
 * ended connection is judged, as `analyze --format summary` does (it summarises only the worst).
 */
import { openCapture } from '../src/capture/open.js';
import { Decoder } from '../src/capture/decode.js';
import { TcpPacket } from '../src/capture/tcp-packet.js';
import { Tracker } from '../src/analyze/tracker.js';
import { healthOf } from '../src/analyze/summary.js';

const [file, passesArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node dist/bench/steady.js FILE [PASSES]');
  process.exit(64);
}
for (let pass = 0; pass < Number(passesArg ?? 3); pass++) {
  const dec = new Decoder();
  const p = new TcpPacket();
  let ended = 0;
  let health = 0;
  const tracker = new Tracker(undefined, (c) => {
    if (healthOf(c) !== 'ok') health++;
    ended++;
  });
  let tcp = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await (await openCapture(file)).run((pkt) => {
    dec.decode(pkt, p);
    if (p.status !== 'tcp') return;
    tcp++;
    tracker.process(p, p.data);
  });
  tracker.finish();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  console.log(`pass ${pass + 1}: ${tcp} TCP packets, ${ended} connections (${health} not ok), wall ${wall.toFixed(3)} s, cpu ${((cpu.user + cpu.system) / 1e6).toFixed(3)} s, ${((wall / tcp) * 1e6).toFixed(3)} us/pkt`);
}
