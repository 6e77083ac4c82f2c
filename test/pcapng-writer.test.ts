/**
 * The pcapng writer: captures made here rewritten and read back by tshark and by our reader,
 * exact nanosecond time stamps, flushing that leaves a complete file after every write to disk,
 * and the errors it reports. (Writing from a live capture is in live.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCode, UserError } from '../src/capture/errors.js';
import { openCapture } from '../src/capture/open.js';
import { newCapturedPacket, type CapturedPacket } from '../src/capture/packet.js';
import { PcapngWriter, writeNanoseconds } from '../src/capture/pcapng-writer.js';
import { assertMatchesTshark, collect, haveTshark, snapshot, tsharkLive, type FrameRecord } from './helpers/capture-records.js';
import { fixture } from './helpers/paths.js';

const NO_TSHARK = haveTshark() ? false : 'tshark is not on PATH';
const dir = mkdtempSync(join(tmpdir(), 'ackscope-pcapng-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const scratch = (): string => join(dir, `w${++n}.pcapng`);

/** Frames on disk right now, as our reader sees them; a reader error fails the test. */
async function onDisk(path: string): Promise<FrameRecord[]> {
  const { frames, error } = await collect(await openCapture(path));
  assert.equal(error, undefined, `${path}: ${String(error)}`);
  return frames;
}

/** tshark's packet count for `path`, asserting it read the file without complaint. */
function tsharkCount(path: string): number {
  const r = spawnSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /cut short|damaged|corrupt|error/i);
  return r.stdout.split('\n').filter((l) => l !== '').length;
}

/** A synthetic Ethernet frame of `size` bytes whose bytes depend on `seed`. */
function packet(frame: number, size: number, seed: number, tsSec = 1_700_000_000 + frame, tsNsec = (frame * 7_919_113) % 1e9): CapturedPacket {
  const p = newCapturedPacket();
  p.frame = frame;
  p.data = Buffer.alloc(size + 3);
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i * 31 + seed) & 0xff;
  p.offset = 3; // not at the start of its buffer, as in the readers' shared chunks
  p.caplen = size;
  p.origlen = size + 10;
  p.tsSec = tsSec;
  p.tsNsec = tsNsec;
  p.linktype = 1;
  return p;
}

