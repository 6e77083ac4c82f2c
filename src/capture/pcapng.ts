/**
 * pcapng files: a sequence of blocks (type, total length, body, total length again), grouped in
 * sections. Each Section Header Block (SHB) sets the byte order of its section (byte-order magic
 * 0x1A2B3C4D) and forgets the interfaces of the previous one; each Interface Description Block (IDB)
 * declares an interface with its own link type, snapshot length, time-stamp resolution
 * (`if_tsresol`) and offset (`if_tsoffset`). Frames come in Enhanced Packet Blocks (EPB), Simple
 * Packet Blocks (SPB) and the obsolete Packet Blocks (PB); every other block is skipped after its
 * lengths are checked, streamed through without buffering when it is large.
 *
 * Choices, each checked against tshark 4.0:
 * - A block total length must be a multiple of 4 (as the format says). tshark rounds a bad one up.
 * - A frame whose captured length exceeds 256 KiB is reported as corrupt. One longer than its
 *   interface's snapshot length (not 0) is read whole and flagged `beyondSnaplen`, as tshark reads
 *   it (libpcap 1.10 rejects such an EPB; tshark only logs it).
 * - A Simple Packet Block has no time stamp: its frame gets time 0 (1970-01-01), exactly as tshark
 *   shows it, and interface 0; its captured length is the original length cut to the snapshot length.
 * - Custom blocks, systemd journal entries and sysdig events are not packets, but tshark numbers them
 *   as frames; they consume a frame number here too (and are not delivered) so that frame numbers
 *   agree with tshark's.
 * - A captured length above the original length is accepted with origlen raised to caplen (see pcap.ts).
 *
 * Time stamps are 64-bit counts of `1 / unitsPerSecond` seconds. They are converted without BigInt
 * on the per-frame path: for each interface, the latest distinct high 32-bit word is turned once (with
 * BigInt) into whole seconds plus a remainder in units; a frame then only adds its low word. The
 * conversion is exact (nanoseconds are truncated, as tshark does) for every resolution up to 10^-15
 * and 2^-49 s; finer ones, which no capture tool writes, take an exact BigInt path per frame.
 */
import type { RecordParser } from './chunked.js';
import { CaptureError } from './errors.js';
import { newCapturedPacket, type CapturedPacket, type PacketSink } from './packet.js';
import { MAX_CAPLEN } from './pcap.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB = 1;
const PB = 2;
const SPB = 3;
const EPB = 6;

const MIN_BLOCK = 12;
const MIN_SHB = 28;
const MIN_IDB = 20;
const MIN_PB = 32;
const MIN_SPB = 16;
const MIN_EPB = 32;
/** Largest block read whole: an EPB holding a maximal frame and 128 KiB of options. */
export const MAX_PARSED_BLOCK = MIN_EPB + MAX_CAPLEN + 131072;
/** Largest block of any type (tshark's limit); bigger ones are corrupt lengths. */
export const MAX_BLOCK = MIN_EPB + 128 * 1024 * 1024 + 131072;

/** Block types that tshark numbers as frames although they carry no packet. */
const NUMBERED_NON_PACKETS = new Set([
  0x00000009, // systemd journal export entry
  0x00000204, 0x00000208, 0x00000216, 0x00000217, 0x00000221, 0x00000222, // sysdig events
  0x00000bad, 0x40000bad, // custom blocks
]);

const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** How an interface turns its fractional units into nanoseconds. */
const enum NsConv {
  /** unitsPerSecond divides 10^9: multiply. */
  Multiply,
  /** 10^n with 9 < n <= 15: divide by 10^(n-9). */
  Divide,
  /** 2^n with 9 < n <= 49: nine steps of decimal long division, exact in doubles. */
  LongDivision,
  /** Anything finer: BigInt per frame. */
  BigInt,
}

export interface PcapngInterface {
  /** LINKTYPE_* value. */
  linktype: number;
  /** Snapshot length from the IDB, 0 = none. */
  snaplen: number;
  /** The raw `if_tsresol` value: bit 7 clear → 10^-n s, set → 2^-n s, n = low 7 bits. Default 6. */
  tsresol: number;
  /** Time-stamp units per second (10^n or 2^n). */
  unitsPerSecond: number;
  /** `if_tsoffset`: seconds added to every time stamp. */
  tsoffset: number;
  maxCaplen: number;
  conv: NsConv;
  /** For {@link NsConv.Multiply}: ns per unit; for {@link NsConv.Divide}: units per ns. */
  factor: number;
  unitsBig: bigint;
  tsoffsetBig: bigint;
  /** High time-stamp word the base below was computed for (-1: none yet). */
  hi: number;
  baseSec: number;
  baseUnits: number;
}

