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
import { prng } from './helpers/prng.js';
import { ANALYSIS_FIELDS, tsharkAvailable, tsharkRows } from './helpers/tshark.js';

type Rec = Record<string, any>;
/** The seed report (the vbox-portforward README), prose and both tshark tables, verbatim. */
const SEED_REPORT = join(FIXTURES, 'text', 'vbox-portforward-report.txt');
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
  for (const sub of ['capture', 'text']) {
    const dir = join(FIXTURES, sub);
    for (const f of readdirSync(dir)) if (/\.(pcap|pcapng)$/.test(f)) out.push(join(dir, f));
  }
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
 * Fixtures that hold the very packets of another fixture, in another container (byte order, time
 * resolution, extra blocks): what they test is the container, which a text does not carry. tcpdump
 * prints them all (it is quick); tshark, slow to start, only their originals.
 */
const SAME_PACKETS_AS_ANOTHER = /^(be-|editcap-|lo-nsec|tsresol-(2-30|10-10)|extra-blocks|tshark\.pcap)/;

/**
 * Two tshark and two tcpdump texts per sample, one of each per fixture: -t formats, absolute
 * numbers and tcpdump flags rotate, so that every one is met. `--disable-protocol http`: the
 * fixtures hold HTTP, whose lines would otherwise carry no TCP fields (that case has its own test).
 */
