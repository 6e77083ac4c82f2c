/**
 * Writes a pcapng file: one Section Header Block, one Interface Description Block per
 * (interface id, link type) met (if_tsresol 9: nanosecond time stamps; the given snaplen), and an
 * Enhanced Packet Block per packet, little-endian.
 *
 * Blocks are assembled whole in one reused buffer and written to the file descriptor with
 * writeSync when 64 KiB or 64 packets are pending, 200 ms after the first pending packet (an
 * unref'd timer, so a trickle of packets reaches the disk too), and on close. A flush writes only
 * whole blocks, so after every flush the file is a complete capture: interrupting the program
 * (Ctrl-C with close() in the handler, or even a kill) leaves a file tshark reads to the end.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ExitCode, UserError } from './errors.js';
import type { CapturedPacket } from './packet.js';

const SHB_TYPE = 0x0a0d0d0a;
const IDB_TYPE = 0x00000001;
const EPB_TYPE = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;
/** libpcap's largest snaplen; the IDB default. */
const DEFAULT_SNAPLEN = 262144;
const TWO32 = 4294967296;

export interface PcapngWriterOptions {
  /** Snapshot length written in the IDBs (default 262144; 0 would mean "no limit"). */
  snaplen?: number | undefined;
  /** if_name option of the IDBs (the capture interface), if known. */
  ifName?: string | undefined;
  /** Flush when this many bytes are pending (default 64 KiB). */
  flushBytes?: number | undefined;
  /** Flush when this many packets are pending (default 64). */
  flushPackets?: number | undefined;
  /** Flush pending packets at most this many ms after the first of them (default 200). */
  flushMs?: number | undefined;
}

export class PcapngWriter {
  private buf: Buffer;
  private used = 0;
  private pendingPackets = 0;
  /** A flush from the timer failed: thrown by the next write or close. */
  private failure: unknown = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly idbs = new Map<number, number>();
  private closed = false;
  private written = 0;
  private readonly snaplen: number;
  private readonly ifName: string | undefined;
  private readonly flushBytes: number;
  private readonly flushPackets: number;
  private readonly flushMs: number;

  private constructor(private readonly fd: number, readonly path: string, opts: PcapngWriterOptions) {
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    if (!Number.isInteger(this.snaplen) || this.snaplen < 0 || this.snaplen >= TWO32) throw new RangeError(`snaplen ${this.snaplen} is not a 32-bit count`);
    this.ifName = opts.ifName;
    this.flushBytes = Math.max(1, opts.flushBytes ?? 64 * 1024);
    this.flushPackets = Math.max(1, opts.flushPackets ?? 64);
    this.flushMs = Math.max(0, opts.flushMs ?? 200);
    this.buf = Buffer.alloc(Math.max(2 * this.flushBytes, 256 * 1024));
    this.used = shb(this.buf, 0);
    this.flush();
  }

