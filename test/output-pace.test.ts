/**
 * Output pacing: a capture source waits while the consumer's output is backed up and stops when
 * its reader is gone, so memory stays bounded by a slice of input however slow (or absent) the
 * reader of stdout is.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureFromStream, openCapture, PACE_SLICE } from '../src/capture/open.js';
import { CLI, SAMPLES } from './helpers/paths.js';

/** A classic pcap of the records of samples/loss.pcap repeated until it holds at least `bytes`. */
function bigPcap(bytes: number): Buffer {
  const src = readFileSync(join(SAMPLES, 'loss.pcap'));
  const head = src.subarray(0, 24);
  const records = src.subarray(24);
  const copies = Math.ceil(bytes / records.length);
  return Buffer.concat([head, ...new Array<Buffer>(copies).fill(records)]);
}

let dir = '';
let big = '';
let bigBytes: Buffer;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ackscope-pace-'));
  bigBytes = bigPcap(24 * 1024 * 1024);
  big = join(dir, 'big.pcap');
  writeFileSync(big, bigBytes);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function countFrames(pace?: () => Promise<void> | 'stop' | undefined): Promise<number> {
  let n = 0;
  await (await openCapture(big)).run(() => void n++, pace);
  return n;
}

describe('a capture source paced by its consumer', () => {
  it('delivers the same frames in slices, asking pace between them, as in whole chunks', async () => {
    let asked = 0;
    const whole = await countFrames();
    const sliced = await countFrames(() => void asked++);
    assert.equal(sliced, whole);
    assert.ok(asked >= bigBytes.length / PACE_SLICE - 1, `pace asked ${asked} times for ${bigBytes.length} bytes`);
  });

  it("stops reading, without an error, when pace says 'stop'", async () => {
    let frames = 0;
    let pulled = 0;
    const chunks = async function* (): AsyncGenerator<Buffer> {
      for (let o = 0; o < bigBytes.length; o += 1 << 20) {
        pulled++;
        yield bigBytes.subarray(o, o + (1 << 20));
      }
    };
    await captureFromStream('big', chunks()).run(() => void frames++, () => (frames > 100 ? 'stop' : undefined));
    assert.ok(frames > 100);
    assert.ok(pulled <= 2, `${pulled} chunks pulled after the consumer said stop`);
  });

  it('reads nothing more while the promise pace returned is pending', async () => {
    let frames = 0;
    let release: () => void = () => {};
    let waits = 0;
    const run = (await openCapture(big)).run(
      () => void frames++,
      () => {
        if (waits++ > 0) return undefined;
        return new Promise<void>((r) => (release = r));
      },
    );
    await new Promise((r) => setTimeout(r, 200));
    const during = frames;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(frames, during, 'frames delivered while paused');
    release();
    await run;
    assert.ok(frames > during, 'reading went on once released');
  });
});

describe('ackscope analyze writing to a pipe', () => {
  it('ends at once and quietly, status 0, when the reader of its output goes away (| head)', async () => {
    const child = spawn(process.execPath, [CLI, 'analyze', big, '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    let first = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        first += c.toString();
        if (first.includes('\n')) {
          child.stdout.destroy();
          resolve();
        }
      });
    });
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0, err);
    assert.equal(err, '');
    assert.match(first, /^\{"v":1,"type":"packet","frame":1,/);
  });

  it('keeps its heap small while the reader is slow: JSON many times the heap limit goes through', async () => {
    // Without pacing the whole JSON (about 4x the 24 MB capture) piled up in memory and a 40 MB
    // heap ran out; with it, only a slice's worth waits for the pipe.
    const child = spawn(process.execPath, ['--max-old-space-size=40', CLI, 'analyze', big, '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    let bytes = 0;
    let lines = 0;
    child.stdout.on('data', (c: Buffer) => {
      bytes += c.length;
      for (const b of c) if (b === 10) lines++;
      // A slow reader: pause a little after every megabyte.
      if (bytes % (1 << 20) < c.length) {
        child.stdout.pause();
        setTimeout(() => child.stdout.resume(), 20);
      }
    });
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0, err.slice(0, 500));
    assert.ok(bytes > 80 * 1024 * 1024, `only ${bytes} bytes of JSON`);
    assert.ok(lines > 100_000, `${lines} lines`);
  });
});