const BLOCK_NAMES: Record<number, string> = {
  [PCAPNG_SHB]: 'section header block',
  [IDB]: 'interface description block',
  [PB]: 'packet block',
  [SPB]: 'simple packet block',
  4: 'name resolution block',
  5: 'interface statistics block',
  [EPB]: 'enhanced packet block',
  10: 'decryption secrets block',
};

function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

function blockName(type: number): string {
  return BLOCK_NAMES[type] ?? `block of type ${hex32(type)}`;
}

function minLength(type: number): number {
  switch (type) {
    case EPB: return MIN_EPB;
    case PCAPNG_SHB: return MIN_SHB;
    case IDB: return MIN_IDB;
    case SPB: return MIN_SPB;
    case PB: return MIN_PB;
    default: return MIN_BLOCK;
  }
}

function isParsed(type: number): boolean {
  return type === EPB || type === PCAPNG_SHB || type === IDB || type === SPB || type === PB;
}

const TWO_POW_52 = 2 ** 52;

export class PcapngParser implements RecordParser {
  /** Frames delivered so far (plus non-packet records tshark numbers as frames). */
  frames = 0;
  /** Sections seen so far. */
  sections = 0;
  /** Byte order of the current section. */
  littleEndian = true;
  /** Interfaces of the current section, by interface id. */
  interfaces: PcapngInterface[] = [];

  /** Absolute offset of the first byte not yet consumed. */
  private pos = 0;
  /** Bytes of a large skipped block's body still to pass over. */
  private skipLeft = 0;
  /** Total length a skipped block's trailer must repeat (0: none pending). */
  private trailerLen = 0;
  private skipType = 0;
  private skipStart = 0;
  private readonly pkt: CapturedPacket = newCapturedPacket();

  constructor(
    /** File name used in error messages. */
    readonly name: string,
    private readonly sink: PacketSink,
  ) {}

  parse(buf: Buffer, view: DataView, start: number, end: number): number {
    const base = this.pos - start;
    let p = start;
    for (;;) {
      if (this.skipLeft > 0) {
        const k = Math.min(this.skipLeft, end - p);
        p += k;
        this.skipLeft -= k;
        if (this.skipLeft > 0) break;
      }
      if (this.trailerLen !== 0) {
        if (end - p < 4) break;
        const trailer = view.getUint32(p, this.littleEndian);
        if (trailer !== this.trailerLen) this.badTrailer(this.skipStart, this.skipType, this.trailerLen, trailer);
        p += 4;
        this.trailerLen = 0;
      }
      p = this.blocks(buf, view, p, end, base);
      if (this.skipLeft === 0 && this.trailerLen === 0) break;
    }
    this.pos = base + p;
    return p;
  }

  need(_buf: Buffer, view: DataView, start: number, end: number): number {
    if (this.skipLeft > 0) return 1;
    if (this.trailerLen !== 0) return 4;
    const avail = end - start;
    if (avail < 8) return 8;
    const type = view.getUint32(start, this.littleEndian);
    let le = this.littleEndian;
    if (type === PCAPNG_SHB) {
      if (avail < 12) return 12;
      le = this.sectionOrder(view, start + 8, this.pos);
    } else if (this.sections === 0) {
      this.notPcapng(type);
    }
    const len = view.getUint32(start + 4, le);
    this.checkLength(type, len, this.pos);
    return !isParsed(type) && len > MAX_PARSED_BLOCK ? 8 : len;
  }

  finish(buf: Buffer, view: DataView, start: number, end: number): void {
    const have = end - start;
    if (this.skipLeft > 0 || this.trailerLen !== 0) {
      const haveBlock = this.pos + have - this.skipStart;
      throw new CaptureError(this.name, this.skipStart, this.frames + 1,
        `file ends inside a ${blockName(this.skipType)}: need ${this.trailerLen} bytes, have ${haveBlock}`);
    }
    if (have === 0) {
      if (this.sections === 0) throw new CaptureError(this.name, this.pos, 0, 'file ends before the pcapng section header block');
      return;
    }
    const need = this.need(buf, view, start, end);
    const frame = this.sections === 0 ? 0 : this.frames + 1;
    if (have < 8 || (have < 12 && need === 12)) {
      throw new CaptureError(this.name, this.pos, frame, `file ends inside a block header: need ${need} bytes, have ${have}`);
    }
    const type = view.getUint32(start, this.littleEndian);
    const what = type === EPB || type === SPB || type === PB ? `frame ${frame}` : `a ${blockName(type)}`;
    throw new CaptureError(this.name, this.pos, frame, `file ends inside ${what}: need ${need} bytes, have ${have}`);
  }

