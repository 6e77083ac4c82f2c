/**
 * `--fail-on` makes ackscope a check: exit status 3 after the normal output when a connection
 * reaches the verdict; `--quiet` leaves stdout empty. The verdicts come from the JSON output of the
 * same run, so the check and what the user reads cannot disagree.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeJson, runCli } from './helpers/cli.js';
import { convoPcap, HANDSHAKE, type Step } from './helpers/convo.js';
import { SAMPLES } from './helpers/paths.js';

const SAMPLE_FILES = ['clean-half-close', 'loss', 'reorder', 'rst-after-fin', 'vbox-broken', 'vbox-working'].map((s) => join(SAMPLES, `${s}.pcap`));

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ackscope-failon-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, steps: Step[]): string {
  const f = join(dir, name);
  writeFileSync(f, convoPcap(steps));
  return f;
}

describe('--fail-on broken|degraded|any follows the verdicts the output shows', () => {
  for (const file of SAMPLE_FILES) {
    it(file.replace(/.*\//, ''), () => {
      const health = analyzeJson(file).filter((r) => r.type === 'connection').map((r) => r.health as string);
      const want = {
        broken: health.includes('broken'),
        degraded: health.some((h) => h === 'broken' || h === 'degraded'),
        any: health.some((h) => h !== 'ok'),
      };
      for (const [rule, fails] of Object.entries(want)) {
        const r = runCli(['analyze', file, '--quiet', '--fail-on', rule]);
        assert.equal(r.status, fails ? 3 : 0, `--fail-on ${rule}: ${r.stderr}`);
        assert.equal(r.stdout, '', '--quiet prints nothing on stdout');
        if (fails) assert.match(r.stderr, new RegExp(`^ackscope: --fail-on ${rule}: 1 connection in .* \\(first: stream 0\\)\\n$`));
        else assert.equal(r.stderr, '');
      }
    });
  }
});

describe('--fail-on reset: a connection ended by a RST', () => {
  const data: Step[] = [...HANDSHAKE, { from: 'c', flags: ['PSH', 'ACK'], len: 10, t: 0.01 }, { from: 's', flags: ['ACK'], t: 0.011 }];
  it('fails on the VirtualBox seed: the client resets while the server FIN is unacknowledged', () => {
    assert.equal(runCli(['analyze', join(SAMPLES, 'vbox-broken.pcap'), '-q', '--fail-on', 'reset']).status, 3);
  });
  it('fails on a reset after a half-close (only one FIN)', () => {
    assert.equal(runCli(['analyze', join(SAMPLES, 'rst-after-fin.pcap'), '-q', '--fail-on', 'reset']).status, 3);
  });
  it('fails on a reset in the middle of the data', () => {
    const f = write('mid-rst.pcap', [...data, { from: 's', flags: ['RST'], t: 0.02 }]);
    assert.equal(runCli(['analyze', f, '-q', '--fail-on', 'reset']).status, 3);
  });
  it('does not fail on a RST after both FINs were acknowledged (Zeek keeps such a connection SF)', () => {
    const f = write('late-rst.pcap', [
      ...data,
      { from: 'c', flags: ['FIN', 'ACK'], t: 0.02 },
      { from: 's', flags: ['FIN', 'ACK'], t: 0.021 },
      { from: 'c', flags: ['ACK'], t: 0.022 },
      { from: 'c', flags: ['RST'], t: 0.03 },
    ]);
    const conn = analyzeJson(f).find((r) => r.type === 'connection')!;
    assert.equal((conn.client as { rstFrame: number | null }).rstFrame, 9, 'the RST is seen');
    assert.equal(runCli(['analyze', f, '-q', '--fail-on', 'reset']).status, 0);
  });
  it('does not fail on a clean close', () => {
    assert.equal(runCli(['analyze', join(SAMPLES, 'clean-half-close.pcap'), '-q', '--fail-on', 'reset']).status, 0);
  });
});

describe('--fail-on output and precedence', () => {
  it('prints the normal output first, unchanged, then exits 3', () => {
    const file = join(SAMPLES, 'vbox-broken.pcap');
    const plain = runCli(['analyze', file, '--format', 'json']);
    const checked = runCli(['analyze', file, '--format', 'json', '--fail-on', 'broken']);
    assert.equal(checked.status, 3);
    assert.equal(checked.stdout, plain.stdout);
  });
  it('counts only connections that pass the filters', () => {
    const file = join(SAMPLES, 'vbox-broken.pcap');
    assert.equal(runCli(['analyze', file, '-q', '--fail-on', 'any', '--port', '1']).status, 0);
  });
  it('lets a bad capture (exit 2) win over a verdict', () => {
    const good = convoPcap([...HANDSHAKE, { from: 's', flags: ['RST'], t: 0.01 }]);
    const f = join(dir, 'cut.pcap');
    writeFileSync(f, good.subarray(0, good.length - 5));
    const r = runCli(['analyze', f, '-q', '--fail-on', 'any']);
    assert.equal(r.status, 2, r.stderr);
  });
  it('rejects an unknown verdict as a usage error', () => {
    const r = runCli(['analyze', join(SAMPLES, 'loss.pcap'), '--fail-on', 'bad']);
    assert.equal(r.status, 64);
    assert.match(r.stderr, /--fail-on must be broken, degraded, reset, any/);
  });
});
