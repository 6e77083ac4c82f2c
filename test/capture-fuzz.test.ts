/**
 * Damaged real captures: cut anywhere or with bytes changed, the readers must end, either cleanly or
 * with a one-line CaptureError, and must never deliver a frame that is not whole and sane.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { CaptureError } from '../src/capture/errors.js';
import { CaptureReader, captureFromBuffer } from '../src/capture/open.js';
import type { CapturedPacket } from '../src/capture/packet.js';
import { collect } from './helpers/capture-records.js';
import { fixture } from './helpers/paths.js';
import { prng } from './helpers/prng.js';

/**
 * Offsets at which a capture may end cleanly (end of the file header and of every record or block),
 * and for each frame-carrying unit the offset where it ends, by a walk independent of the readers.
 */
function layout(b: Buffer): { boundaries: Set<number>; frameEnds: number[] } {
  const boundaries = new Set<number>();
  const frameEnds: number[] = [];
  const magicBE = b.readUInt32BE(0);
  if (magicBE === 0x0a0d0d0a) {
    let p = 0;
    let le = true;
    while (p < b.length) {
      if (b.readUInt32BE(p) === 0x0a0d0d0a) le = b.readUInt32LE(p + 8) === 0x1a2b3c4d;
      const type = le ? b.readUInt32LE(p) : b.readUInt32BE(p);
      const len = le ? b.readUInt32LE(p + 4) : b.readUInt32BE(p + 4);
      p += len;
      if (type === 2 || type === 3 || type === 6) frameEnds.push(p);
      boundaries.add(p);
    }
  } else {
    const le = magicBE === 0xd4c3b2a1 || magicBE === 0x4d3cb2a1;
    let p = 24;
    boundaries.add(p);
    while (p < b.length) {
      p += 16 + (le ? b.readUInt32LE(p + 8) : b.readUInt32BE(p + 8));
      frameEnds.push(p);
      boundaries.add(p);
    }
  }
  return { boundaries, frameEnds };
}

/** Checks what a frame promises to consumers, whatever the input. */
function checkFrame(p: CapturedPacket, last: number): void {
  assert.ok(p.frame > last, 'frame numbers increase');
  assert.ok(p.offset >= 0 && p.offset + p.caplen <= p.data.length, 'the frame lies inside its buffer');
  assert.ok(p.caplen <= 262144, 'at most 256 KiB captured');
  assert.ok(p.origlen >= p.caplen, 'origlen >= caplen');
  assert.ok(Number.isSafeInteger(p.tsSec), 'whole seconds');
  assert.ok(Number.isInteger(p.tsNsec) && p.tsNsec >= 0 && p.tsNsec < 1e9, 'nanoseconds within the second');
}

/** Reads `bytes` pushed in pieces of random sizes; returns frames delivered and what was thrown. */
function readPieces(bytes: Buffer, rnd: () => number, maxPiece: number): { frames: number; error: unknown } {
  let frames = 0;
  let last = 0;
  const reader = new CaptureReader('fuzz', (p) => {
    checkFrame(p, last);
    last = p.frame;
    frames++;
  });
  try {
    for (let p = 0; p < bytes.length;) {
      const n = 1 + Math.floor(rnd() * maxPiece);
      reader.push(bytes.subarray(p, p + n));
      p += n;
    }
    reader.end();
    return { frames, error: undefined };
  } catch (e) {
    return { frames, error: e };
  }
}

function assertCaptureError(e: unknown, what: string): asserts e is CaptureError {
  if (!(e instanceof CaptureError)) throw new assert.AssertionError({ message: `${what}: threw ${String(e)}`, actual: e });
  assert.ok(!e.message.includes('\n'), `${what}: one-line message`);
  assert.ok(e.message.startsWith('fuzz: offset '), `${what}: message names file and offset`);
}

const FILES = ['lo-tcpdump.pcap', 'lo-snap96.pcap', 'be-nsec.pcap', 'dumpcap.pcapng', 'multi-iface.pcapng',
  'two-sections.pcapng', 'packet-kinds.pcapng', 'extra-blocks.pcapng'];

