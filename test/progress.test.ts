/**
 * The progress line: on a terminal (a pseudo-terminal made by util-linux `script`), reading a
 * regular file shows bytes of the size, packets/s, open connections and an ETA on stderr, erased
 * before the closing output; nothing for stdin, for a stderr that is a pipe or file, with
 * --no-progress, or when the trace itself streams to the terminal. The one-second delay is
 * shortened through ACKSCOPE_PROGRESS_AFTER_MS so the line shows on a file a fast machine reads
 * in well under a second; one test keeps the real delay and sees nothing on a small sample.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.js';
import { CLI, SAMPLES } from './helpers/paths.js';

let dir = '';
let big = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ackscope-progress-'));
  // samples/loss.pcap's records repeated to 24 MB: about a hundred input slices.
  const src = readFileSync(join(SAMPLES, 'loss.pcap'));
  const records = src.subarray(24);
  big = join(dir, 'big.pcap');
  writeFileSync(big, Buffer.concat([src.subarray(0, 24), ...new Array<Buffer>(Math.ceil(24e6 / records.length)).fill(records)]));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run `ackscope ARGS` + `redirs` under a pseudo-terminal; what the terminal received. */
function onTerminal(args: string[], redirs: string, env: Record<string, string> = {}): { status: number | null; terminal: string } {
  const cmd = `${sh(process.execPath)} ${sh(CLI)} ${args.map(sh).join(' ')} ${redirs}`;
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ACKSCOPE_PROGRESS_AFTER_MS: '0', ...env },
    timeout: 120_000,
  });
  return { status: r.status, terminal: r.stdout };
}

const PROGRESS = /ackscope: big\.pcap \[[=-]+\] +\d+% \| [\d.]+\/24\.0 MB \| [\d.]+[kM]? pkt\/s \| \d+ open \| ETA /;

describe('progress line on a terminal', () => {
  it('shows bytes of the size, packets/s, open connections and ETA, then is erased before the output', () => {
    const out = join(dir, 'summary.txt');
    const r = onTerminal(['analyze', big, '--format', 'summary'], `> ${sh(out)}`);
    assert.equal(r.status, 0, r.terminal);
    assert.match(r.terminal, PROGRESS);
    // Erased at the end: the last thing on the terminal is "clear line".
    assert.ok(r.terminal.trimEnd().endsWith('\x1b[2K'), JSON.stringify(r.terminal.slice(-40)));
    assert.equal(readFileSync(out, 'utf8'), runCli(['analyze', big, '--format', 'summary']).stdout, 'the output is the same as without a terminal');
  });
  it('shows with --format summary on the same terminal, and the tables follow it', () => {
    const r = onTerminal(['analyze', big, '--format', 'summary'], '');
    assert.match(r.terminal, PROGRESS);
    assert.ok(r.terminal.lastIndexOf('ETA') < r.terminal.indexOf('TCP packets'), 'the tables come after the last progress line');
  });
  it('does not show for a read shorter than a second (the real delay)', () => {
    const r = onTerminal(['analyze', join(SAMPLES, 'loss.pcap'), '--format', 'summary'], '', { ACKSCOPE_PROGRESS_AFTER_MS: '' });
    assert.equal(r.status, 0);
    assert.doesNotMatch(r.terminal, /ETA/);
  });
});

describe('no progress line', () => {
  const none = (args: string[], redirs: string): void => {
    const r = onTerminal(args, redirs);
    assert.equal(r.status, 0, r.terminal);
    assert.doesNotMatch(r.terminal, /ETA|pkt\/s/);
  };
  it('when stderr is a pipe', () => none(['analyze', big, '--format', 'summary'], '2>&1 | cat'));
  it('when stderr is a file', () => {
    const err = join(dir, 'err.txt');
    none(['analyze', big, '--format', 'summary'], `2> ${sh(err)}`);
    assert.equal(readFileSync(err, 'utf8'), '');
  });
  it('for standard input', () => none(['analyze', '-', '--format', 'summary'], `< ${sh(big)}`));
  it('with --no-progress', () => none(['analyze', big, '--format', 'summary', '--no-progress'], ''));
  it('with --quiet', () => none(['analyze', big, '--quiet'], ''));
  it('when the trace streams to the same terminal', () => {
    const small = join(SAMPLES, 'loss.pcap');
    // Control: with the tables only, the same small file does show a line at a zero delay.
    assert.match(onTerminal(['analyze', small, '--format', 'summary'], '').terminal, /loss\.pcap .*ETA/);
    none(['analyze', small], '');
    none(['analyze', small, '--format', 'json'], '');
  });
});