function variants(): Variant[] {
  const out: Variant[] = [];
  let t = 0;
  let d = 0;
  for (const c of captures()) {
    const n = c.startsWith(SAMPLES) ? 2 : 1;
    const tshark = SAME_PACKETS_AS_ANOTHER.test(basename(c)) ? 0 : n;
    for (let j = 0; j < tshark; j++, t++) {
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

/** Per-packet comparison of two analyses: the differences, as readable lines. */
function differences(want: Rec[], got: Rec[], may: Record<string, string> = {}): string[] {
  const diffs: string[] = [];
  if (got.length !== want.length) diffs.push(`TCP packets: capture ${want.length}, text ${got.length}`);
  want.forEach((w, k) => {
    const g = got[k];
    if (!g) return;
    const [a, b] = [key(w), key(g)];
    for (const f of Object.keys(a)) if (a[f] !== b[f]) diffs.push(`packet ${k + 1} ${f}: ${a[f]} vs ${b[f]}`);
    const [wa, ga] = [[...w.analysis].sort().join(','), [...g.analysis].sort().join(',')];
    if (wa !== ga && !Object.keys(may).some((f) => wa.includes(f) || ga.includes(f))) diffs.push(`packet ${k + 1} analysis: ${wa} vs ${ga}`);
  });
  return diffs;
}

describe("the seed report's tables", () => {
  const seed = readFileSync(SEED_REPORT, 'utf8');
  const tables = readFileSync(join(SAMPLES, 'vbox-seed-tables.txt'), 'utf8');
  const onlyLines = tables.split('\n').filter((l) => / TCP \d+ /.test(l)).join('\n');

  for (const [what, text] of [['the whole report, prose and all', seed], ['the tables file', tables], ['the table lines with the prose cut away', onlyLines]] as const) {
    it(`${what}: two traces, the broken one analysed as samples/vbox-broken.pcap, the working one as vbox-working.pcap`, async () => {
      const input = readTextTrace('seed', text)!;
      assert.equal(input.dialect, 'tshark');
      assert.equal(input.traces.length, 2);
      const [broken, working] = input.traces;
      assert.deepEqual(differences(packets(await analyze(await openCapture(join(SAMPLES, 'vbox-broken.pcap')))), packets(await analyze(broken!))), []);
      assert.deepEqual(differences(packets(await analyze(await openCapture(join(SAMPLES, 'vbox-working.pcap')))), packets(await analyze(working!))), []);
      if (text !== onlyLines) assert.deepEqual([broken!.label, working!.label], ['broken connection', 'working connection']);
      // Lines 13 and 15 of the working table glued the next frame number to TSecr: said, not fatal.
      assert.equal(working!.dropped.length, 2);
      assert.match(working!.dropped[0]!.what, /TSecr=90853139613 .*not a 32-bit value/);
    });
  }

  it('on the command line: each trace under its own header, the ACK beyond the data found in the broken one only', () => {
    const r = runCli(['analyze', SEED_REPORT, '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const recs = r.stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l) as Rec);
    const inputs = recs.filter((x) => x.type === 'input');
    assert.deepEqual(inputs.map((x) => x.name), [`${SEED_REPORT} trace 1 (broken connection)`, `${SEED_REPORT} trace 2 (working connection)`]);
    const second = recs.indexOf(inputs[1]!);
    assert.deepEqual(recs.slice(0, second).filter((x) => x.type === 'packet' && x.findings.some((f: Rec) => f.kind === 'ack_unsent')).map((x) => x.frame), [11]);
    assert.equal(recs.slice(second).filter((x) => x.type === 'packet' && x.findings.length).length, 0);
    assert.match(r.stderr, /trace 2 \(working connection\): line 99: TSecr=90853139613/);
    const text = runCli(['analyze', SEED_REPORT, '--format', 'summary']);
    assert.match(text.stdout, /^# \S+vbox-portforward-report\.txt trace 1 \(broken connection\): tshark text, lines 57-79, 19 TCP packets$/m);
    assert.match(text.stdout, /^# rebuilt from text: .*relative sequence numbers placed on a synthetic ISN.*1 "\[TCP segment of a reassembled PDU\]" lines/m);
  });
});

describe('what people do to tshark lines before pasting them', { skip: !tsharkAvailable() && 'tshark not installed' }, () => {
  let original = '';
  let want: Rec[] = [];
  before(async () => {
    original = (await tool('tshark', ['-r', join(SAMPLES, 'loss.pcap')])) as string;
    want = packets(await analyze(readTextTrace('t', original)!.traces[0]!));
  });
  const edits: [string, (l: string) => string][] = [
    ['frame numbers cut off', (l) => l.replace(/^\s*\d+\s+/, '')],
    ['old arrows (-> and >)', (l) => l.replace(' → ', ' -> ').replace(/(\d+) → (\d+)/, '$1 > $2')],
    ['no arrow between the addresses (Wireshark packet-list export)', (l) => l.replace(' → ', '    ')],
    ['analysis labels removed', (l) => l.replace(/\[TCP [^\]]*\] /g, '')],
    ['CRLF line ends and trailing blanks', (l) => `${l}   \r`],
  ];
  for (const [what, edit] of edits) {
    it(`${what}: the same analysis`, async () => {
      const input = readTextTrace('t', original.split('\n').map((l) => (l ? edit(l) : l)).join('\n'))!;
      assert.deepEqual(input.bad, []);
      assert.deepEqual(differences(want, packets(await analyze(input.traces[0]!))), []);
    });
  }

  it('a text whose tshark lines show HTTP instead of TCP: counted, not analysed, and the hint given works', async () => {
    const pk = join(FIXTURES, 'capture', 'packet-kinds.pcapng');
    const text = (await tool('tshark', ['-r', pk])) as string;
    const httpLines = text.split('\n').filter((l) => / HTTP \d+ /.test(l)).length;
    assert.ok(httpLines > 0);
    const path = join(TMP, 'http.txt');
    writeFileSync(path, text);
    const r = runCli(['analyze', path, '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const input = JSON.parse(r.stdout.split('\n')[0]!) as Rec;
    assert.equal(input.type, 'input');
    assert.deepEqual(input.notAnalysed, { HTTP: httpLines });
    // tshark 4 prints `TCP 254 HTTP/1.0 200 OK  [TCP segment of a reassembled PDU]` (no ports): rebuilt, not refused.
    assert.deepEqual(input.unparsed, []);
    assert.ok(input.rebuilt.some((w: string) => /2 "\[TCP segment of a reassembled PDU\]" lines/.test(w)));
    assert.ok(input.weaker.some((w: string) => w.includes(`${httpLines} lines decoded by tshark as HTTP`)));
    const hint = (input.advice as string[]).find((a) => a.includes('--disable-protocol'))!;
    const opts = /run tshark with (--disable-protocol \S+(?: --disable-protocol \S+)*)/.exec(hint)![1]!.split(' ');
    const fixed = (await tool('tshark', ['-r', pk, ...opts])) as string;
    assert.equal(fixed.split('\n').filter((l) => / HTTP \d+ /.test(l)).length, 0, 'the hint keeps the TCP fields');
    assert.equal(readTextTrace('t', fixed)!.traces[0]!.stats.app.size, 0);
  });
});

describe('lines that cannot be read', () => {
  const good = readFileSync(join(SAMPLES, 'vbox-seed-tables.txt'), 'utf8').split('\n').filter((l) => / TCP \d+ /.test(l)).slice(0, 19);

  it('some bad among good: a warning naming the line and the reason, the rest analysed, exit 0', () => {
    const lines = [...good];
    lines[4] = lines[4]!.replace('Seq=1 Ack=41', 'Seq=one Ack=41');
    const r = runCli(['analyze', '-', '--format', 'summary'], { input: lines.join('\n') });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^ackscope: warning: -: line 5: Seq=one is not a number$/m);
    assert.match(r.stdout, /18 TCP packets/);
  });

  it('a length no IP packet can carry is refused by its line, never allocated', () => {
    const lines = [...good];
    lines[5] = lines[5]!.replace('Len=69', 'Len=4294967295');
    const r = runCli(['analyze', '-', '--format', 'summary'], { input: lines.join('\n') });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /line 6: Len=4294967295 is more than one IP packet can carry/);
  });

  it('none readable: exit 2 with the first bad line, no stack trace', () => {
    const lines = good.map((l) => l.replace(/Len=\d+/, 'Len=x'));
    const r = runCli(['analyze', '-'], { input: lines.join('\n') });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /ackscope: -: no tshark line could be read \(18 tried; line 1: Len=x is not a number\)/);
    assert.doesNotMatch(r.stderr, /    at /);
  });

  it('a text that is no trace at all: exit 2, saying it is neither a capture nor tshark/tcpdump text', () => {
    const r = runCli(['analyze', join(FIXTURES, 'malformed', 'not-a-capture.txt')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not a pcap or pcapng file, and no line reads as tshark or tcpdump output/);
  });

  it('--input forces the reader: tcpdump-text on tshark lines reads none of them', () => {
    const r = runCli(['analyze', '-', '--input', 'tcpdump-text'], { input: good.join('\n') });
    assert.equal(r.status, 2);
  });

  it('mangled lines never crash the reader or the analysis (fuzz)', async () => {
    const rand = prng(10);
    const sources = [
      good.join('\n'),
      tcpdumpSample,
    ];
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
    const junk = ['', ' ', '[', ']', '→', '->', '>', ':', '.', ',', '=', '99999999999999999999', '-1', 'Seq=', 'Flags [', 'IP6 ', '\u0000', '(', 'length', '4294967296', 'SLE=1', 'SRE=', '[TCP segment of a reassembled PDU]', ' Len=4294967295', ', length 4000000000', ' TCP 99999999999 '];
    for (let n = 0; n < 400; n++) {
      const lines = pick(sources).split('\n');
      for (let m = 0; m < 1 + Math.floor(rand() * 6); m++) {
        const i = Math.floor(rand() * lines.length);
        let l = lines[i]!;
        const at = Math.floor(rand() * (l.length + 1));
        switch (Math.floor(rand() * 5)) {
          case 0: l = l.slice(0, at) + pick(junk) + l.slice(at); break;
          case 1: l = l.slice(0, at) + l.slice(at + 1 + Math.floor(rand() * 8)); break;
          case 2: l = l.slice(0, at); break;
          case 3: l = l.replace(/\d+/, () => String(Math.floor(rand() * 2 ** (rand() * 60)))); break;
          default: lines.splice(i, 0, pick(lines)); break;
        }
        lines[i] = l;
      }
      const input = readTextTrace(`fuzz ${n}`, lines.join('\n'));
      for (const t of input?.traces ?? []) await analyze(t);
    }
  });
});

const tcpdumpSample = `11:15:20.079378 IP6 (flowlabel 0xee19b, hlim 64, next-header TCP (6) payload length: 40) ::1.34832 > ::1.52084: Flags [S], cksum 0x0030 (incorrect -> 0x34ae), seq 1931526449, win 65476, options [mss 65476,sackOK,TS val 3902712065 ecr 0,nop,wscale 10], length 0
11:15:20.079393 IP6 (flowlabel 0x0dc66, hlim 64, next-header TCP (6) payload length: 40) ::1.52084 > ::1.34832: Flags [S.], cksum 0x0030 (incorrect -> 0x35b4), seq 1670076540, ack 1931526450, win 65464, options [mss 65476,sackOK,TS val 2170208658 ecr 3902712065,nop,wscale 10], length 0
16:05:35.483528 IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 60)
    10.77.0.2.5001 > 10.77.0.1.57608: Flags [S.], cksum 0x53a9 (correct), seq 2622729281, ack 972981739, win 65160, options [mss 1460,sackOK,TS val 735774268 ecr 3724923888,nop,wscale 10], length 0
16:05:35.483562 IP 10.77.0.1.57608 > 10.77.0.2.5001: Flags [.], ack 1, win 63, options [nop,nop,TS val 3724923888 ecr 735774268], length 0
16:05:35.483636 IP 10.77.0.1.57608 > 10.77.0.2.5001: Flags [P.], seq 1:3, ack 1, win 63, options [nop,nop,TS val 3724923888 ecr 735774268,nop,nop,sack 1 {5:9}], length 2
15:32:57.454780 IP 127.0.0.1.34577 > 127.0.0.1.9: UDP, length 20
15:32:52.552965 lo    In  IP 127.0.0.1.54338 > 127.0.0.1.5037: Flags [R.], seq 0, ack 900437726, win 0, length 0`;

describe('convert', { skip: !tsharkAvailable() && 'tshark not installed' }, () => {
  it('writes pcapng files that tshark analyses with the flags ackscope gives on the text', async () => {
    const cases: [string, string][] = [
      ['seed', SEED_REPORT],
    ];
    const tdText = (await tool('tcpdump', ['-nn', '-r', join(SAMPLES, 'reorder.pcap')])) as string;
    writeFileSync(join(TMP, 'reorder.tcpdump.txt'), tdText);
    cases.push(['reorder', join(TMP, 'reorder.tcpdump.txt')]);
    for (const [name, path] of cases) {
      const out = join(TMP, `${name}.pcapng`);
      const r = runCli(['convert', path, '-w', out]);
      assert.equal(r.status, 0, r.stderr);
      const input = readTextTrace(path, readFileSync(path, 'utf8'))!;
      const outs = input.traces.length === 1 ? [out] : input.traces.map((_t, i) => join(TMP, `${name}-${i + 1}.pcapng`));
      for (const [i, file] of outs.entries()) {
        const ours = packets(await analyze(input.traces[i]!));
        const theirs = tsharkRows(file).filter((row) => row['tcp.stream'] !== '');
        assert.equal(theirs.length, ours.length, file);
        const diffs: string[] = [];
        theirs.forEach((row, k) => {
          const t = ANALYSIS_FIELDS.filter((f) => (row[`tcp.analysis.${f}`] ?? '') !== '').sort().join(',');
          const a = new Set<string>(ours[k]!.analysis);
          if (a.has('fast_retransmission') || a.has('spurious_retransmission')) a.add('retransmission');
          const o = [...a].sort().join(',');
          if (t !== o) diffs.push(`${file} packet ${k + 1}: tshark ${t}, ackscope ${o}`);
          if (Number(row['tcp.seq']) !== ours[k]!.seq || Number(row['tcp.len']) !== ours[k]!.len) diffs.push(`${file} packet ${k + 1}: seq/len`);
        });
        assert.deepEqual(diffs, []);
      }
    }
  });

  it('has --help and refuses a capture', () => {
    const h = runCli(['convert', '--help']);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /LINKTYPE|link type RAW/);
    const r = runCli(['convert', join(SAMPLES, 'loss.pcap'), '-w', join(TMP, 'x.pcapng')]);
    assert.equal(r.status, 64);
    assert.match(r.stderr, /already a capture/);
  });
});
