/**
 * Text traces as input: for every capture with TCP in samples/ and test/fixtures/, the real tshark
 * and tcpdump print it in several formats; ackscope analyses each text and must say, for the k-th
 * TCP packet, what it says on the capture itself: TCP flags, relative seq/ack/len, tshark analysis
 * flags, duplicate-ACK numbers and finding kinds. Where a text loses what a flag needs, LOST names
 * the flag and why. The texts are made once per run (a few variants per capture, every format
 * covered across the captures) to keep the suite fast.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { openCapture } from '../src/capture/open.js';
import type { PacketSource } from '../src/capture/packet.js';
import { readTextTrace } from '../src/capture/text/trace.js';
import { analyzeSource } from '../src/cli/analyze.js';
import { Output } from '../src/render/output.js';
import { runCli } from './helpers/cli.js';
import { FIXTURES, SAMPLES } from './helpers/paths.js';
import { tsharkAvailable } from './helpers/tshark.js';

type Rec = Record<string, any>;
const TMP = mkdtempSync(join(tmpdir(), 'ackscope-text-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** JSON Lines records of an in-process analysis of `src`. */
async function analyze(src: PacketSource): Promise<Rec[]> {
  const chunks: string[] = [];
  const sink = new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } });
  await analyzeSource(src, { format: 'json', color: false, states: true, anomaliesOnly: false, allConnections: false }, new Output(sink));
  return chunks.join('').split('\n').filter((l) => l).map((l) => JSON.parse(l) as Rec);
}
const packets = (recs: Rec[]): Rec[] => recs.filter((r) => r.type === 'packet');

/** Run a tool; its stdout, or null with the reason when it cannot read the capture. */
function tool(cmd: string, args: string[]): Promise<string | { error: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      resolve(err ? { error: stderr.split('\n').filter((l) => l && !l.startsWith('reading from') && !l.startsWith('Running as')).join(' ') } : stdout);
    });
  });
}

function captures(): string[] {
  const out: string[] = [];
  for (const f of readdirSync(SAMPLES)) if (f.endsWith('.pcap')) out.push(join(SAMPLES, f));
  const dir = join(FIXTURES, 'capture');
  for (const f of readdirSync(dir)) if (/\.(pcap|pcapng)$/.test(f)) out.push(join(dir, f));
  return out.sort();
}

const T_FORMATS = ['r', 'a', 'ad', 'd', 'dd', 'e', 'u', 'ud'];
const TCPDUMP_FLAGS = [[], ['-tt'], ['-ttt'], ['-tttt'], ['-ttttt'], ['-t'], ['-S'], ['-v'], ['-v', '-S', '-tt'], ['-t', '-S']];

interface Variant {
  capture: string;
  tool: 'tshark' | 'tcpdump';
  args: string[];
  text: string | { error: string };
}

/**
 * Two tshark and two tcpdump texts per sample, one of each per fixture (most fixtures are the same
 * traffic in another container): -t formats, absolute numbers and tcpdump flags rotate, so that
 * every one is met. `--disable-protocol http`: the fixtures hold HTTP, whose lines would otherwise
 * carry no TCP fields (that case has its own test below).
 */
function variants(): Variant[] {
  const out: Variant[] = [];
  let t = 0;
  let d = 0;
  for (const c of captures()) {
    const n = c.startsWith(SAMPLES) ? 2 : 1;
    for (let j = 0; j < n; j++, t++) {
      const abs = t % 3 === 1;
      const args = ['-r', c, '-t', T_FORMATS[t % T_FORMATS.length]!, '--disable-protocol', 'http', ...(abs ? ['-o', 'tcp.relative_sequence_numbers:FALSE'] : [])];
      out.push({ capture: c, tool: 'tshark', args, text: '' });
    }
    for (let j = 0; j < n; j++, d++) out.push({ capture: c, tool: 'tcpdump', args: ['-nn', ...TCPDUMP_FLAGS[d % TCPDUMP_FLAGS.length]!, '-r', c], text: '' });
  }
  return out;
}

/** Make every variant's text, a few tools at a time. */
async function makeTexts(vs: Variant[], parallel = 6): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < vs.length) {
      const v = vs[next++]!;
      v.text = await tool(v.tool, v.args);
    }
  }));
}

/**
 * What a text cannot carry, per variant kind: the flags (or fields) that may differ and why.
 * Nothing else may differ.
 */