  /**
   * Creates (or truncates) `path` and writes the section header. Throws a {@link UserError}
   * (NoInput: the file cannot be created) naming the path and the reason.
   */
  static open(path: string, opts: PcapngWriterOptions = {}): PcapngWriter {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (e) {
      throw new UserError(`cannot create ${path}: ${errnoText(e)}`, ExitCode.NoInput);
    }
    try {
      return new PcapngWriter(fd, path, opts);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Packets written so far (flushed or pending). */
  get packets(): number {
    return this.written;
  }

  /** Appends `pkt` (its bytes are copied at once: the caller may reuse them after this returns). */
  write(pkt: CapturedPacket): void {
    if (this.closed) throw new Error(`${this.path}: write after close`);
    if (this.failure !== null) throw this.failure;
    if (!Number.isInteger(pkt.tsSec) || pkt.tsSec < 0 || pkt.tsSec >= TWO32) throw new RangeError(`frame ${pkt.frame}: time stamp ${pkt.tsSec} s out of range`);
    if (!Number.isInteger(pkt.tsNsec) || pkt.tsNsec < 0 || pkt.tsNsec > 999_999_999) throw new RangeError(`frame ${pkt.frame}: ${pkt.tsNsec} ns out of range`);
    if (pkt.caplen < 0 || pkt.offset < 0 || pkt.offset + pkt.caplen > pkt.data.length) throw new RangeError(`frame ${pkt.frame}: bytes outside the packet's buffer`);
    const id = this.interfaceFor(pkt);
    const padded = (pkt.caplen + 3) & ~3;
    const total = 32 + padded;
    this.reserve(total);
    const b = this.buf;
    let o = this.used;
    b.writeUInt32LE(EPB_TYPE, o);
    b.writeUInt32LE(total, o + 4);
    b.writeUInt32LE(id, o + 8);
    writeNanoseconds(b, o + 12, pkt.tsSec, pkt.tsNsec);
    b.writeUInt32LE(pkt.caplen, o + 20);
    b.writeUInt32LE(Math.max(pkt.origlen, pkt.caplen), o + 24);
    pkt.data.copy(b, o + 28, pkt.offset, pkt.offset + pkt.caplen);
    o += 28 + pkt.caplen;
    b.fill(0, o, o + padded - pkt.caplen);
    b.writeUInt32LE(total, o + padded - pkt.caplen);
    this.used += total;
    this.written++;
    if (this.pendingPackets++ === 0) this.armTimer();
    if (this.used >= this.flushBytes || this.pendingPackets >= this.flushPackets) this.flush();
  }

  /** Writes everything pending to the file (whole blocks). Throws a {@link UserError} if the write fails. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    let off = 0;
    try {
      while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    } catch (e) {
      throw new UserError(`cannot write ${this.path}: ${errnoText(e)}`, ExitCode.Failure);
    } finally {
      // Keep what failed to go out in front, so a later flush can retry it.
      this.buf.copy(this.buf, 0, off, this.used);
      this.used -= off;
    }
    this.pendingPackets = 0;
  }

  /** Flushes and closes the file. Safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.failure !== null) throw this.failure;
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }

  private armTimer(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.flush();
      } catch (e) {
        this.failure = e;
      }
    }, this.flushMs);
    this.timer.unref();
  }

  private interfaceFor(pkt: CapturedPacket): number {
    if (!Number.isInteger(pkt.linktype) || pkt.linktype < 0 || pkt.linktype > 0xffff) throw new RangeError(`frame ${pkt.frame}: link type ${pkt.linktype} is not a 16-bit LINKTYPE`);
    const key = pkt.interfaceId * 0x10000 + pkt.linktype;
    let id = this.idbs.get(key);
    if (id === undefined) {
      id = this.idbs.size;
      this.idbs.set(key, id);
      const name = this.ifName === undefined ? undefined : Buffer.from(this.ifName, 'utf8');
      this.reserve(idbLength(name));
      this.used += idb(this.buf, this.used, pkt.linktype, this.snaplen, name);
    }
    return id;
  }

  /** Makes room for `n` more bytes: flushes first if they would not fit, grows for a block larger than the buffer. */
  private reserve(n: number): void {
    if (this.used + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      const bigger = Buffer.alloc(n);
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
  }
}

/**
 * Writes `sec * 10^9 + nsec` as the pcapng 64-bit time stamp (high word, then low word), exactly,
 * without BigInt: sec = hi16 * 2^16 + lo16 keeps every product below 2^53.
 */
export function writeNanoseconds(b: Buffer, at: number, sec: number, nsec: number): void {
  const hi16 = Math.floor(sec / 65536);
  const lo16 = sec - hi16 * 65536;
  const a = hi16 * 1e9; // the total is a * 2^16 + c
  const aLow = a % 65536;
  const c = lo16 * 1e9 + nsec + aLow * 65536;
  const carry = Math.floor(c / TWO32);
  b.writeUInt32LE((a - aLow) / 65536 + carry, at);
  b.writeUInt32LE(c - carry * TWO32, at + 4);
}

function shb(b: Buffer, at: number): number {
  const appl = Buffer.from('ackscope', 'utf8');
  const total = 28 + option(appl.length) + 4;
  b.writeUInt32LE(SHB_TYPE, at);
  b.writeUInt32LE(total, at + 4);
  b.writeUInt32LE(BYTE_ORDER_MAGIC, at + 8);
  b.writeUInt16LE(1, at + 12);
  b.writeUInt16LE(0, at + 14);
  b.writeInt32LE(-1, at + 16); // section length: not known (-1 as a 64-bit value)
  b.writeInt32LE(-1, at + 20);
  let o = putOption(b, at + 24, SHB_USERAPPL, appl);
  b.writeUInt32LE(OPT_ENDOFOPT, o);
  o += 4;
  b.writeUInt32LE(total, o);
  return total;
}

function idbLength(name: Buffer | undefined): number {
  return 16 + (name ? option(name.length) : 0) + option(1) + 4 + 4;
}

function idb(b: Buffer, at: number, linktype: number, snaplen: number, name: Buffer | undefined): number {
  const total = idbLength(name);
  b.writeUInt32LE(IDB_TYPE, at);
  b.writeUInt32LE(total, at + 4);
  b.writeUInt16LE(linktype, at + 8);
  b.writeUInt16LE(0, at + 10);
  b.writeUInt32LE(snaplen, at + 12);
  let o = at + 16;
  if (name) o = putOption(b, o, IF_NAME, name);
  o = putOption(b, o, IF_TSRESOL, Buffer.of(9));
  b.writeUInt32LE(OPT_ENDOFOPT, o);
  o += 4;
  b.writeUInt32LE(total, o);
  return total;
}

/** Bytes an option with a `len`-byte value takes (code, length, value padded to 4). */
function option(len: number): number {
  return 4 + ((len + 3) & ~3);
}

function putOption(b: Buffer, at: number, code: number, value: Buffer): number {
  b.writeUInt16LE(code, at);
  b.writeUInt16LE(value.length, at + 2);
  value.copy(b, at + 4);
  const end = at + option(value.length);
  b.fill(0, at + 4 + value.length, end);
  return end;
}

/** `no such file or directory (ENOENT)` from Node's `ENOENT: no such file or directory, open '/x'`. */
function errnoText(e: unknown): string {
  const message = String((e as Error)?.message ?? e);
  const m = /^([A-Z0-9_]+): ([^,]+)/.exec(message);
  return m ? `${m[2]} (${m[1]})` : message;
}