  /** Consume whole blocks from `p`; stop at an incomplete block or on entering a large skipped block. */
  private blocks(buf: Buffer, view: DataView, p: number, end: number, base: number): number {
    const sink = this.sink;
    const pkt = this.pkt;
    pkt.data = buf;
    let le = this.littleEndian;
    while (end - p >= 8) {
      const type = view.getUint32(p, le);
      if (type === EPB) {
        const len = view.getUint32(p + 4, le);
        if (len < MIN_EPB || (len & 3) !== 0 || len > MAX_PARSED_BLOCK) this.checkLength(type, len, base + p);
        if (end - p < len) break;
        const trailer = view.getUint32(p + len - 4, le);
        if (trailer !== len) this.badTrailer(base + p, type, len, trailer);
        const ifid = view.getUint32(p + 8, le);
        const f = this.interfaces[ifid];
        if (f === undefined) this.unknownInterface(base + p, ifid);
        const caplen = view.getUint32(p + 20, le);
        if (caplen > len - MIN_EPB) this.doesNotFit(base + p, type, len, caplen);
        if (caplen > MAX_CAPLEN) this.tooLong(base + p, f, caplen);
        const origlen = view.getUint32(p + 24, le);
        this.stamp(f, view.getUint32(p + 12, le), view.getUint32(p + 16, le), base + p);
        pkt.frame = ++this.frames;
        pkt.beyondSnaplen = caplen > f.maxCaplen;
        pkt.offset = p + 28;
        pkt.caplen = caplen;
        pkt.origlen = origlen >= caplen ? origlen : caplen;
        pkt.linktype = f.linktype;
        pkt.interfaceId = ifid;
        sink(pkt);
        p += len;
        continue;
      }
      let order = le;
      if (type === PCAPNG_SHB) {
        if (end - p < 12) break;
        order = this.sectionOrder(view, p + 8, base + p);
      } else if (this.sections === 0) {
        this.notPcapng(type);
      }
      const len = view.getUint32(p + 4, order);
      this.checkLength(type, len, base + p);
      if (!isParsed(type) && len > MAX_PARSED_BLOCK) {
        this.skipType = type;
        this.skipStart = base + p;
        this.trailerLen = len;
        this.skipLeft = len - 12;
        return p + 8;
      }
      if (end - p < len) break;
      const trailer = view.getUint32(p + len - 4, order);
      if (trailer !== len) this.badTrailer(base + p, type, len, trailer);
      switch (type) {
        case PCAPNG_SHB:
          this.section(view, p, order, base + p);
          le = order;
          break;
        case IDB:
          this.interfaceDescription(view, p, len, le, base + p);
          break;
        case SPB:
          this.simplePacket(view, p, len, le, base + p);
          break;
        case PB:
          this.packetBlock(view, p, len, le, base + p);
          break;
        default:
          if (NUMBERED_NON_PACKETS.has(type)) this.frames++;
      }
      p += len;
    }
    return p;
  }

