import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CaptureError, ExitCode } from '../src/capture/errors.js';
import { CaptureReader, openCapture } from '../src/capture/open.js';
import { collect, haveTshark, snapshot, tsharkFrameCount, type FrameRecord } from './helpers/capture-records.js';
import { fixture } from './helpers/paths.js';

interface Case {
  file: string;
  source: string;
  offset: number | null;
  frame: number | null;
  delivered: number | null;
  reason: string;
  tshark: boolean;
}

const DIR = fixture('malformed');
const CASES = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Case[];
const NO_TSHARK = haveTshark() ? false : 'tshark is not on PATH';

const sourceFrames = new Map<string, FrameRecord[]>();
async function framesOf(source: string): Promise<FrameRecord[]> {
  let frames = sourceFrames.get(source);
  if (frames === undefined) {
    const r = await collect(await openCapture(fixture('capture', source)));
    assert.equal(r.error, undefined);
    frames = r.frames;
    sourceFrames.set(source, frames);
  }
  return frames;
}

function checkError(c: Case, path: string, error: unknown, frames: FrameRecord[], expected: FrameRecord[]): void {
  assert.ok(error instanceof CaptureError, `${c.file}: rejects with a CaptureError (got ${String(error)})`);
  assert.equal(error.exitCode, ExitCode.BadInput);
  assert.ok(!error.message.includes('\n'), `${c.file}: the message is one line`);
  assert.ok(error.message.startsWith(`${path}: offset ${error.offset}`), `${c.file}: the message names file and offset`);
  if (error.frame > 0) assert.ok(error.message.includes(`(frame ${error.frame})`), `${c.file}: the message names the frame`);
  assert.match(error.reason, new RegExp(c.reason), `${c.file}: reason`);
  if (c.offset !== null) assert.equal(error.offset, c.offset, `${c.file}: offset`);
  if (c.frame !== null) assert.equal(error.frame, c.frame, `${c.file}: frame`);
  if (c.delivered !== null) assert.equal(frames.length, c.delivered, `${c.file}: frames delivered before the error`);
  assert.equal(error.frame === 0 ? 0 : error.frame - 1, frames.length, `${c.file}: the frame named is the one after the last delivered`);
  assert.deepEqual(frames, expected.slice(0, frames.length), `${c.file}: the frames delivered are the first frames of ${c.source}`);
}

describe('malformed captures', () => {
  test('there is one malformed fixture per kind of bad input', () => {
    const names = CASES.map((c) => c.file);
    for (const kind of ['not-a-capture', 'empty', 'short-file-header', 'short-shb', 'truncated-record-header',
      'truncated-record-data', 'record-over-256k', 'length-mismatch', 'length-below-minimum',
      'garbage-in-middle', 'caplen-past-block', 'unknown-interface', 'truncated-block', 'truncated.pcap.gz']) {
      assert.ok(names.some((n) => n.startsWith(kind)), kind);
    }
  });

  for (const c of CASES) {
    test(`rejects ${c.file} where it goes wrong, after delivering every frame before`, { timeout: 10_000 }, async () => {
      const path = join(DIR, c.file);
      const { frames, error } = await collect(await openCapture(path));
      checkError(c, path, error, frames, await framesOf(c.source));
    });
  }

  for (const c of CASES.filter((k) => !k.file.endsWith('.gz'))) {
    test(`rejects ${c.file} the same way when it arrives a few bytes at a time`, async () => {
      const expected = await framesOf(c.source);
      const bytes = readFileSync(join(DIR, c.file));
      const frames: FrameRecord[] = [];
      const reader = new CaptureReader(c.file, (p) => frames.push(snapshot(p)));
      let error: unknown;
      try {
        for (let p = 0; p < bytes.length; p += 5) reader.push(bytes.subarray(p, p + 5));
        reader.end();
      } catch (e) {
        error = e;
      }
      checkError(c, c.file, error, frames, expected);
    });
  }

  for (const c of CASES.filter((k) => k.tshark)) {
    test(`stops reading ${c.file} after the same frames as tshark`, { skip: NO_TSHARK }, () => {
      assert.equal(tsharkFrameCount(join(DIR, c.file)), c.delivered);
    });
  }
});
