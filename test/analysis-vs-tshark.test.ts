/**
 * The tshark-compatible flags, stream numbers, relative numbers and scaled windows of every packet
 * equal tshark 4.0's: against the expectations stored beside each sample always, and against the
 * installed tshark live on every capture in samples/ and test/fixtures/ when it is on PATH.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeJson } from './helpers/cli.js';
import { FIXTURES, SAMPLES } from './helpers/paths.js';
import { ANALYSIS_FIELDS, parseTsv, tsharkAvailable, tsharkRows } from './helpers/tshark.js';

type Row = Record<string, string>;

/**
 * Where ackscope deliberately differs from tshark 4.0.17, per file and frame, with the reason.
 * Empty: no known difference on our captures.
 */
const DELIBERATE: Record<string, Record<number, string>> = {};

function captures(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'malformed') out.push(...captures(p));
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** What tshark's fields say, normalised to our naming: fast/spurious also set tshark's retransmission field. */
function theirFlags(row: Row): string[] {
  return ANALYSIS_FIELDS.filter((f) => (row[`tcp.analysis.${f}`] ?? '') !== '').sort();
}
function ourFlagsAsTshark(rec: Record<string, unknown>): string[] {
  const a = new Set(rec.analysis as string[]);
  if (a.has('fast_retransmission') || a.has('spurious_retransmission')) a.add('retransmission');
  return [...a].sort();
}

function compare(file: string, rows: Row[]): void {
  const ours = new Map<number, Record<string, unknown>>();
  for (const r of analyzeJson(file)) if (r.type === 'packet') ours.set(r.frame as number, r);
  const diffs: string[] = [];
  const skip = DELIBERATE[file.split('/').pop()!] ?? {};
  let checked = 0;
  for (const row of rows) {
    if ((row['tcp.stream'] ?? '') === '') continue; // not a TCP frame for tshark
    const frame = Number(row['frame.number']);
    if (skip[frame]) continue;
    const rec = ours.get(frame);
    if (!rec) {
      diffs.push(`frame ${frame}: tshark sees TCP, ackscope does not`);
      continue;
    }
    checked++;
    const want = {
      stream: Number(row['tcp.stream']),
      seq: Number(row['tcp.seq']),
      len: Number(row['tcp.len']),
      flags: theirFlags(row).join(','),
      dup: row['tcp.analysis.duplicate_ack_num'] ? `${row['tcp.analysis.duplicate_ack_frame']}#${row['tcp.analysis.duplicate_ack_num']}` : '',
    };
    const got = {
      stream: rec.stream,
      seq: rec.seq,
      len: rec.len,
      flags: ourFlagsAsTshark(rec).join(','),
      dup: rec.dupAckNum ? `${String(rec.dupAckFrame)}#${String(rec.dupAckNum)}` : '',
    };
    for (const k of Object.keys(want) as (keyof typeof want)[]) {
      if (want[k] !== got[k]) diffs.push(`frame ${frame} ${k}: tshark ${JSON.stringify(want[k])}, ackscope ${JSON.stringify(got[k])}`);
    }
    if (row['tcp.ack'] && (rec.flags as string[]).includes('ACK') && Number(row['tcp.ack']) !== rec.ack) {
      diffs.push(`frame ${frame} ack: tshark ${row['tcp.ack']}, ackscope ${String(rec.ack)}`);
    }
    if (row['tcp.window_size'] && Number(row['tcp.window_size']) !== rec.winScaled) {
      diffs.push(`frame ${frame} window: tshark ${row['tcp.window_size']}, ackscope ${String(rec.winScaled)}`);
    }
  }
  assert.ok(checked > 0 || rows.every((r) => !r['tcp.stream']), `${file}: no TCP packet compared`);
  assert.deepEqual(diffs.slice(0, 20), [], `${file}: ${diffs.length} differences from tshark`);
}

describe('analysis flags equal the stored tshark 4.0.17 expectations', () => {
  const stored = captures(SAMPLES).filter((f) => existsSync(f.replace(/\.(pcap|pcapng)(\.gz)?$/, '.tshark.tsv')));
  it('has stored expectations to compare with', () => assert.ok(stored.length >= 3, `only ${stored.length} samples with .tshark.tsv`));
  for (const file of stored) {
    it(`matches tshark on every packet of ${file.split('/').pop()}`, () => {
      const tsv = readFileSync(file.replace(/\.(pcap|pcapng)(\.gz)?$/, '.tshark.tsv'), 'utf8');
      compare(file, parseTsv(tsv));
    });
  }
});

describe('analysis flags equal the installed tshark, live', { skip: !tsharkAvailable() && 'tshark is not installed' }, () => {
  for (const file of [...captures(SAMPLES), ...captures(FIXTURES)]) {
    it(`matches tshark live on ${file.slice(file.indexOf('/test/') >= 0 ? file.indexOf('/test/') + 1 : file.indexOf('/samples/') + 1)}`, () => {
      compare(file, tsharkRows(file));
    });
  }
});
