/**
 * `--format ladder` and `--explain`: pinned by golden files for every sample (Unicode, ASCII, and the
 * text trace with its story), and checked for what a person sees: one arrow per packet, marks on
 * the right arrow, 80 columns, no colour codes off a terminal, compressed gaps, sentences that
 * follow the capture rather than a script. `UPDATE_GOLDEN=1 npm test` regenerates the goldens.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openCapture } from '../src/capture/open.js';
import { runPipeline, type AnalyzeOptions } from '../src/cli/analyze.js';
import { explainStory } from '../src/render/explain.js';
import { GAP_SECONDS, LADDER_WIDTH, ladderLines } from '../src/render/ladder.js';
import { PLAIN_STYLE } from '../src/render/style.js';
import { TraceSink } from '../src/render/trace.js';
import { StoryRecorder, DEFAULT_RECORDER } from '../src/render/recorder.js';
import { analyzeJson, runCli } from './helpers/cli.js';
import { FIXTURES, SAMPLES } from './helpers/paths.js';

const GOLDEN = join(SAMPLES, 'golden');
const update = process.env.UPDATE_GOLDEN === '1';
const samples = readdirSync(SAMPLES).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
const base = (f: string): string => f.replace(/\.pcap(ng)?$/, '');

const KINDS = [
  ['ladder.txt', ['--format', 'ladder', '--explain']],
  ['ladder-ascii.txt', ['--format', 'ladder', '--explain', '--ascii']],
  ['explain.txt', ['--format', 'text', '--explain']],
] as const;

/** Output of every sample in every kind, run once and shared by the tests below. */
const outputs = new Map<string, string>();
function output(f: string, kind: (typeof KINDS)[number][0]): string {
  const key = `${f} ${kind}`;
  let s = outputs.get(key);
  if (s === undefined) {
    const r = runCli(['analyze', join(SAMPLES, f), ...KINDS.find((k) => k[0] === kind)![1]]);
    assert.equal(r.status, 0, r.stderr);
    s = r.stdout;
    outputs.set(key, s);
  }
  return s;
}

