/**
 * The closing tables of a capture with more connections than analyze prints in full:
 * test/fixtures/many/many-connections.pcap, real loopback traffic recorded by make.sh there
 * (30 clean conversations, 3 resets after a half-close, 2 refused connections, and 3 clean ones
 * from one client port, 4 s apart: port reuse).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeJson, runCli } from './helpers/cli.js';
import { fixture } from './helpers/paths.js';

const FILE = fixture('many', 'many-connections.pcap');

/** Stream number → health, from the JSON connection records (the reference for the tables). */
function healthByStream(): Map<number, string> {
  const m = new Map<number, string>();
  for (const r of analyzeJson(FILE)) if (r.type === 'connection') m.set(r.stream as number, r.health as string);
  return m;
}

function summary(extra: string[] = []): string {
  const r = runCli(['analyze', FILE, '--format', 'summary', ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('tables of a capture with many connections', () => {
  it('lists every connection with a problem, topped up with the first healthy ones to ten rows', () => {
    const health = healthByStream();
    assert.equal(health.size, 38);
    const problems = [...health].filter(([, h]) => h !== 'ok').map(([s]) => s);
    assert.equal(problems.length, 5, 'three resets after a half-close and two refused connections');
    const out = summary();
    const rows = [...out.matchAll(/^│ (\d+) +│ 127\.0\.0\.1:\d+ +│/gm)].map((m) => Number(m[1]));
    assert.equal(rows.length, 10);
    for (const s of problems) assert.ok(rows.includes(s), `stream ${s} (${health.get(s)}) is listed`);
    const okShown = rows.filter((s) => health.get(s) === 'ok');
    // The healthy rows are the first healthy streams, and the rows are in stream order.
    assert.deepEqual(okShown, [...health].filter(([, h]) => h === 'ok').map(([s]) => s).sort((a, b) => a - b).slice(0, 5));
    assert.deepEqual(rows, rows.slice().sort((a, b) => a - b));
    assert.match(out, /… and 28 more connections \(28 ok\)/);
    assert.match(out, /REFUSED: the server answered the SYN with a reset/);
  });

  it('counts verdicts worst first and lists the findings in frame order', () => {
    const out = summary();
    assert.match(out, /│ verdicts +│ degraded: 5, ok: 33 +│/);
    const frames = [...out.matchAll(/^ {2}frame +(\d+) +stream (\d+) +rst_after_fin/gm)].map((m) => Number(m[1]));
    assert.equal(frames.length, 3);
    assert.deepEqual(frames, frames.slice().sort((a, b) => a - b));
  });

  it('prints a full table for every connection with --all-connections', () => {
    const out = summary(['--all-connections']);
    const streams = [...out.matchAll(/^│ stream (\d+) +│/gm)].map((m) => Number(m[1]));
    assert.deepEqual(streams, Array.from({ length: 38 }, (_, i) => i));
    assert.doesNotMatch(out, /more connections/);
  });
});
