/**
 * The two-stage pipeline (a worker reads and decodes into a shared ring, this thread tracks and
 * renders) must be invisible in the output: byte-identical output of every format (text with the
 * stories, JSON, summary, ladder, HTML, Zeek's conn.log and weird.log), the same error after the
 * same frames, for every sample and fixture, with a ring of 8 slots so that both sides wait on
 * each other constantly; and once on the bench capture when it is there (bench/make-capture.sh).
 * Also: a record keeps every field the tracker and sinks read (the IP length too, in its short and
 * long forms), a reason too long for its slot still arrives in frame order, a shared time origin
 * reaches the worker's decoder, the progress line follows the worker's reading, exit statuses and
 * error lines are the same from the command line, and a closed output stops the worker.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { DecodingSource, type DecodedSource } from '../src/capture/decoded.js';
import { openCapture } from '../src/capture/open.js';
import { newCapturedPacket } from '../src/capture/packet.js';
import { PipelinedSource } from '../src/capture/pipelined.js';
import { allocateRing, C, INLINE_REASON, RingReader, RingWriter } from '../src/capture/record-ring.js';
import { TcpPacket } from '../src/capture/tcp-packet.js';
import { formatSinks, runPipeline, type AnalyzeOptions, type Format } from '../src/cli/analyze.js';
import { Output } from '../src/render/output.js';
import { runCli } from './helpers/cli.js';
import { CLI, FIXTURES, ROOT, SAMPLES } from './helpers/paths.js';
import { prng } from './helpers/prng.js';

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...captures(p));
    else if (/\.(pcap|pcapng|gz|txt)$/.test(e.name) && !e.name.includes('.tshark.')) out.push(p);
  }
  return out.sort();
}

const tmp = mkdtempSync(join(tmpdir(), 'ackscope-pipeline-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** vbox-broken's 19 frames repeated 3000 times: 57 000 frames, many turns of any ring. */
function longCapture(): string {
  const b = readFileSync(join(SAMPLES, 'vbox-broken.pcap'));
  const parts = [b.subarray(0, 24)];
  for (let i = 0; i < 3000; i++) parts.push(b.subarray(24));
  const f = join(tmp, 'long.pcap');
  writeFileSync(f, Buffer.concat(parts));
  return f;
}

interface Outcome {
  out: string;
  error: string | null;
  frames: number;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return { stream: new Writable({ write(c: Buffer, _e, cb) { chunks.push(c.toString()); cb(); } }), text: () => chunks.join('') };
}

const EVERY_FORMAT: readonly Format[] = ['text', 'json', 'summary', 'ladder', 'html'];

/**
 * One run feeding the sinks of each format, each to its own output: the texts side by side. With
 * `zeekDir`, Zeek's logs are written there too and appended (their open/close stamps blanked: the
 * time the run happened, not what it found).
 */
