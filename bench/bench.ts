/**
 * `npm run bench`: ackscope beside tcpdump and tshark on the same capture, one process per
 * measurement, reported as rates and ratios against the targets of the issues. A benchmark, not a
 * test: it always exits 0.
 *
 *   npm run bench                 make (or reuse) bench/data/bench.pcap and measure everything
 *   npm run bench -- --quick      skip tshark (it takes about half a minute per million packets)
 *   npm run bench -- --x10        also measure peak RSS on a ten-times-longer copy
 *   npm run bench -- --file F     measure another capture
 *   npm run bench -- --runs N     repeat each ackscope and tcpdump measurement N times (default 3)
 *                                 and report the median; tshark, at tens of seconds a run, runs once
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const x10 = args.includes('--x10');
const fileArg = args.indexOf('--file');
const file = fileArg >= 0 ? args[fileArg + 1]! : join(ROOT, 'bench', 'data', 'bench.pcap');
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Math.max(1, Number(args[runsArg + 1]) || 1) : 3;

if (fileArg < 0 && (!existsSync(file) || (x10 && !existsSync(join(ROOT, 'bench', 'data', 'bench-x10.pcap'))))) {
  console.error('bench: making the capture (root, tcpdump, python3, ethtool and wireshark-common needed)...');
  const r = spawnSync('bash', [join(ROOT, 'bench', 'make-capture.sh'), ...(x10 ? ['--x10'] : [])], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('bench: could not make the capture; pass --file F to measure one you have');
    process.exit(0);
  }
}
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

interface Run {
  name: string;
  seconds: number;
  rssMB: number | null;
  packets?: number;
}

/** Run a command with stdout discarded; wall time and peak RSS from /usr/bin/time when present. */
function measureOnce(name: string, cmd: string[], parse?: (stdout: string) => Partial<Run>): Run | null {
  const argv = TIME ? [TIME, '-f', '@@%e %M', ...cmd] : cmd;
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', parse ? 'pipe' : 'ignore', 'pipe'] });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0 || r.error) {
    console.error(`bench: ${name} failed: ${r.error?.message ?? r.stderr.split('\n').slice(-3).join(' ')}`);
    return null;
  }
  const m = /@@([\d.]+) (\d+)/.exec(r.stderr ?? '');
  const run: Run = { name, seconds: m ? Number(m[1]) : wall, rssMB: m ? Number(m[2]) / 1024 : null };
  return { ...run, ...(parse ? parse(r.stdout) : {}) };
}

/** The median of `times` runs (this machine varies ±10 % run to run), with the highest RSS seen. */
function measure(name: string, cmd: string[], parse?: (stdout: string) => Partial<Run>, times = RUNS): Run | null {
  const all: Run[] = [];
  for (let i = 0; i < times; i++) {
    const r = measureOnce(name, cmd, parse);
    if (!r) return null;
    all.push(r);
  }
  all.sort((a, b) => a.seconds - b.seconds);
  const mid = all[(all.length - 1) >> 1]!;
  const rss = all.some((r) => r.rssMB !== null) ? Math.max(...all.map((r) => r.rssMB ?? 0)) : null;
  return { ...mid, rssMB: rss, name: times > 1 ? `${name} (median of ${times})` : name };
}

const node = process.execPath;
const one = (mode: string) => (out: string): Partial<Run> => {
  const j = JSON.parse(out.trim().split('\n').pop()!) as { tcp: number; frames: number; seconds: number };
  return { packets: mode === 'read' ? j.frames : j.tcp };
};
const mb = statSync(file).size / 1e6;
console.log(`bench: ${file} (${mb.toFixed(0)} MB); warming the page cache`);
spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'ignore'] });

