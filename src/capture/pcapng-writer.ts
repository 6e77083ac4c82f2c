/**
 * Writes pcapng (one section, one interface per link type, microsecond time stamps: the live
 * clock is no finer, and µs since the epoch fit a double exactly) through a file
 * descriptor. Blocks are written whole and flushed at least every 64 KiB or 100 ms of packets, so
 * the file on disk is a valid capture after every flush, and after an interrupt `close()` makes it
 * complete.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { CapturedPacket } from './packet.js';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const FLUSH_BYTES = 64 * 1024;

export class PcapngWriter {
  private chunks: Buffer[] = [];
  private pending = 0;
  private readonly ifaces = new Map<number, number>();
  private lastFlush = Date.now();
  private closed = false;
  packets = 0;

  private constructor(private readonly fd: number, readonly path: string) {
    this.push(shb());
    this.flush();
  }

  static open(path: string): PcapngWriter {
    return new PcapngWriter(openSync(path, 'w'), path);
  }

  write(p: CapturedPacket): void {
    if (this.closed) return;
    let id = this.ifaces.get(p.linktype);
    if (id === undefined) {
      id = this.ifaces.size;
      this.ifaces.set(p.linktype, id);
      this.push(idb(p.linktype));
    }
    const pad = (4 - (p.caplen % 4)) % 4;
    const total = 32 + p.caplen + pad;
    const b = Buffer.alloc(total);
    b.writeUInt32LE(EPB, 0);
    b.writeUInt32LE(total, 4);
    b.writeUInt32LE(id, 8);
    // Microseconds since the epoch as a 64-bit count (the default if_tsresol, 10^-6).
    const us = p.tsSec * 1e6 + Math.floor(p.tsNsec / 1000);
    b.writeUInt32LE(Math.floor(us / 4294967296), 12);
    b.writeUInt32LE(us % 4294967296, 16);
    b.writeUInt32LE(p.caplen, 20);
    b.writeUInt32LE(Math.max(p.origlen, p.caplen), 24);
    p.data.copy(b, 28, p.offset, p.offset + p.caplen);
    b.writeUInt32LE(total, total - 4);
    this.push(b);
    this.packets++;
    if (this.pending >= FLUSH_BYTES || Date.now() - this.lastFlush > 100) this.flush();
  }

  flush(): void {
    if (this.pending === 0) return;
    const all = Buffer.concat(this.chunks);
    for (let off = 0; off < all.length; ) off += writeSync(this.fd, all, off);
    this.chunks = [];
    this.pending = 0;
    this.lastFlush = Date.now();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.pending += b.length;
  }
}

function shb(): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32LE(SHB, 0);
  b.writeUInt32LE(28, 4);
  b.writeUInt32LE(0x1a2b3c4d, 8);
  b.writeUInt16LE(1, 12);
  b.writeUInt16LE(0, 14);
  b.writeBigInt64LE(-1n, 16); // section length unknown
  b.writeUInt32LE(28, 24);
  return b;
}

function idb(linktype: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(IDB, 0);
  b.writeUInt32LE(20, 4);
  b.writeUInt16LE(linktype, 8);
  b.writeUInt16LE(0, 10);
  b.writeUInt32LE(262144, 12);
  b.writeUInt32LE(20, 16);
  return b;
}
