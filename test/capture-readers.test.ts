import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CaptureError, ExitCode, UserError } from '../src/capture/errors.js';
import { CaptureReader, captureFromBuffer, captureFromStream, openCapture } from '../src/capture/open.js';
import {
  assertMatchesTshark, collect, haveTshark, readTsharkFixture, snapshot, tsharkLive,
  type FrameRecord,
} from './helpers/capture-records.js';
import { fixture, ROOT } from './helpers/paths.js';
import { prng } from './helpers/prng.js';

const DIR = fixture('capture');
const CAPTURES = readdirSync(DIR).filter((f) => f.endsWith('.tshark.tsv')).map((f) => f.slice(0, -'.tshark.tsv'.length)).sort();
const NO_TSHARK = haveTshark() ? false : 'tshark is not on PATH';

/** `bytes` cut into pieces of random sizes in [1, max]. */
function* pieces(bytes: Buffer, max: number, seed: number): Generator<Buffer> {
  const rnd = prng(seed);
  for (let p = 0; p < bytes.length;) {
    const n = 1 + Math.floor(rnd() * max);
    yield bytes.subarray(p, p + n);
    p += n;
  }
}

async function readFile(path: string, chunkSize?: number): Promise<FrameRecord[]> {
  const { frames, error } = await collect(await openCapture(path, chunkSize === undefined ? {} : { chunkSize }));
  if (error !== undefined) throw error;
  return frames;
}

describe('capture files compared with tshark', () => {
  test('the fixture set covers every format variant the readers support', () => {
    for (const name of ['lo-tcpdump.pcap', 'lo-nsec.pcap', 'editcap-nsec.pcap', 'tshark.pcap', 'be-usec.pcap',
      'be-nsec.pcap', 'dumpcap.pcapng', 'editcap-usec.pcapng', 'editcap-nsec.pcapng', 'be-nsec.pcapng',
      'multi-iface.pcapng', 'two-sections.pcapng', 'tsresol-2-30.pcapng', 'tsresol-10-10-offset.pcapng',
      'tsresol-ms.pcapng', 'packet-kinds.pcapng', 'extra-blocks.pcapng', 'lo-tcpdump.pcap.gz', 'dumpcap.pcapng.gz']) {
      assert.ok(CAPTURES.includes(name), `${name} and its tshark description are in ${DIR}`);
    }
  });

  for (const name of CAPTURES) {
    test(`reads ${name} frame by frame as tshark does`, async () => {
      const frames = await readFile(join(DIR, name));
      assertMatchesTshark(frames, readTsharkFixture(join(DIR, `${name}.tshark.tsv`)), name);
    });
  }

  for (const name of CAPTURES) {
    test(`reads ${name} as tshark on this machine does`, { skip: NO_TSHARK }, async () => {
      const path = join(DIR, name);
      assertMatchesTshark(await readFile(path), tsharkLive(path), `${name} (live tshark)`);
    });
  }
});