const runs: (Run | null)[] = [];
const read = measure('ackscope read', [node, join(ROOT, 'dist/bench/run-one.js'), 'read', file], one('read'));
const decode = measure('ackscope read+decode', [node, join(ROOT, 'dist/bench/run-one.js'), 'decode', file], one('decode'));
const full = measure('ackscope analyze --format summary', [node, join(ROOT, 'dist/src/cli.js'), 'analyze', file, '--format', 'summary']);
const tcpdump = measure('tcpdump -nn -r', ['tcpdump', '-nn', '-r', file]);
const tsharkFlags = quick ? null : measure('tshark -T fields -e tcp.analysis.flags', ['tshark', '-r', file, '-T', 'fields', '-e', 'tcp.analysis.flags'], undefined, 1);
const tshark = quick ? null : measure('tshark -r', ['tshark', '-r', file], undefined, 1);
runs.push(read, decode, full, tcpdump, tsharkFlags, tshark);
let fullX10: Run | null = null;
let tcpdumpX10: Run | null = null;
if (x10) {
  const f10 = join(ROOT, 'bench', 'data', 'bench-x10.pcap');
  fullX10 = measure('ackscope analyze --format summary (x10 file)', [node, join(ROOT, 'dist/src/cli.js'), 'analyze', f10, '--format', 'summary'], undefined, 1);
  // Start-up and JIT warm-up weigh on a half-second run; the long file shows the steady state.
  // (tshark is left out here: on this file it would take minutes and gigabytes.)
  tcpdumpX10 = measure('tcpdump -nn -r (x10 file)', ['tcpdump', '-nn', '-r', f10], undefined, 1);
  runs.push(fullX10, tcpdumpX10);
}
const packets = decode?.packets ?? 0;

const pad = (s: string, n: number): string => s.padEnd(n);
console.log(`\n${packets} TCP packets, ${mb.toFixed(1)} MB\n`);
console.log(pad('measurement', 48) + pad('seconds', 10) + pad('M pkt/s', 10) + pad('MB/s', 9) + 'peak RSS');
for (const r of runs) {
  if (!r) continue;
  const n = r.name.includes('x10') ? packets * 10 : packets;
  const fileMb = r.name.includes('x10') ? mb * 10 : mb;
  console.log(pad(r.name, 48) + pad(r.seconds.toFixed(2), 10) + pad((n / r.seconds / 1e6).toFixed(2), 10) + pad((fileMb / r.seconds).toFixed(0), 9) + (r.rssMB !== null ? `${r.rssMB.toFixed(0)} MB` : 'n/a'));
}

const ratio = (a: Run | null, b: Run | null): number | null => (a && b ? b.seconds / a.seconds : null);
const fmt = (x: number | null): string => (x === null ? 'n/a' : `${x.toFixed(1)}×`);
const check = (ok: boolean | null): string => (ok === null ? '  n/a' : ok ? ' PASS' : ' MISS');
const rate = (r: Run | null): number | null => (r ? packets / r.seconds : null);
console.log('\nratios (how many times faster ackscope is, same file)');
console.log(`  read+decode vs tcpdump -nn -r:              ${fmt(ratio(decode, tcpdump))}`);
console.log(`  read+decode vs tshark -r:                   ${fmt(ratio(decode, tshark))}`);
console.log(`  full analysis vs tcpdump -nn -r:            ${fmt(ratio(full, tcpdump))}`);
console.log(`  full analysis vs tshark -e tcp.analysis.flags: ${fmt(ratio(full, tsharkFlags))}`);
if (x10) console.log(`  full analysis vs tcpdump -nn -r, x10 file:  ${fmt(ratio(fullX10, tcpdumpX10))}`);
console.log('\ntargets');
const r1 = rate(decode);
const r2 = rate(full);
console.log(`${check(r1 === null ? null : r1 >= 3e6)}  read+decode >= 3 M TCP packets/s (${r1 ? (r1 / 1e6).toFixed(2) : 'n/a'} M)`);
console.log(`${check(r2 === null ? null : r2 >= 2e6)}  full analysis >= 2 M TCP packets/s (${r2 ? (r2 / 1e6).toFixed(2) : 'n/a'} M)`);
const rt = ratio(full, tsharkFlags);
const rd = ratio(full, tcpdump);
console.log(`${check(rt === null ? null : rt >= 50)}  full analysis >= 50× tshark -T fields -e tcp.analysis.flags (${fmt(rt)})`);
console.log(`${check(rd === null ? null : rd >= 9)}  full analysis >= 9× tcpdump -nn -r (${fmt(rd)})`);
console.log(`${check(full?.rssMB == null ? null : full.rssMB <= 150)}  peak RSS <= 150 MB (${full?.rssMB?.toFixed(0) ?? 'n/a'} MB)`);
if (x10) console.log(`${check(fullX10?.rssMB == null ? null : fullX10.rssMB <= 150)}  peak RSS <= 150 MB on the x10 file (${fullX10?.rssMB?.toFixed(0) ?? 'n/a'} MB)`);