describe('PcapngWriter', () => {
  for (const name of ['lo-nsec.pcap', 'lo-snap96.pcap', 'any-sll2.pcap', 'be-usec.pcap', 'multi-iface.pcapng', 'extra-blocks.pcapng']) {
    it(`rewrites ${name} so that tshark and our reader see the same frames, bytes and nanoseconds`, async () => {
      const out = scratch();
      const writer = PcapngWriter.open(out);
      const expected: FrameRecord[] = [];
      // Interfaces are renumbered in order of first use, one per (interface, link type).
      const ids = new Map<string, number>();
      const { error } = await collect({
        name,
        run: async (sink) =>
          (await openCapture(fixture('capture', name))).run((p) => {
            writer.write(p);
            const key = `${p.interfaceId}/${p.linktype}`;
            if (!ids.has(key)) ids.set(key, ids.size);
            expected.push({ ...snapshot(p), frame: expected.length + 1, interfaceId: ids.get(key)! });
            sink(p);
          }),
      });
      writer.close();
      assert.equal(error, undefined);
      assert.ok(expected.length > 0);
      assert.deepEqual(await onDisk(out), expected);
      if (!NO_TSHARK) assertMatchesTshark(expected, tsharkLive(out), `${name} rewritten`);
    });
  }

  it('writes the 64-bit nanosecond count exactly, as BigInt arithmetic does', () => {
    const b = Buffer.alloc(8);
    const cases: [number, number][] = [[0, 0], [0, 999_999_999], [1, 0], [65535, 999_999_999], [65536, 0], [4_294_967_295, 999_999_999], [1_700_000_000, 123_456_789]];
    let x = 12345;
    for (let i = 0; i < 2000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const sec = x;
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      cases.push([sec, x % 1_000_000_000]);
    }
    for (const [sec, nsec] of cases) {
      writeNanoseconds(b, 0, sec, nsec);
      const got = (BigInt(b.readUInt32LE(0)) << 32n) | BigInt(b.readUInt32LE(4));
      assert.equal(got, BigInt(sec) * 1_000_000_000n + BigInt(nsec), `${sec} s ${nsec} ns`);
    }
  });

  it('describes the interface as capinfos reads it: nanosecond resolution, snaplen, name, application', { skip: spawnSync('capinfos', ['-h']).status !== 0 && 'capinfos not installed' }, () => {
    const out = scratch();
    const w = PcapngWriter.open(out, { snaplen: 1500, ifName: 'veth-x' });
    w.write(packet(1, 60, 1));
    w.close();
    const r = spawnSync('capinfos', [out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /File type:\s+Wireshark\/\.\.\. - pcapng/);
    assert.match(r.stdout, /Capture application:\s+ackscope/);
    assert.match(r.stdout, /Name = veth-x/);
    assert.match(r.stdout, /Capture length = 1500/);
    assert.match(r.stdout, /Time precision = nanoseconds \(9\)/);
    assert.match(r.stdout, /Number of packets:\s+1\b/);
  });

  it('copies the bytes at write(): changing the packet buffer afterwards changes nothing on disk', async () => {
    const out = scratch();
    const w = PcapngWriter.open(out);
    const p = packet(1, 100, 5);
    const before = Buffer.from(p.data.subarray(p.offset, p.offset + p.caplen));
    w.write(p);
    p.data.fill(0xee);
    w.close();
    const back = await onDisk(out);
    assert.equal(back.length, 1);
    assert.equal(back[0]!.md5, snapshot({ ...p, data: Buffer.concat([Buffer.alloc(3), before]) }).md5);
  });

  it('leaves a complete capture on disk after every flush, and only the section header before the first', async () => {
    const out = scratch();
    const w = PcapngWriter.open(out, { flushPackets: 1, flushMs: 60_000 });
    assert.deepEqual(await onDisk(out), []);
    if (!NO_TSHARK) assert.equal(tsharkCount(out), 0);
    for (let i = 1; i <= 12; i++) {
      w.write(packet(i, 40 + i * 37, i)); // odd sizes: every padding length
      const frames = await onDisk(out);
      assert.equal(frames.length, i);
      if (!NO_TSHARK && i % 4 === 0) assert.equal(tsharkCount(out), i);
    }
    w.close();
  });

  it('flushes at 64 pending packets, at 64 KiB pending, 200 ms after a lone packet, and on close', async () => {
    const byCount = scratch();
    const a = PcapngWriter.open(byCount);
    for (let i = 1; i <= 63; i++) a.write(packet(i, 60, i));
    assert.equal((await onDisk(byCount)).length, 0, '63 packets stay in memory');
    a.write(packet(64, 60, 64));
    assert.equal((await onDisk(byCount)).length, 64);
    a.write(packet(65, 60, 65));
    a.close();
    assert.equal((await onDisk(byCount)).length, 65, 'close writes the rest');

    const byBytes = scratch();
    const b = PcapngWriter.open(byBytes);
    for (let i = 1; i <= 3; i++) b.write(packet(i, 20_000, i));
    assert.equal((await onDisk(byBytes)).length, 0, '60 kB stay in memory');
    b.write(packet(4, 20_000, 4));
    assert.equal((await onDisk(byBytes)).length, 4);
    b.close();

    const byTime = scratch();
    const c = PcapngWriter.open(byTime);
    c.write(packet(1, 60, 1));
    assert.equal((await onDisk(byTime)).length, 0);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await onDisk(byTime)).length, 1, 'the timer wrote it');
    c.close();
  });

  it('writes a frame larger than its buffer whole', async () => {
    const out = scratch();
    const w = PcapngWriter.open(out, { flushBytes: 1024 });
    w.write(packet(1, 100, 1));
    w.write(packet(2, 262_144, 2));
    w.write(packet(3, 100, 3));
    w.close();
    const frames = await onDisk(out);
    assert.deepEqual(frames.map((f) => f.caplen), [100, 262_144, 100]);
    if (!NO_TSHARK) assert.equal(tsharkCount(out), 3);
  });

  it('rejects time stamps, link types and lengths pcapng cannot hold, and writes after close', () => {
    const w = PcapngWriter.open(scratch());
    const bad: Partial<CapturedPacket>[] = [{ tsSec: -1 }, { tsSec: 2 ** 32 }, { tsNsec: 1e9 }, { tsNsec: 0.5 }, { linktype: -1 }, { linktype: 65536 }, { caplen: 1000 }];
    for (const change of bad) assert.throws(() => w.write({ ...packet(1, 60, 1), ...change }), RangeError, JSON.stringify(change));
    w.close();
    w.close();
    assert.throws(() => w.write(packet(1, 60, 1)), /write after close/);
  });

  it('names the path and the reason when the file cannot be created', () => {
    const path = join(dir, 'no-such-dir', 'x.pcapng');
    assert.throws(() => PcapngWriter.open(path), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.exitCode, ExitCode.NoInput);
      assert.ok(e.message.startsWith(`cannot create ${path}: `), e.message);
      assert.match(e.message, /no such file or directory/i);
      return true;
    });
  });
});