async function analyze(src: DecodedSource, formats: readonly Format[], stream?: Writable, zeekDir?: string, extra: Partial<AnalyzeOptions> = {}): Promise<Outcome> {
  const outs = formats.map(() => collector());
  const outputs = formats.map((_, i) => new Output(stream ?? outs[i]!.stream));
  const o: AnalyzeOptions = { format: formats[0]!, color: false, states: true, anomaliesOnly: false, allConnections: false, title: 'capture', ...extra };
  const sinks = (await Promise.all(formats.map((format, i) => formatSinks({ ...o, format, explain: format !== 'json' && format !== 'html', ...(i === 0 && zeekDir ? { zeekLog: zeekDir } : {}) }, outputs[i]!)))).flat();
  const run = await runPipeline(src, o, sinks, outputs[0]!.pace);
  for (const out of outputs) await out.end();
  const texts = outs.map((c) => c.text());
  if (zeekDir) for (const f of ['conn.log', 'weird.log']) texts.push(readFileSync(join(zeekDir, f), 'utf8').replace(/^#(open|close)\t.*$/gm, '#$1'));
  return { out: texts.join('\n==== next format ====\n'), error: run.error?.message ?? null, frames: run.end.counts.frames };
}

let zeekRuns = 0;
/** A fresh directory for one run's Zeek logs. */
function zeekDir(): string {
  const d = join(tmp, `zeek-${zeekRuns++}`);
  mkdirSync(d);
  return d;
}

describe('two-stage pipeline: same output as decoding on one thread', () => {
  const files = [...captures(SAMPLES), ...captures(FIXTURES), longCapture()];
  it('covers every sample and fixture, the malformed ones included', () => {
    assert.ok(files.length >= 60, `${files.length} files`);
    assert.ok(files.some((f) => f.includes('malformed')));
  });
  for (const f of files) {
    it(`${relative(ROOT, f)} (every format, Zeek's logs)`, async () => {
      const one = await analyze(new DecodingSource(await openCapture(f)), EVERY_FORMAT, undefined, zeekDir());
      const two = await analyze(new PipelinedSource(f, { slots: 8 }), EVERY_FORMAT, undefined, zeekDir());
      assert.equal(two.error, one.error);
      assert.equal(two.frames, one.frames);
      assert.ok(two.out === one.out, `output differs for ${f}`);
    });
  }
  it('reassembles IP fragments in the worker: the rebuilt segments are analysed as on one thread', async () => {
    // ethernet.pcap ends with IPv4 and IPv6 fragments (helpers/encap-frames.ts) that complete datagrams.
    const f = join(FIXTURES, 'encap', 'ethernet.pcap');
    const src = new PipelinedSource(f, { slots: 8 });
    const two = await analyze(src, ['json']);
    const one = await analyze(new DecodingSource(await openCapture(f)), ['json']);
    assert.ok(src.fragmentsHeld > 0, 'the fixture has fragments held for reassembly');
    assert.equal(two.out, one.out);
  });
  it('measures times from a shared origin handed to the worker (captures merged in time order)', async () => {
    const f = join(SAMPLES, 'vbox-broken.pcap');
    const origin = { sec: 1_000_000_000, nsec: 123 };
    const one = await analyze(new DecodingSource(await openCapture(f), { ...origin }), ['json']);
    const two = await analyze(new PipelinedSource(f, { slots: 8, timeOrigin: { ...origin } }), ['json']);
    assert.equal(two.out, one.out);
    assert.match(two.out, /"time":\d{8,}/, 'times are counted from the shared origin, years before the capture');
  });
});

const BENCH = join(ROOT, 'bench', 'data', 'bench.pcap');

/**
 * The bench capture, recorded here when it is missing (root: a network namespace of its own, about
 * 11 s; CI runs as root, so CI compares on it too). Returns why the comparison is skipped, or false.
 */
function benchCaptureMissing(): string | false {
  if (existsSync(BENCH)) return false;
  if (process.getuid?.() !== 0) return 'bench/data/bench.pcap absent, and making it (bash bench/make-capture.sh) needs root';
  const r = spawnSync('bash', [join(ROOT, 'bench', 'make-capture.sh')], { stdio: 'ignore', timeout: 180_000 });
  return r.status === 0 && existsSync(BENCH) ? false : `bench/data/bench.pcap could not be made (bench/make-capture.sh exited ${r.status ?? r.signal})`;
}

describe('two-stage pipeline on the bench capture', () => {
  // 1.1 M packets: one run each way with the formats that cover every packet and connection
  // (JSON, Zeek's logs) and the tables, not one run per format.
  it('bench/data/bench.pcap: JSON, summary and Zeek logs byte-identical', { skip: benchCaptureMissing(), timeout: 300_000 }, async () => {
    const hash = (): { stream: Writable; digest: () => string } => {
      const h = createHash('sha256');
      return { stream: new Writable({ write(c: Buffer, _e, cb) { h.update(c); cb(); } }), digest: () => h.digest('hex') };
    };
    const run = async (src: DecodedSource): Promise<string> => {
      const j = hash();
      const s = hash();
      const dir = zeekDir();
      const oj = new Output(j.stream);
      const os = new Output(s.stream);
      const o: AnalyzeOptions = { format: 'json', color: false, states: true, anomaliesOnly: false, allConnections: false };
      const sinks = [...(await formatSinks({ ...o, zeekLog: dir }, oj)), ...(await formatSinks({ ...o, format: 'summary' }, os))];
      const r = await runPipeline(src, o, sinks, oj.pace);
      await oj.end();
      await os.end();
      const zeek = ['conn.log', 'weird.log'].map((f) => readFileSync(join(dir, f), 'utf8').replace(/^#(open|close)\t.*$/gm, ''));
      rmSync(dir, { recursive: true, force: true });
      return [j.digest(), s.digest(), ...zeek, r.error?.message, r.end.counts.frames].join('\n');
    };
    const one = await run(new DecodingSource(await openCapture(BENCH)));
    const two = await run(new PipelinedSource(BENCH));
    assert.ok(two === one, 'outputs differ on the bench capture');
  });
});

describe('packet records in the ring', () => {
  it('carry every field, options, encapsulation hops and reasons of any length through the ring', () => {
    const rnd = prng(13);
    const rng = { int: (n: number): number => Math.floor(rnd() * n) };
    const ring = allocateRing(4);
    const side: string[] = [];
    const w = new RingWriter(ring, (r) => side.push(r), 1);
    const r = new RingReader(ring);
    const data = Buffer.alloc(100);
    const pkt = newCapturedPacket();
    const back = new TcpPacket();
    const backPkt = newCapturedPacket();
    for (let i = 0; i < 2000; i++) {
      const p = new TcpPacket();
      const u32 = (): number => rng.int(0x100000000);
      p.status = (['tcp', 'tcp', 'other', 'truncated', 'malformed'] as const)[rng.int(5)]!;
      p.frame = i + 1;
      p.time = rng.int(1e9) / 1e6;
      pkt.beyondSnaplen = rng.int(2) === 1;
      if (p.status === 'tcp') {
        p.frameLen = rng.int(70000);
        p.ipVersion = rng.int(2) ? 6 : 4;
        if (p.ipVersion === 4) {
          p.src4 = u32();
          p.dst4 = u32();
        } else for (let k = 0; k < 4; k++) {
          p.src6[k] = u32();
          p.dst6[k] = u32();
        }
        p.sport = rng.int(65536);
        p.dport = rng.int(65536);
        p.seq = u32();
        p.ack = u32();
        p.headerLen = 20 + 4 * rng.int(11);
        p.flags = rng.int(512);
        p.win = rng.int(65536);
        p.urg = rng.int(65536);
        p.checksum = rng.int(65536);
        p.len = rng.int(rng.int(50) === 0 ? 0x100000000 : 70000);
        // The IP header as usual (20-60, 40 and up), or a rebuilt datagram's length (short or long).
        p.ipLen = rng.int(4) === 0 ? rng.int(0x100000000) : p.len + p.headerLen + 20 + rng.int(rng.int(50) === 0 ? 70000 : 64);
        p.optLen = p.headerLen - 20;
        p.optCaptured = rng.int(p.optLen + 1);
        p.payloadCaptured = rng.int(p.len + 1);
        for (let k = 0; k < data.length; k++) data[k] = rng.int(256);
        p.data = data;
        p.optOffset = rng.int(50);
        p.encapCount = rng.int(20);
        for (let k = 0; k < 16; k++) {
          p.encapKind[k] = rng.int(26);
          p.encapId[k] = rng.int(3) === 0 ? -1 : u32();
        }
        // As the decoder sets it: a network only inside an encapsulation.
        p.net = p.encapCount === 0 || rng.int(2) ? 0 : 12 * 0x1000000 + rng.int(0x1000000);
      } else if (p.status !== 'other') {
        p.reason = 'x'.repeat(rng.int(2) ? rng.int(INLINE_REASON + 1) : INLINE_REASON + 1 + rng.int(300)) + `é${i}`;
      }
      w.write(p, pkt);
      w.publish();
      const viaSide = r.read(i, back, backPkt);
      if (viaSide) back.reason = side.shift()!;
      Atomics.store(r.ctl, C.TAIL, i + 1); // read at once: release the slot
      assert.equal(back.status, p.status);
      assert.equal(back.frame, p.frame);
      assert.equal(back.time, p.time);
      assert.equal(backPkt.beyondSnaplen, pkt.beyondSnaplen);
      if (p.status === 'other') continue;
      if (p.status !== 'tcp') {
        assert.equal(back.reason, p.reason);
        continue;
      }
      for (const k of ['frameLen', 'ipVersion', 'sport', 'dport', 'seq', 'ack', 'headerLen', 'flags', 'win', 'urg', 'checksum', 'len', 'ipLen', 'optLen', 'optCaptured', 'payloadCaptured', 'encapCount', 'net', 'reason'] as const) {
        assert.equal(back[k], p[k], k);
      }
      if (p.ipVersion === 4) assert.deepEqual([back.src4, back.dst4], [p.src4, p.dst4]);
      else assert.deepEqual([[...back.src6], [...back.dst6]], [[...p.src6], [...p.dst6]]);
      assert.deepEqual(back.data.subarray(back.optOffset, back.optOffset + back.optCaptured), p.data.subarray(p.optOffset, p.optOffset + p.optCaptured));
      const n = Math.min(16, p.encapCount);
      assert.deepEqual([...back.encapKind.subarray(0, n)], [...p.encapKind.subarray(0, n)]);
      assert.deepEqual([...back.encapId.subarray(0, n)], [...p.encapId.subarray(0, n)]);
    }
    assert.equal(side.length, 0);
  });
  it('carry the time origin and the read position beside the records', () => {
    const ring = allocateRing(2);
    const w = new RingWriter(ring, () => {});
    const r = new RingReader(ring);
    assert.equal(r.origin, null);
    w.setOrigin(1_700_000_000, 999_999_999);
    w.setPosition(5_000_000_123);
    assert.deepEqual(r.origin, { sec: 1_700_000_000, nsec: 999_999_999 });
    assert.equal(r.position, 5_000_000_123);
  });
});

describe('two-stage pipeline from the command line', () => {
  const long = join(tmp, 'long.pcap');
  it('--threads 2 on a file gives what one thread gives, exit status and all; on standard input one thread reads', () => {
    const one = runCli(['analyze', long, '--threads', '1', '--fail-on', 'any']);
    const two = runCli(['analyze', long, '--threads', '2', '--fail-on', 'any']);
    const auto = runCli(['analyze', long, '--fail-on', 'any']);
    const stdin = runCli(['analyze', '-', '--threads', '2', '--fail-on', 'any'], { input: readFileSync(long) });
    assert.equal(one.status, 3, one.stderr);
    assert.deepEqual(two, one);
    assert.deepEqual(auto, one);
    assert.equal(stdin.status, 3);
    assert.ok(stdin.stdout === one.stdout);
  });
  it('--threads 2 on a text trace analyses it as without (texts are rebuilt on one thread)', () => {
    const f = join(FIXTURES, 'text', 'vbox-portforward-report.txt');
    const one = runCli(['analyze', f]);
    assert.equal(one.status, 0, one.stderr);
    assert.deepEqual(runCli(['analyze', f, '--threads', '2']), one);
  });
  it('a bad record: same stdout, same one-line error, same exit status', () => {
    for (const name of ['truncated-record-data.pcap', 'garbage-in-middle.pcapng', 'corrupt.pcap.gz']) {
      const f = join(FIXTURES, 'malformed', name);
      const one = runCli(['analyze', f, '--threads', '1']);
      const two = runCli(['analyze', f, '--threads', '2']);
      assert.equal(one.status, 2, name);
      assert.deepEqual(two, one, name);
      assert.match(two.stderr, /^ackscope: .*offset \d+( \(frame \d+\))?: .*\n$/);
    }
  });
  it('--threads takes auto, 1 or 2', () => {
    const r = runCli(['analyze', long, '--threads', '3']);
    assert.equal(r.status, 64);
    assert.match(r.stderr, /--threads must be auto, 1 or 2/);
    assert.match(runCli(['analyze', '--help']).stdout, /--threads auto\|1\|2/);
  });
  it('shows the progress line from the worker\'s read position', () => {
    // As test/progress.test.ts: a pseudo-terminal from util-linux `script`, the delay shortened.
    const sh = (x: string): string => `'${x.replace(/'/g, `'\\''`)}'`;
    const out = join(tmp, 'progress-summary.txt');
    const cmd = `${sh(process.execPath)} ${sh(CLI)} analyze ${sh(long)} --format summary --threads 2 > ${sh(out)}`;
    const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ACKSCOPE_PROGRESS_AFTER_MS: '0' }, timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /ackscope: long\.pcap \[[=-]+\] +\d+% \| [\d.]+\/[\d.]+ MB/);
    assert.equal(readFileSync(out, 'utf8'), runCli(['analyze', long, '--format', 'summary', '--threads', '1']).stdout);
  });
});

describe('two-stage pipeline stops when the output is closed', () => {
  it('resolves without reading the rest of the input', async () => {
    const f = join(tmp, 'long.pcap');
    assert.ok(statSync(f).size > 1e6);
    let writes = 0;
    const closing = new Writable({
      highWaterMark: 1,
      write(_c, _e, cb) {
        if (++writes === 3) {
          const e = Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
          cb(e);
        } else setTimeout(cb, 1);
      },
    });
    closing.on('error', () => {});
    const r = await analyze(new PipelinedSource(f, { slots: 64 }), ['json'], closing);
    assert.equal(r.error, null);
    assert.ok(r.frames < 57000, `${r.frames} frames read`);
  });
});