describe('damaged captures', () => {
  for (const name of FILES) {
    test(`${name} cut anywhere delivers exactly the frames before the cut, then ends`, { timeout: 60_000 }, () => {
      const bytes = readFileSync(fixture('capture', name));
      const { boundaries, frameEnds } = layout(bytes);
      const rnd = prng(name.length * 7919);
      const cuts = new Set<number>();
      for (let c = 0; c < 160 && c <= bytes.length; c++) cuts.add(c);
      for (const e of frameEnds.slice(0, 30)) for (const d of [-1, 0, 1]) cuts.add(e + d);
      for (let i = 0; i < 200; i++) cuts.add(Math.floor(rnd() * bytes.length));
      for (const cut of cuts) {
        if (cut < 0 || cut > bytes.length) continue;
        const what = `${name} cut at ${cut}`;
        const { frames, error } = readPieces(bytes.subarray(0, cut), rnd, 1 + Math.floor(rnd() * 3000));
        assert.equal(frames, frameEnds.filter((e) => e <= cut).length, `${what}: frames delivered`);
        if (boundaries.has(cut)) assert.equal(error, undefined, `${what}: a cut between records is a clean end`);
        else assertCaptureError(error, what);
      }
    });
  }

  test('real captures with bytes changed at random only ever end cleanly or with a CaptureError', { timeout: 120_000 }, () => {
    const sources = FILES.map((f) => readFileSync(fixture('capture', f)));
    const rnd = prng(20240601);
    const interesting = [0, 1, 4, 8, 12, 16, 28, 32, 0x7fffffff, 0x80000000, 0xffffffff, 0x0a0d0d0a, 0x1a2b3c4d, 0x4d3c2b1a];
    let errors = 0;
    for (let i = 0; i < 20000; i++) {
      const src = sources[i % sources.length]!;
      const b = Buffer.from(src.subarray(0, Math.min(src.length, 2000 + Math.floor(rnd() * 6000))));
      const edits = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(rnd() * b.length);
        const kind = rnd();
        if (kind < 0.4) b[at] = Math.floor(rnd() * 256);
        else if (at + 4 <= b.length) {
          const v = kind < 0.8 ? interesting[Math.floor(rnd() * interesting.length)]! : Math.floor(rnd() * 2 ** 32);
          if (rnd() < 0.5) b.writeUInt32LE(v, at); else b.writeUInt32BE(v, at);
        }
      }
      const { error } = readPieces(b, rnd, 1 + Math.floor(rnd() * 4000));
      if (error !== undefined) {
        assertCaptureError(error, `mutation ${i}`);
        errors++;
      }
    }
    assert.ok(errors > 1000, `most mutations are caught (${errors} of 20000)`);
  });

  test('random bytes behind a valid magic end with a CaptureError', { timeout: 60_000 }, () => {
    const rnd = prng(7);
    const heads = [
      readFileSync(fixture('capture', 'lo-tcpdump.pcap')).subarray(0, 24),
      readFileSync(fixture('capture', 'be-nsec.pcap')).subarray(0, 24),
      readFileSync(fixture('capture', 'dumpcap.pcapng')).subarray(0, 12),
      readFileSync(fixture('capture', 'be-nsec.pcapng')).subarray(0, 12),
    ];
    for (let i = 0; i < 2000; i++) {
      const tail = Buffer.alloc(Math.floor(rnd() * 3000));
      for (let k = 0; k < tail.length; k++) tail[k] = Math.floor(rnd() * 256);
      const { error } = readPieces(Buffer.concat([heads[i % heads.length]!, tail]), rnd, 500);
      if (error !== undefined) assertCaptureError(error, `random tail ${i}`);
    }
  });

  test('a gzip stream with bytes changed fails with a CaptureError, never anything else', { timeout: 60_000 }, async () => {
    const gz = readFileSync(fixture('capture', 'lo-tcpdump.pcap.gz'));
    const rnd = prng(3);
    for (let i = 0; i < 100; i++) {
      const b = Buffer.from(gz);
      const at = 10 + Math.floor(rnd() * (b.length - 10));
      b[at] = (b[at]! + 1 + Math.floor(rnd() * 255)) & 0xff;
      const { error } = await collect(captureFromBuffer('fuzz', b));
      if (error !== undefined) assertCaptureError(error, `gzip byte ${at} changed`);
    }
  });
});