  private section(view: DataView, p: number, le: boolean, at: number): void {
    const major = view.getUint16(p + 12, le);
    const minor = view.getUint16(p + 14, le);
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      throw new CaptureError(this.name, at, this.sections === 0 ? 0 : this.frames + 1,
        `unsupported pcapng version ${major}.${minor} (1.0 and 1.2 are read)`);
    }
    this.littleEndian = le;
    this.interfaces = [];
    this.sections++;
  }

  private interfaceDescription(view: DataView, p: number, len: number, le: boolean, at: number): void {
    const linktype = view.getUint16(p + 8, le);
    const snaplen = view.getUint32(p + 12, le);
    let tsresol = 6;
    let tsoffset = 0n;
    let o = p + 16;
    const optEnd = p + len - 4;
    while (optEnd - o >= 4) {
      const code = view.getUint16(o, le);
      const olen = view.getUint16(o + 2, le);
      if (code === OPT_ENDOFOPT) break;
      const padded = (olen + 3) & ~3;
      if (padded > optEnd - o - 4) {
        throw new CaptureError(this.name, at, this.frames + 1,
          `interface description block option ${code} of ${olen} bytes runs past the end of the block`);
      }
      if (code === OPT_IF_TSRESOL && olen >= 1) tsresol = view.getUint8(o + 4);
      else if (code === OPT_IF_TSOFFSET && olen >= 8) tsoffset = view.getBigInt64(o + 4, le);
      o += 4 + padded;
    }
    this.interfaces.push(this.makeInterface(linktype, snaplen, tsresol, tsoffset, at));
  }

  private makeInterface(linktype: number, snaplen: number, tsresol: number, tsoffset: bigint, at: number): PcapngInterface {
    const exp = tsresol & 0x7f;
    const pow2 = (tsresol & 0x80) !== 0;
    if ((pow2 && exp > 63) || (!pow2 && exp > 19)) {
      throw new CaptureError(this.name, at, this.frames + 1,
        `unsupported if_tsresol 0x${tsresol.toString(16).padStart(2, '0')} (${pow2 ? '2' : '10'}^-${exp} s)`);
    }
    if (tsoffset > BigInt(TWO_POW_52) || tsoffset < -BigInt(TWO_POW_52)) {
      throw new CaptureError(this.name, at, this.frames + 1, `if_tsoffset ${tsoffset} s is out of range`);
    }
    const unitsBig = pow2 ? 1n << BigInt(exp) : 10n ** BigInt(exp);
    const unitsPerSecond = Number(unitsBig);
    let conv: NsConv;
    let factor = 0;
    if (unitsPerSecond <= 1e9 && 1e9 % unitsPerSecond === 0) {
      conv = NsConv.Multiply;
      factor = 1e9 / unitsPerSecond;
    } else if (!pow2 && exp <= 15) {
      conv = NsConv.Divide;
      factor = 10 ** (exp - 9);
    } else if (pow2 && exp <= 49) {
      conv = NsConv.LongDivision;
    } else {
      conv = NsConv.BigInt;
    }
    return {
      linktype,
      snaplen,
      tsresol,
      unitsPerSecond,
      tsoffset: Number(tsoffset),
      maxCaplen: snaplen !== 0 && snaplen < MAX_CAPLEN ? snaplen : MAX_CAPLEN,
      conv,
      factor,
      unitsBig,
      tsoffsetBig: tsoffset,
      hi: -1,
      baseSec: 0,
      baseUnits: 0,
    };
  }

  private simplePacket(view: DataView, p: number, len: number, le: boolean, at: number): void {
    const f = this.interfaces[0];
    if (f === undefined) {
      throw new CaptureError(this.name, at, this.frames + 1, 'simple packet block before any interface description block');
    }
    const origlen = view.getUint32(p + 8, le);
    const caplen = f.snaplen !== 0 && origlen > f.snaplen ? f.snaplen : origlen;
    if (caplen > len - MIN_SPB) this.doesNotFit(at, SPB, len, caplen);
    if (caplen > MAX_CAPLEN) this.tooLong(at, f, caplen);
    const pkt = this.pkt;
    pkt.frame = ++this.frames;
    pkt.beyondSnaplen = false;
    pkt.offset = p + 12;
    pkt.caplen = caplen;
    pkt.origlen = origlen;
    pkt.linktype = f.linktype;
    pkt.interfaceId = 0;
    pkt.tsSec = 0;
    pkt.tsNsec = 0;
    this.sink(pkt);
  }

  private packetBlock(view: DataView, p: number, len: number, le: boolean, at: number): void {
    const ifid = view.getUint16(p + 8, le);
    const f = this.interfaces[ifid];
    if (f === undefined) this.unknownInterface(at, ifid);
    const caplen = view.getUint32(p + 20, le);
    if (caplen > len - MIN_PB) this.doesNotFit(at, PB, len, caplen);
    if (caplen > MAX_CAPLEN) this.tooLong(at, f, caplen);
    const origlen = view.getUint32(p + 24, le);
    const pkt = this.pkt;
    this.stamp(f, view.getUint32(p + 12, le), view.getUint32(p + 16, le), at);
    pkt.frame = ++this.frames;
    pkt.beyondSnaplen = caplen > f.maxCaplen;
    pkt.offset = p + 28;
    pkt.caplen = caplen;
    pkt.origlen = origlen >= caplen ? origlen : caplen;
    pkt.linktype = f.linktype;
    pkt.interfaceId = ifid;
    this.sink(pkt);
  }

  /** Sets pkt.tsSec/tsNsec from a 64-bit time stamp `hi:lo` in the interface's units. */
  private stamp(f: PcapngInterface, hi: number, lo: number, at: number): void {
    const pkt = this.pkt;
    if (f.conv === NsConv.BigInt) {
      this.stampBig(f, hi, lo, at);
      return;
    }
    if (hi !== f.hi) this.rebase(f, hi, at);
    const div = f.unitsPerSecond;
    let units = f.baseUnits + lo;
    let sec = f.baseSec;
    if (units >= div) {
      let q = Math.floor(units / div);
      let r = units - q * div;
      if (r < 0) {
        q--;
        r += div;
      } else if (r >= div) {
        q++;
        r -= div;
      }
      sec += q;
      units = r;
    }
    pkt.tsSec = sec;
    switch (f.conv) {
      case NsConv.Multiply:
        pkt.tsNsec = units * f.factor;
        break;
      case NsConv.Divide: {
        let q = Math.floor(units / f.factor);
        if (q * f.factor > units) q--;
        pkt.tsNsec = q;
        break;
      }
      default: {
        let r = units;
        let ns = 0;
        for (let i = 0; i < 9; i++) {
          r *= 10;
          const d = Math.floor(r / div);
          r -= d * div;
          ns = ns * 10 + d;
        }
        pkt.tsNsec = ns;
      }
    }
  }

  private rebase(f: PcapngInterface, hi: number, at: number): void {
    const total = BigInt(hi) << 32n;
    const sec = total / f.unitsBig + f.tsoffsetBig;
    this.checkSeconds(sec, at);
    f.baseSec = Number(sec);
    f.baseUnits = Number(total % f.unitsBig);
    f.hi = hi;
  }

  private stampBig(f: PcapngInterface, hi: number, lo: number, at: number): void {
    const units = (BigInt(hi) << 32n) | BigInt(lo);
    const sec = units / f.unitsBig + f.tsoffsetBig;
    this.checkSeconds(sec, at);
    this.pkt.tsSec = Number(sec);
    this.pkt.tsNsec = Number(((units % f.unitsBig) * 1_000_000_000n) / f.unitsBig);
  }

  private checkSeconds(sec: bigint, at: number): void {
    if (sec > BigInt(TWO_POW_52) || sec < -BigInt(TWO_POW_52)) {
      throw new CaptureError(this.name, at, this.frames + 1, `time stamp of ${sec} s is out of range`);
    }
  }

  /** Byte order announced by a section header's byte-order magic at `view[o]`. */
  private sectionOrder(view: DataView, o: number, at: number): boolean {
    const bom = view.getUint32(o, true);
    if (bom === PCAPNG_BYTE_ORDER_MAGIC) return true;
    if (view.getUint32(o, false) === PCAPNG_BYTE_ORDER_MAGIC) return false;
    throw new CaptureError(this.name, at, this.sections === 0 ? 0 : this.frames + 1,
      `section header block has an unknown byte-order magic ${hex32(view.getUint32(o, false))}`);
  }

  private notPcapng(type: number): never {
    throw new CaptureError(this.name, this.pos, 0, `not a pcapng file (first block type ${hex32(type)}, not a section header)`);
  }

  private checkLength(type: number, len: number, at: number): void {
    const frame = this.sections === 0 ? 0 : this.frames + 1;
    const min = minLength(type);
    let reason: string | undefined;
    if (len < min) reason = `${blockName(type)} length ${len} is below its ${min}-byte minimum`;
    else if ((len & 3) !== 0) reason = `${blockName(type)} length ${len} is not a multiple of 4`;
    else if (isParsed(type) && len > MAX_PARSED_BLOCK) reason = `${blockName(type)} length ${len} exceeds the ${MAX_PARSED_BLOCK}-byte maximum`;
    else if (len > MAX_BLOCK) reason = `${blockName(type)} length ${len} exceeds the ${MAX_BLOCK}-byte maximum`;
    if (reason !== undefined) throw new CaptureError(this.name, at, frame, reason);
  }

  private badTrailer(at: number, type: number, len: number, trailer: number): never {
    throw new CaptureError(this.name, at, this.sections === 0 ? 0 : this.frames + 1,
      `${blockName(type)} length ${len} disagrees with its trailing copy ${trailer}`);
  }

  private unknownInterface(at: number, ifid: number): never {
    throw new CaptureError(this.name, at, this.frames + 1,
      `packet names interface ${ifid}, but the section has ${this.interfaces.length} interface description block(s)`);
  }

  private doesNotFit(at: number, type: number, len: number, caplen: number): never {
    throw new CaptureError(this.name, at, this.frames + 1,
      `${caplen} captured bytes do not fit in a ${len}-byte ${blockName(type)}`);
  }

  private tooLong(at: number, _f: PcapngInterface, caplen: number): never {
    throw new CaptureError(this.name, at, this.frames + 1,
      `packet claims ${caplen} captured bytes, more than the ${MAX_CAPLEN}-byte maximum (corrupt block)`);
  }
}
