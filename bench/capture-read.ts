/**
 * Reader throughput: `node dist/bench/capture-read.js FILE [RUNS]` reads FILE (pcap, pcapng, gzip)
 * RUNS times (default 3) with a sink that only sums captured lengths, and prints frames/s and MB/s
 * of the best run. Run it twice or `cat FILE >/dev/null` first so the page cache is warm.
 */
import { statSync } from 'node:fs';
import { openCapture } from '../src/capture/open.js';

const [path, runsArg] = process.argv.slice(2);
if (path === undefined) {
  console.error('usage: node dist/bench/capture-read.js FILE [RUNS]');
  process.exit(64);
}
const size = statSync(path).size;
let best = Infinity;
let frames = 0;
let bytes = 0;
for (let run = 0; run < Number(runsArg ?? 3); run++) {
  frames = 0;
  bytes = 0;
  const t0 = process.hrtime.bigint();
  await (await openCapture(path)).run((p) => {
    frames++;
    bytes += p.caplen;
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  best = Math.min(best, s);
}
const mb = size / 1e6;
console.log(`${path}: ${frames} frames, ${bytes} captured bytes, ${mb.toFixed(1)} MB file`);
console.log(`best of ${runsArg ?? 3}: ${best.toFixed(3)} s = ${(frames / best / 1e6).toFixed(2)} M frames/s, ${(mb / best).toFixed(0)} MB/s`);
