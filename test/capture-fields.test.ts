/**
 * Time stamps and lengths from hand-built files: every pcapng time-stamp resolution against exact
 * BigInt arithmetic, and the documented choices on odd classic-pcap records (checked against tshark
 * in the reader's comments, and live here when tshark is on PATH).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CaptureError } from '../src/capture/errors.js';
import { CaptureReader, captureFromBuffer } from '../src/capture/open.js';
import { collect, haveTshark, snapshot, tsharkLive, type FrameRecord } from './helpers/capture-records.js';
import { prng } from './helpers/prng.js';

const NO_TSHARK = haveTshark() ? false : 'tshark is not on PATH';

function rand64(rnd: () => number): bigint {
  return (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
}

/** A one-section pcapng: an IDB with the given if_tsresol/if_tsoffset and one 60-byte EPB per time stamp. */
function pcapngWithStamps(le: boolean, tsresol: number, tsoffset: bigint, stamps: bigint[]): Buffer {
  const parts: Buffer[] = [];
  const block = (type: number, body: Buffer): void => {
    const b = Buffer.alloc(12 + body.length);
    const w = (v: number, at: number) => (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
    w(type, 0);
    w(b.length, 4);
    body.copy(b, 8);
    w(b.length, b.length - 4);
    parts.push(b);
  };
  const shb = Buffer.alloc(16);
  if (le) shb.writeUInt32LE(0x1a2b3c4d, 0); else shb.writeUInt32BE(0x1a2b3c4d, 0);
  if (le) shb.writeUInt16LE(1, 4); else shb.writeUInt16BE(1, 4);
  shb.fill(0xff, 8, 16);
  block(0x0a0d0d0a, shb);
  const idb = Buffer.alloc(8 + 8 + 12 + 4);
  if (le) { idb.writeUInt16LE(1, 0); idb.writeUInt32LE(0, 4); } else { idb.writeUInt16BE(1, 0); idb.writeUInt32BE(0, 4); }
  let o = 8;
  const opt = (code: number, len: number) => {
    if (le) { idb.writeUInt16LE(code, o); idb.writeUInt16LE(len, o + 2); } else { idb.writeUInt16BE(code, o); idb.writeUInt16BE(len, o + 2); }
    o += 4;
  };
  opt(9, 1);
  idb[o] = tsresol;
  o += 4;
  opt(14, 8);
  if (le) idb.writeBigInt64LE(tsoffset, o); else idb.writeBigInt64BE(tsoffset, o);
  block(1, idb);
  for (const ts of stamps) {
    const epb = Buffer.alloc(20 + 60);
    const w = (v: number, at: number) => (le ? epb.writeUInt32LE(v, at) : epb.writeUInt32BE(v, at));
    w(0, 0);
    w(Number(ts >> 32n), 4);
    w(Number(ts & 0xffffffffn), 8);
    w(60, 12);
    w(60, 16);
    block(6, epb);
  }
  return Buffer.concat(parts);
}

function readAll(bytes: Buffer): { frames: FrameRecord[]; error: unknown } {
  const frames: FrameRecord[] = [];
  const reader = new CaptureReader('built', (p) => frames.push(snapshot(p)));
  try {
    reader.push(bytes);
    reader.end();
    return { frames, error: undefined };
  } catch (e) {
    return { frames, error: e };
  }
}

const LIMIT = 2n ** 52n;

describe('pcapng time stamps', () => {
  const resolutions: number[] = [];
  for (let e = 0; e <= 19; e++) resolutions.push(e);
  for (let e = 0; e <= 63; e++) resolutions.push(0x80 | e);

  for (const tsresol of resolutions) {
    const name = tsresol & 0x80 ? `2^-${tsresol & 0x7f}` : `10^-${tsresol}`;
    test(`converts time stamps in units of ${name} s exactly, whatever the offset`, () => {
      const rnd = prng(tsresol + 1);
      const div = tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
      for (const [le, tsoffset] of [[true, 0n], [false, -1_700_000_000n], [true, BigInt(Math.floor(rnd() * 2 ** 40))]] as const) {
        const stamps: bigint[] = [];
        // Around "now", if representable: consecutive stamps sharing a high word, one crossing it.
        const now = 1_795_534_372n * div + (div * 552_965_996n) / 1_000_000_000n;
        if (now < 2n ** 64n) {
          for (const d of [0n, 1n, div / 3n, div - 1n, div, 2n ** 32n - 1n, 2n ** 32n, 5n * 2n ** 32n + 7n]) {
            if (now + d < 2n ** 64n) stamps.push(now + d);
          }
        }
        for (let i = 0; i < 40; i++) {
          const hi = Math.floor(rnd() * 2 ** 32);
          const base = i % 2 === 0 ? rand64(rnd) : BigInt(hi) << 32n;
          stamps.push(base);
          stamps.push(base | 0xffffffffn);
        }
        const inRange = stamps.filter((u) => {
          const sec = u / div + tsoffset;
          return sec <= LIMIT && sec >= -LIMIT;
        });
        const { frames, error } = readAll(pcapngWithStamps(le, tsresol, tsoffset, inRange));
        assert.equal(error, undefined);
        assert.equal(frames.length, inRange.length);
        inRange.forEach((u, i) => {
          const f = frames[i]!;
          const sec = u / div + tsoffset;
          const ns = ((u % div) * 1_000_000_000n) / div;
          assert.equal(f.tsSec, Number(sec), `${name} stamp ${u} offset ${tsoffset}: seconds`);
          assert.equal(f.tsNsec, Number(ns), `${name} stamp ${u} offset ${tsoffset}: nanoseconds`);
        });
      }
    });
  }

  test('rejects a time stamp whose seconds do not fit a double exactly', () => {
    const bytes = pcapngWithStamps(true, 0, 0n, [1_700_000_000n, 2n ** 60n]);
    const { frames, error } = readAll(bytes);
    assert.equal(frames.length, 1);
    assert.ok(error instanceof CaptureError);
    assert.equal(error.frame, 2);
    assert.match(error.reason, /time stamp of 1152921504606846976 s is out of range/);
  });

  test('rejects a time-stamp resolution finer than 64-bit counters can hold', () => {
    for (const [tsresol, text] of [[20, '0x14 \\(10\\^-20 s\\)'], [0x80 | 64, '0xc0 \\(2\\^-64 s\\)']] as const) {
      const { error } = readAll(pcapngWithStamps(true, tsresol, 0n, [1n]));
      assert.ok(error instanceof CaptureError);
      assert.match(error.reason, new RegExp(`unsupported if_tsresol ${text}`));
    }
  });

  test('agrees with tshark on a power-of-two and a 10^-10 resolution with an offset', { skip: NO_TSHARK }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ackscope-A-'));
    try {
      const rnd = prng(99);
      for (const [tsresol, off] of [[0x80 | 20, 0n], [0x80 | 24, 12345n], [10, -1000n], [12, 0n]] as const) {
        const div = tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
        // tshark multiplies the fraction by 10^9 in 64 bits, so keep fraction * 10^9 below 2^64.
        if (div * 1_000_000_000n >= 2n ** 64n) continue;
        const stamps = Array.from({ length: 20 }, () => 1_795_534_372n * div + BigInt(Math.floor(rnd() * 2 ** 40)));
        const path = join(dir, `r${tsresol}.pcapng`);
        const bytes = pcapngWithStamps(tsresol === 10, tsresol, off, stamps);
        writeFileSync(path, bytes);
        const ours = await collect(captureFromBuffer(path, bytes));
        assert.equal(ours.error, undefined);
        const theirs = tsharkLive(path);
        assert.equal(ours.frames.length, theirs.length);
        ours.frames.forEach((f, i) => {
          const t = theirs[i]!.timeEpoch;
          assert.equal(`${f.tsSec}.${String(f.tsNsec).padStart(9, '0')}`, t.includes('.') ? t.padEnd(t.indexOf('.') + 10, '0') : `${t}.000000000`);
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A little-endian classic pcap (µs, Ethernet, snaplen 262144) with the given record headers and zero bytes. */
function pcapWith(records: { sec: number; frac: number; incl: number; orig: number }[], magic = 0xa1b2c3d4): Buffer {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  h.writeUInt32LE(magic, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262144, 16);
  h.writeUInt32LE(1, 20);
  parts.push(h);
  for (const r of records) {
    const b = Buffer.alloc(16 + r.incl, 0x42);
    b.writeUInt32LE(r.sec, 0);
    b.writeUInt32LE(r.frac, 4);
    b.writeUInt32LE(r.incl, 8);
    b.writeUInt32LE(r.orig, 12);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

describe('odd classic pcap records', () => {
  test('carries a fraction of one second or more into the seconds', () => {
    const { frames } = readAll(pcapWith([{ sec: 1_700_000_000, frac: 2_500_001, incl: 60, orig: 60 }]));
    assert.equal(frames[0]!.tsSec, 1_700_000_002);
    assert.equal(frames[0]!.tsNsec, 500_001_000);
    const ns = readAll(pcapWith([{ sec: 10, frac: 4_294_967_295, incl: 60, orig: 60 }], 0xa1b23c4d));
    assert.equal(ns.frames[0]!.tsSec, 14);
    assert.equal(ns.frames[0]!.tsNsec, 294_967_295);
  });

  test('keeps every captured byte of a record longer than its original length, raising the length', async (t) => {
    const bytes = pcapWith([{ sec: 1, frac: 0, incl: 74, orig: 40 }, { sec: 2, frac: 0, incl: 60, orig: 60 }]);
    const { frames } = readAll(bytes);
    assert.equal(frames[0]!.caplen, 74);
    assert.equal(frames[0]!.origlen, 74);
    if (NO_TSHARK) return t.skip('tshark is not on PATH');
    const dir = mkdtempSync(join(tmpdir(), 'ackscope-A-'));
    try {
      const path = join(dir, 'incl-over-orig.pcap');
      writeFileSync(path, bytes);
      const theirs = tsharkLive(path);
      assert.equal(theirs[0]!.capLen, frames[0]!.caplen, 'tshark keeps every captured byte too');
      assert.equal(theirs[0]!.md5, frames[0]!.md5);
      assert.equal(theirs[0]!.len, 40, 'tshark reports the smaller original length');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return undefined;
  });

  test('takes the link type from the low 16 bits, ignoring the FCS bits above', () => {
    const bytes = pcapWith([{ sec: 1, frac: 0, incl: 60, orig: 60 }]);
    bytes.writeUInt32LE(0x14000000 | 113, 20);
    assert.equal(readAll(bytes).frames[0]!.linktype, 113);
  });

  test('accepts records of any length when the snapshot length is 0', () => {
    const bytes = pcapWith([{ sec: 1, frac: 0, incl: 70000, orig: 70000 }]);
    bytes.writeUInt32LE(0, 16);
    assert.equal(readAll(bytes).frames[0]!.caplen, 70000);
  });
});