function lost(v: Variant): Record<string, string> {
  const l: Record<string, string> = {};
  const noTime = v.args.includes('-t') && v.tool === 'tcpdump';
  if (noTime) {
    for (const f of ['out_of_order', 'retransmission', 'fast_retransmission']) l[f] = 'tcpdump -t prints no time: tshark tells Out-Of-Order from Retransmission and Fast Retransmission by the time since the last segment';
  }
  if (v.tool === 'tcpdump') {
    l.keep_alive = 'tcpdump prints no seq on a segment without data: a keep-alive (seq one below the next) looks like a plain ACK';
    l.keep_alive_ack = 'follows keep_alive';
  }
  return l;
}

function key(p: Rec): Record<string, string> {
  return {
    flags: [...p.flags].sort().join(','),
    seq: String(p.seq),
    ack: p.flags.includes('ACK') ? String(p.ack) : '',
    len: String(p.len),
    dup: p.dupAckNum ? `${p.dupAckFrame}#${p.dupAckNum}` : '',
    findings: (p.findings as Rec[]).map((f) => f.kind).sort().join(','),
  };
}

const ALL = tsharkAvailable() ? variants() : [];
const byCapture = new Map<string, Rec[]>();
async function captureRecords(c: string): Promise<Rec[]> {
  let r = byCapture.get(c);
  if (!r) byCapture.set(c, (r = packets(await analyze(await openCapture(c)))));
  return r;
}

describe('text traces give the analysis of the capture they were printed from', { skip: !tsharkAvailable() && 'tshark not installed' }, () => {
  before(() => makeTexts(ALL));

  it('covers every tshark -t format, relative and absolute numbers, and every tcpdump variant', () => {
    const seen = new Set(ALL.map((v) => `${v.tool} ${v.args.filter((a) => a.startsWith('-t') || a === '-S' || a === '-v' || a.startsWith('tcp.') || T_FORMATS.includes(a)).join(' ')}`));
    for (const t of T_FORMATS) assert.ok([...seen].some((s) => s.startsWith(`tshark -t ${t}`)), `tshark -t ${t}`);
    assert.ok([...seen].some((s) => s.includes('tcp.relative_sequence_numbers')), 'absolute numbers');
    for (const f of TCPDUMP_FLAGS) assert.ok(ALL.some((v) => v.tool === 'tcpdump' && typeof v.text === 'string' && v.args.join(' ') === ['-nn', ...f, '-r', v.capture].join(' ')), `tcpdump ${f.join(' ')}`);
  });

  for (const v of ALL) {
    it(`${basename(v.capture)}: ${v.tool} ${v.args.filter((a) => a !== v.capture && a !== '-r').join(' ')}`, async () => {
      if (typeof v.text !== 'string') {
        // tcpdump reads one link type per file, and one section: such a pcapng cannot be printed by it.
        assert.match(v.text.error, /different from the type of the first interface|block size \d+ > maximum/);
        return;
      }
      const want = await captureRecords(v.capture);
      const input = readTextTrace('text', v.text);
      assert.ok(input, 'recognised as a trace');
      assert.equal(input.dialect, v.tool);
      assert.deepEqual(input.bad.map((b) => `line ${b.line}: ${b.reason}`), [], 'every packet line read');
      assert.equal(input.traces.length, 1, 'one trace');
      const got = packets(await analyze(input.traces[0]!));
      assert.equal(got.length, want.length, 'TCP packets');
      const may = lost(v);
      const diffs: string[] = [];
      want.forEach((w, k) => {
        const g = got[k]!;
        const [a, b] = [key(w), key(g)];
        for (const f of Object.keys(a)) if (a[f] !== b[f] && !(f === 'dup' && may.keep_alive)) diffs.push(`packet ${k + 1} (frame ${w.frame}) ${f}: capture ${a[f]}, text ${b[f]}`);
        const wa = new Set<string>(w.analysis);
        const ga = new Set<string>(g.analysis);
        for (const f of new Set([...wa, ...ga])) {
          if (wa.has(f) !== ga.has(f) && !may[f]) diffs.push(`packet ${k + 1} (frame ${w.frame}) ${f}: capture ${wa.has(f)}, text ${ga.has(f)}`);
        }
      });
      assert.deepEqual(diffs, []);
    });
  }
});