const ARROW = /[│|](─ .*▶|- .*>|◀.* ─|<.* -)[│|]/;
const ANSI = /\x1b\[/;

describe('ladder and story of every sample are unchanged (golden files)', () => {
  if (update) mkdirSync(GOLDEN, { recursive: true });
  for (const f of samples) {
    for (const [kind] of KINDS) {
      it(`${f} (${kind})`, () => {
        const out = output(f, kind);
        const file = join(GOLDEN, `${base(f)}.${kind}`);
        if (update) writeFileSync(file, out);
        assert.ok(existsSync(file), `no golden file ${file}: run UPDATE_GOLDEN=1 npm test`);
        assert.equal(out, readFileSync(file, 'utf8'));
      });
    }
  }
});

describe('what the ladder shows', () => {
  it('vbox-broken: one arrow per packet (19), frame 11 marked ACKed unseen and ack_unsent before the next arrow', () => {
    const lines = output('vbox-broken.pcap', 'ladder.txt').split('\n');
    const arrows = lines.filter((l) => ARROW.test(l));
    assert.equal(arrows.length, 19);
    const i11 = lines.findIndex((l) => /^\s*11 /.test(l) && ARROW.test(l));
    assert.ok(i11 > 0, 'frame 11 has an arrow');
    assert.match(lines[i11]!, /─ ACK seq=42 ack=76 len=0 ─+▶/, 'client to server, its numbers on it');
    const next = lines.findIndex((l, i) => i > i11 && ARROW.test(l));
    // The marks between frame 11's arrow and the next, read as text (wrapped lines joined).
    const marks = lines.slice(i11 + 1, next).join(' ').replace(/[│\s]+/g, ' ');
    assert.match(marks, /\[TCP ACKed unseen segment\]/);
    assert.match(marks, /◆ ack_unsent: Ack=76 acks 1 byte never sent; rejected \(frame 12\)/);
    // Every frame's arrow in order, the server's pointing left.
    assert.deepEqual(arrows.map((l) => Number(/^\s*(\d+) /.exec(l)![1])), Array.from({ length: 19 }, (_, i) => i + 1));
    assert.match(arrows[1]!, /◀─+ SYN,ACK seq=0 ack=1 len=0 ─│ SYN-RECEIVED$/);
  });

  it('shows each side’s RFC 9293 state where it changes, in its own margin', () => {
    const lines = output('vbox-broken.pcap', 'ladder.txt').split('\n');
    const row = (frame: number): string => lines.find((l) => new RegExp(`^\\s*${frame} `).test(l))!;
    assert.match(row(8), /FIN-WAIT-1 │.*│ CLOSE-WAIT$/);
    assert.match(row(9), /FIN-WAIT-2 │/);
    assert.match(row(18), /TIME-WAIT │.*│ LAST-ACK$/);
    assert.match(row(19), /CLOSED │─ RST .*│ CLOSED$/);
    assert.doesNotMatch(row(10), /[A-Z]-[A-Z]|ESTABLISHED/, 'no state where nothing changed');
  });

  it('every line of every ladder and story fits 80 columns', () => {
    for (const f of samples) {
      for (const [kind] of KINDS.filter(([k]) => k !== 'explain.txt')) {
        for (const l of output(f, kind).split('\n')) assert.ok([...l].length <= LADDER_WIDTH, `${f} ${kind}: ${[...l].length} columns: ${l}`);
      }
      // The text trace's own lines are tshark-wide; its story is not.
      const story = output(f, 'explain.txt').split('\nWhat happened on stream ')[1] ?? '';
      for (const l of story.split('\n')) assert.ok([...l].length <= 80, `${f} story: ${l}`);
    }
  });

  it('--ascii draws with plain ASCII only', () => {
    for (const f of samples) {
      const out = output(f, 'ladder-ascii.txt');
      assert.ok(/^[\x00-\x7f]*$/.test(out), `${f}: non-ASCII in ${[...out].filter((c) => c.charCodeAt(0) > 127).slice(0, 5).join('')}`);
    }
    assert.equal(output('vbox-broken.pcap', 'ladder-ascii.txt').split('\n').filter((l) => ARROW.test(l)).length, 19);
  });

  it('no colour codes when not a terminal or with NO_COLOR; colour with --color', () => {
    const file = join(SAMPLES, 'vbox-broken.pcap');
    const args = ['analyze', file, '--format', 'ladder', '--explain'];
    const pipe = runCli(args, { env: { NO_COLOR: '', FORCE_COLOR: '0' } });
    assert.equal(pipe.status, 0);
    assert.doesNotMatch(pipe.stdout, ANSI, 'stdout is a pipe: no colour');
    assert.doesNotMatch(runCli(args).stdout, ANSI, 'NO_COLOR');
    assert.doesNotMatch(runCli([...args, '--color'], { env: { NO_COLOR: '1' } }).stdout, ANSI, 'NO_COLOR wins over --color');
    const forced = runCli([...args, '--color'], { env: { NO_COLOR: '' } }).stdout;
    assert.match(forced, ANSI);
    // Colour changes nothing else.
    assert.equal(forced.replace(/\x1b\[[0-9;]*m/g, ''), pipe.stdout);
  });

  it('compresses exactly the quiet gaps longer than the threshold, saying how long they were', () => {
    for (const f of ['vbox-broken.pcap', 'simultaneous-close.pcap', 'clean-half-close.pcap']) {
      const times = analyzeJson(join(SAMPLES, f)).filter((r) => r.type === 'packet').map((r) => r.time as number);
      const gaps = times.slice(1).map((t, i) => t - times[i]!).filter((g) => g > GAP_SECONDS);
      const rows = output(f, 'ladder.txt').split('\n').filter((l) => /┆ .*quiet.* ┆/.test(l));
      assert.equal(rows.length, gaps.length, f);
      rows.forEach((r, i) => assert.match(r, new RegExp(`${gaps[i]!.toFixed(3)} s quiet`)));
    }
    assert.ok(output('vbox-broken.pcap', 'ladder.txt').includes('0.799 s quiet'), 'the 0.8 s retransmission wait is shown');
  });

  it('draws every connection when there are few, the worst five when there are many, and says so', () => {
    const many = join(FIXTURES, 'many', 'many-connections.pcap');
    const all = runCli(['analyze', many, '--format', 'ladder']);
    assert.equal(all.status, 0, all.stderr);
    const m = /ladders of the 5 worst of (\d+) connections/.exec(all.stdout);
    assert.ok(m && Number(m[1]) > 5, all.stdout.slice(0, 200));
    assert.equal(all.stdout.match(/^stream \d+: /gm)!.length, 5);
    const one = runCli(['analyze', many, '--format', 'ladder', '--stream', '3']);
    assert.deepEqual(one.stdout.match(/^stream \d+: /gm), ['stream 3: ']);
    assert.doesNotMatch(one.stdout, /worst/);
  });

  it('--explain does not go with json', () => {
    const r = runCli(['analyze', join(SAMPLES, 'vbox-broken.pcap'), '--format', 'json', '--explain']);
    assert.equal(r.status, 64);
    assert.match(r.stderr, /--explain goes with/);
  });
});

const PLAIN: AnalyzeOptions = { format: 'text', color: false, states: true, anomaliesOnly: false, allConnections: false };

/** The story sentences of one sample, through the public function the HTML report uses too. */
async function story(f: string): Promise<string[]> {
  const rec = new StoryRecorder(DEFAULT_RECORDER);
  await runPipeline(await openCapture(join(SAMPLES, f)), PLAIN, [rec]);
  assert.equal(rec.stories.length, 1);
  return explainStory(rec.stories[0]!);
}

describe('sinks share the packet records', () => {
  it('a recorder after the text trace writes the same lines, SACK edges included (the options record is not rewritten)', async () => {
    const printed: string[] = [];
    const trace = new TraceSink((x) => printed.push(...x.split('\n')), PLAIN_STYLE, { states: false, horizon: 3 });
    const rec = new StoryRecorder(DEFAULT_RECORDER);
    await runPipeline(await openCapture(join(SAMPLES, 'loss.pcap')), PLAIN, [trace, rec]);
    const lines = rec.stories[0]!.packets.map((p) => p.line);
    const withSack = lines.filter((l) => l.includes(' SLE='));
    assert.ok(withSack.length > 10);
    for (const l of withSack) assert.ok(printed.includes(l), `not in the trace: ${l}`);
    // Relative edges: small numbers, as tshark shows them, not raw sequence numbers.
    for (const l of withSack) for (const m of l.matchAll(/S[LR]E=(\d+)/g)) assert.ok(Number(m[1]) < 300_000, l);
  });
});

describe('a long connection keeps its beginning and its end', () => {
  it('the recorder keeps the first N and the last M packets and says where the rest were left out; the ladder and the story say so', async () => {
    const rec = new StoryRecorder({ ...DEFAULT_RECORDER, maxPacketsPerConnection: 30, tail: 12, lines: false });
    await runPipeline(await openCapture(join(SAMPLES, 'loss.pcap')), PLAIN, [rec]);
    const s = rec.stories[0]!;
    const frames = analyzeJson(join(SAMPLES, 'loss.pcap')).filter((r) => r.type === 'packet').map((r) => r.frame as number);
    assert.equal(s.packets.length, 42);
    assert.equal(s.gapAt, 30);
    assert.equal(s.dropped, frames.length - 42);
    assert.deepEqual(s.packets.map((p) => p.frame), [...frames.slice(0, 30), ...frames.slice(-12)]);
    const lines = ladderLines(s, PLAIN_STYLE, { ascii: false });
    const at = lines.findIndex((l) => l.includes('not drawn'));
    assert.match(lines[at]!, new RegExp(`${s.dropped} packets \\(frames ${frames[30]}–${frames[frames.length - 13]}\\) not drawn`));
    assert.match(lines[at - 1]!, new RegExp(`^\\s*${frames[29]} `));
    assert.match(lines[at + 1]!, new RegExp(`^\\s*${frames[frames.length - 12]} `));
    const told = explainStory(s).join('\n');
    assert.match(told, /leaves out the middle of a long connection/);
    assert.match(told, /the server sent FIN/, 'the close, from the tail, is still told');
  });
});

describe('the story follows the capture', () => {
  it('explainStory numbers its sentences 1, 2, 3 …', async () => {
    const s = await story('vbox-broken.pcap');
    s.forEach((x, i) => assert.ok(x.startsWith(`${i + 1}. `), x));
  });

  it('vbox-broken: client half-closes, ACK beyond the data, rejected, retransmitted with backoff, reset, 5 bytes lost', async () => {
    const s = (await story('vbox-broken.pcap')).join('\n');
    assert.match(s, /the client sent FIN \(frame 8\)/);
    assert.match(s, /client \(FIN-WAIT-1\) can no longer send but can still receive; the server \(CLOSE-WAIT\) can still send/);
    assert.match(s, /Ack=76\), but the server had sent only up to 75/);
    assert.match(s, /§3\.10\.7\.4/);
    assert.match(s, /retransmitted the data it covered \(frames 12, 14 and 16\), its retransmission timer doubling/);
    assert.match(s, /same wrong Ack=76 \(frames 13, 15 and 17/);
    assert.match(s, /client reset the connection \(RST, frame 19\)/);
    assert.match(s, /5 bytes the server had sent were never acknowledged/);
    assert.match(s, /§3\.6\.1/);
    // Told in the order it happened: the bad ACK before the server's FIN, the FIN before the reset.
    const at = (re: RegExp): number => s.search(re);
    assert.ok(at(/Ack=76\), but/) < at(/server closed its side too/) && at(/server closed its side too/) < at(/reset the connection/));
  });

  it('vbox-working: the same half-close, no bad ACK and no reset in the story', async () => {
    const s = (await story('vbox-working.pcap')).join('\n');
    assert.match(s, /the client sent FIN/);
    assert.match(s, /received and acknowledged all of them/);
    assert.doesNotMatch(s, /§3\.10\.7\.4 says that an ACK of something not yet sent|reset the connection/);
    assert.match(s, /TIME-WAIT for 2 MSL/);
  });

  it('server-half-close: the server closes first and the client keeps sending', async () => {
    const s = (await story('server-half-close.pcap')).join('\n');
    assert.match(s, /the server sent FIN \(frame 8\)/);
    assert.match(s, /the server \(FIN-WAIT-1\) can no longer send but can still receive; the client \(CLOSE-WAIT\) can still send/);
    assert.match(s, /the client went on sending: 21 more bytes \(new data in frames 10, 12 and 14\)/);
    assert.match(s, /the client closed its side too/);
  });

  it('simultaneous-close: the FINs cross, both sides end in TIME-WAIT', async () => {
    const s = (await story('simultaneous-close.pcap')).join('\n');
    assert.match(s, /simultaneous close/);
    assert.match(s, /§3\.6, the third case/);
    assert.match(s, /the client is in TIME-WAIT and the server in TIME-WAIT/);
    assert.doesNotMatch(s, /half-closed \(RFC/);
  });

  it('refused: a RST answers the SYN; reset generation §3.5.2', async () => {
    const s = await story('refused.pcap');
    assert.match(s[0]!, /answered with a RST \(frame 2\): nothing was listening on port 5999/);
    assert.match(s.join('\n'), /§3\.5\.2/);
    assert.doesNotMatch(s.join('\n'), /sent FIN|half-closed/);
  });

  it('data-after-fin (hand-built): bytes after the FIN, ignored by the receiver', async () => {
    const s = (await story('data-after-fin.pcap')).join('\n');
    assert.match(s, /At frame 8 the client sent 5 bytes after its own FIN \(frame 6\)/);
    assert.match(s, /ACKs stayed at 12: it ignored them/);
  });

  it('a capture that begins mid-connection (vbox-broken without its first 4 frames): no handshake is invented', async () => {
    // Cut the classic pcap after its 24-byte header and 4 records (16-byte header + caplen each).
    const b = readFileSync(join(SAMPLES, 'vbox-broken.pcap'));
    let off = 24;
    for (let i = 0; i < 4; i++) off += 16 + b.readUInt32LE(off + 8);
    const dir = mkdtempSync(join(tmpdir(), 'ackscope-mid-'));
    try {
      const file = join(dir, 'mid.pcap');
      writeFileSync(file, Buffer.concat([b.subarray(0, 24), b.subarray(off)]));
      const r = runCli(['analyze', file, '--format', 'ladder', '--explain']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /1\. The capture begins after the connection was opened \(no SYN seen\)/);
      assert.doesNotMatch(r.stdout, /three-way handshake/);
      assert.equal(r.stdout.split('\n').filter((l) => ARROW.test(l)).length, 15);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loss: the missing and reordered data, fast retransmit, no half-close trouble', async () => {
    const s = (await story('loss.pcap')).join('\n');
    assert.match(s, /Data went missing or was reordered/);
    assert.match(s, /RFC 5681 §3\.2/);
    assert.match(s, /the server sent FIN/);
    assert.doesNotMatch(s, /reset the connection/);
  });
});