describe('ways of reading', () => {
  for (const name of CAPTURES) {
    test(`delivers the same frames from ${name} whatever the size of the pieces it arrives in`, async () => {
      const path = join(DIR, name);
      const whole = await readFile(path);
      assert.deepEqual(await readFile(path, 7), whole, 'file read 7 bytes at a time');
      assert.deepEqual(await readFile(path, 4099), whole, 'file read 4099 bytes at a time');
      const bytes = readFileSync(path);
      const small = await collect(captureFromStream(name, Readable.from(pieces(bytes, 64, 7))));
      assert.equal(small.error, undefined);
      assert.deepEqual(small.frames, whole, 'stream of pieces of 1-64 bytes');
      const big = await collect(captureFromStream(name, Readable.from(pieces(bytes, 20000, 11))));
      assert.deepEqual(big.frames, whole, 'stream of pieces of up to 20000 bytes');
      const buffered = await collect(captureFromBuffer(name, bytes));
      assert.deepEqual(buffered.frames, whole, 'one buffer');
    });
  }

  test('reads a capture from a stream the way it reads standard input', async () => {
    const path = join(DIR, 'multi-iface.pcapng');
    const source = captureFromStream('-', createReadStream(path, { highWaterMark: 1000 }));
    const { frames, error } = await collect(source);
    assert.equal(error, undefined);
    assert.deepEqual(frames, await readFile(path));
    assert.equal(source.format, 'pcapng');
    assert.equal(source.compressed, false);
  });

  test('decompresses gzip arriving on a stream, whatever the format inside', async () => {
    for (const name of ['lo-nsec.pcap', 'be-nsec.pcapng', 'two-sections.pcapng']) {
      const path = join(DIR, name);
      const gz = gzipSync(readFileSync(path));
      const source = captureFromStream('-', Readable.from(pieces(gz, 333, 5)));
      const { frames, error } = await collect(source);
      assert.equal(error, undefined, name);
      assert.deepEqual(frames, await readFile(path), name);
      assert.equal(source.compressed, true);
      assert.equal(source.format, name.endsWith('.pcap') ? 'pcap' : 'pcapng');
    }
  });

  test('reads a gzip capture from a named pipe, which cannot seek', { skip: process.platform === 'win32' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ackscope-A-'));
    try {
      const fifo = join(dir, 'pipe.pcapng.gz');
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      const writer = createWriteStream(fifo);
      writer.end(readFileSync(join(DIR, 'dumpcap.pcapng.gz')));
      const { frames, error } = await collect(await openCapture(fifo));
      assert.equal(error, undefined);
      assert.deepEqual(frames, await readFile(join(DIR, 'dumpcap.pcapng')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('tells which format and compression a file had once read', async () => {
    const gz = await openCapture(join(DIR, 'lo-tcpdump.pcap.gz'));
    assert.equal(gz.format, undefined);
    await collect(gz);
    assert.equal(gz.format, 'pcap');
    assert.equal(gz.compressed, true);
    const ng = await openCapture(join(DIR, 'dumpcap.pcapng'));
    await collect(ng);
    assert.equal(ng.format, 'pcapng');
    assert.equal(ng.compressed, false);
  });

  test('the push reader delivers frames synchronously, as each chunk completes them', () => {
    const bytes = readFileSync(join(DIR, 'lo-tcpdump.pcap'));
    const seen: number[] = [];
    const reader = new CaptureReader('push', (p) => seen.push(p.frame));
    reader.push(bytes.subarray(0, 24 + 16 + 74));
    assert.deepEqual(seen, [1], 'the first record is complete after the first chunk');
    reader.push(bytes.subarray(24 + 16 + 74));
    reader.end();
    assert.equal(seen.length, readTsharkFixture(join(DIR, 'lo-tcpdump.pcap.tshark.tsv')).length);
    assert.equal(reader.frames, seen.length);
  });

  test('agrees with pcap-parser on every microsecond pcap fixture', async () => {
    // Resolved from the repository, wherever the compiled test runs from.
    const require = createRequire(join(ROOT, 'package.json'));
    const pcapParser = require('pcap-parser') as {
      parse(path: string): NodeJS.EventEmitter;
    };
    interface ParsedPacket {
      header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
      data: Buffer;
    }
    for (const name of ['lo-tcpdump.pcap', 'lo-snap96.pcap', 'any-sll2.pcap', 'tshark.pcap', 'be-usec.pcap']) {
      const path = join(DIR, name);
      const theirs = await new Promise<ParsedPacket[]>((resolve, reject) => {
        const list: ParsedPacket[] = [];
        const parser = pcapParser.parse(path);
        parser.on('packet', (p: ParsedPacket) => list.push(p));
        parser.on('error', reject);
        parser.on('end', () => resolve(list));
      });
      const ours: FrameRecord[] = [];
      const raw: Buffer[] = [];
      await (await openCapture(path)).run((p) => {
        ours.push(snapshot(p));
        raw.push(Buffer.from(p.data.subarray(p.offset, p.offset + p.caplen)));
      });
      assert.equal(ours.length, theirs.length, `${name}: number of frames`);
      for (let i = 0; i < ours.length; i++) {
        const o = ours[i]!;
        const t = theirs[i]!;
        assert.equal(o.tsSec, t.header.timestampSeconds, `${name} frame ${i + 1}: seconds`);
        assert.equal(o.tsNsec, t.header.timestampMicroseconds * 1000, `${name} frame ${i + 1}: fraction`);
        assert.equal(o.caplen, t.header.capturedLength, `${name} frame ${i + 1}: captured length`);
        assert.equal(o.origlen, t.header.originalLength, `${name} frame ${i + 1}: original length`);
        assert.ok(raw[i]!.equals(t.data), `${name} frame ${i + 1}: bytes`);
      }
    }
  });
});

describe('large blocks the pcapng reader does not interpret', () => {
  /** editcap-usec.pcapng with a 1 MiB block of an unknown type after frame 3. */
  function withBigBlock(trailerDelta = 0): { bytes: Buffer; blockAt: number; blockLen: number } {
    const ng = readFileSync(join(DIR, 'editcap-usec.pcapng'));
    let p = 0;
    let frames = 0;
    while (frames < 3) {
      if (ng.readUInt32LE(p) === 6) frames++;
      p += ng.readUInt32LE(p + 4);
    }
    const blockLen = 1024 * 1024 + 12;
    const block = Buffer.alloc(blockLen, 0x77);
    block.writeUInt32LE(0x00000777, 0);
    block.writeUInt32LE(blockLen, 4);
    block.writeUInt32LE(blockLen + trailerDelta, blockLen - 4);
    return { bytes: Buffer.concat([ng.subarray(0, p), block, ng.subarray(p)]), blockAt: p, blockLen };
  }

  test('streams past a block bigger than any it buffers, checking its trailing length', async () => {
    const { bytes } = withBigBlock();
    const expected = await readFile(join(DIR, 'editcap-usec.pcapng'));
    for (const max of [100, 70000, 3 * 1024 * 1024]) {
      const { frames, error } = await collect(captureFromStream('big', Readable.from(pieces(bytes, max, max))));
      assert.equal(error, undefined);
      assert.deepEqual(frames, expected, `pieces of up to ${max} bytes`);
    }
  });

  test('reads a file with a big unknown block as tshark does', { skip: NO_TSHARK }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ackscope-A-'));
    try {
      const path = join(dir, 'big-block.pcapng');
      writeFileSync(path, withBigBlock().bytes);
      assertMatchesTshark(await readFile(path, 65536), tsharkLive(path), 'big-block.pcapng');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('rejects a big skipped block whose trailing length disagrees', async () => {
    const { bytes, blockAt, blockLen } = withBigBlock(4);
    const { frames, error } = await collect(captureFromStream('big', Readable.from(pieces(bytes, 65536, 3))));
    assert.equal(frames.length, 3);
    assert.ok(error instanceof CaptureError);
    assert.equal(error.offset, blockAt);
    assert.equal(error.frame, 4);
    assert.match(error.message, new RegExp(`block of type 0x00000777 length ${blockLen} disagrees with its trailing copy ${blockLen + 4}`));
  });

  test('rejects a file that ends inside a big skipped block', async () => {
    const { bytes, blockAt, blockLen } = withBigBlock();
    const cut = bytes.subarray(0, blockAt + 5000);
    const { frames, error } = await collect(captureFromStream('cut', Readable.from(pieces(cut, 4096, 1))));
    assert.equal(frames.length, 3);
    assert.ok(error instanceof CaptureError);
    assert.equal(error.message, `cut: offset ${blockAt} (frame 4): file ends inside a block of type 0x00000777: need ${blockLen} bytes, have 5000`);
  });
});

describe('inputs that cannot be read', () => {
  test('reports a missing file as a one-line UserError with the no-input status', async () => {
    const path = join(DIR, 'no-such-file.pcap');
    await assert.rejects(openCapture(path), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.exitCode, ExitCode.NoInput);
      assert.equal(e.message, `cannot open ${path}: no such file or directory`);
      return true;
    });
  });

  test('reports a directory as a UserError', async () => {
    await assert.rejects(openCapture(DIR), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.exitCode, ExitCode.NoInput);
      assert.equal(e.message, `cannot read ${DIR}: is a directory`);
      return true;
    });
  });

  test('reports a path through a regular file as a UserError', async () => {
    const path = join(DIR, 'make.sh', 'x.pcap');
    await assert.rejects(openCapture(path), (e: unknown) => e instanceof UserError && e.exitCode === ExitCode.NoInput
      && !e.message.includes('\n'));
  });

  test('says so when standard input is empty', async () => {
    const { frames, error } = await collect(captureFromStream('-', Readable.from([])));
    assert.equal(frames.length, 0);
    assert.ok(error instanceof CaptureError);
    assert.equal(error.message, '-: offset 0: no data on standard input');
    assert.equal(error.exitCode, ExitCode.BadInput);
  });

  test('reports a read error of the stream as a UserError', async () => {
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
      },
    });
    const { error } = await collect(captureFromStream('-', failing));
    assert.ok(error instanceof UserError);
    assert.equal(error.exitCode, ExitCode.NoInput);
    assert.equal(error.message, 'cannot read standard input: EIO: i/o error, read');
  });

  test('rejects a stream too short to hold a magic number', async () => {
    const { error } = await collect(captureFromStream('-', Readable.from([Buffer.from([0xd4, 0xc3])])));
    assert.ok(error instanceof CaptureError);
    assert.equal(error.message, '-: offset 0: not a pcap or pcapng file (only 2 bytes)');
  });
});
