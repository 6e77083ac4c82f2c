/**
 * Test helpers for the capture readers: run a source and keep a plain copy of every frame, read
 * tshark's description of a capture (stored fixture or live), compare the two.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CapturedPacket, PacketSource } from '../../src/capture/packet.js';

export interface FrameRecord {
  frame: number;
  caplen: number;
  origlen: number;
  tsSec: number;
  tsNsec: number;
  interfaceId: number;
  linktype: number;
  /** MD5 of the captured bytes, hex. */
  md5: string;
}

export function snapshot(p: CapturedPacket): FrameRecord {
  assert.ok(p.offset >= 0 && p.offset + p.caplen <= p.data.length, `frame ${p.frame} points outside its buffer`);
  return {
    frame: p.frame,
    caplen: p.caplen,
    origlen: p.origlen,
    tsSec: p.tsSec,
    tsNsec: p.tsNsec,
    interfaceId: p.interfaceId,
    linktype: p.linktype,
    md5: createHash('md5').update(p.data.subarray(p.offset, p.offset + p.caplen)).digest('hex'),
  };
}

export interface Collected {
  frames: FrameRecord[];
  /** What `run` rejected with, if it did. */
  error: unknown;
}

/** Runs `source` to the end, keeping a copy of every frame and the error, if any. */
export async function collect(source: PacketSource): Promise<Collected> {
  const frames: FrameRecord[] = [];
  let error: unknown;
  try {
    await source.run((p) => {
      frames.push(snapshot(p));
    });
  } catch (e) {
    error = e;
  }
  return { frames, error };
}

/** One line of `tshark -T fields` output, as make.sh writes it. Empty fields are ''. */
export interface TsharkRow {
  number: number;
  capLen: number;
  len: number;
  timeEpoch: string;
  interfaceId: string;
  encapType: string;
  md5: string;
}

export const TSHARK_FIELDS = ['frame.number', 'frame.cap_len', 'frame.len', 'frame.time_epoch',
  'frame.interface_id', 'frame.encap_type', 'frame.md5_hash'];

export function parseTsharkFields(text: string): TsharkRow[] {
  const rows: TsharkRow[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('frame.number')) continue;
    const [number, capLen, len, timeEpoch, interfaceId, encapType, md5] = line.split('\t');
    rows.push({
      number: Number(number),
      capLen: Number(capLen),
      len: Number(len),
      timeEpoch: timeEpoch ?? '',
      interfaceId: interfaceId ?? '',
      encapType: encapType ?? '',
      md5: md5 ?? '',
    });
  }
  return rows;
}

export function readTsharkFixture(path: string): TsharkRow[] {
  return parseTsharkFields(readFileSync(path, 'utf8'));
}

let tsharkPresent: boolean | undefined;
export function haveTshark(): boolean {
  tsharkPresent ??= spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
  return tsharkPresent;
}

/** tshark's description of `path` right now (same fields as the stored fixtures). */
export function tsharkLive(path: string): TsharkRow[] {
  const args = ['-r', path, '-o', 'frame.generate_md5_hash:TRUE', '-T', 'fields'];
  for (const f of TSHARK_FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return parseTsharkFields(r.stdout);
}

/** Number of frames tshark prints for `path` before it stops (at the end or at an error). */
export function tsharkFrameCount(path: string): number {
  const r = spawnSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l !== '').length;
}

/**
 * Wireshark encapsulation numbers (frame.encap_type) of the link types in the fixtures, and the
 * LINKTYPE_* value each is stored as (Wireshark's wiretap/pcap-common.c table).
 */
export const WTAP_ENCAP_TO_LINKTYPE: Record<string, number> = {
  '1': 1, // Ethernet
  '25': 113, // Linux cooked capture (SLL)
  '210': 276, // Linux cooked capture v2 (SLL2)
};

/** tshark's epoch time "S.F" as (seconds, nanoseconds); an empty field (no time stamp) is 0. */
export function epochParts(text: string): [number, number] {
  if (text === '') return [0, 0];
  const [s, f = ''] = text.split('.');
  return [Number(s), Number(f.padEnd(9, '0').slice(0, 9))];
}

/**
 * Asserts that `frames` are the packets tshark lists in `rows`, field by field. Rows that are not
 * packets (tshark numbers custom blocks as frames; they have no encapsulation) must be absent from
 * `frames` while the numbering keeps counting them.
 */
export function assertMatchesTshark(frames: FrameRecord[], rows: TsharkRow[], what: string): void {
  const packets = rows.filter((r) => r.encapType !== '');
  assert.ok(packets.length > 0, `${what}: tshark lists no packet`);
  assert.equal(frames.length, packets.length, `${what}: number of frames`);
  for (let i = 0; i < packets.length; i++) {
    const r = packets[i]!;
    const f = frames[i]!;
    const at = `${what} frame ${r.number}`;
    assert.equal(f.frame, r.number, `${at}: frame number`);
    assert.equal(f.caplen, r.capLen, `${at}: captured length`);
    assert.equal(f.origlen, r.len, `${at}: length on the wire`);
    const [sec, nsec] = epochParts(r.timeEpoch);
    assert.equal(f.tsSec, sec, `${at}: seconds (tshark ${r.timeEpoch})`);
    assert.equal(f.tsNsec, nsec, `${at}: nanoseconds (tshark ${r.timeEpoch})`);
    assert.equal(f.interfaceId, r.interfaceId === '' ? 0 : Number(r.interfaceId), `${at}: interface id`);
    const linktype = WTAP_ENCAP_TO_LINKTYPE[r.encapType];
    assert.ok(linktype !== undefined, `${at}: encapsulation ${r.encapType} missing from the test's table`);
    assert.equal(f.linktype, linktype, `${at}: link type`);
    assert.equal(f.md5, r.md5, `${at}: frame bytes (MD5)`);
  }
}
