/**
 * Classic pcap ("libpcap") files: a 24-byte file header, then records of a 16-byte header and the
 * captured bytes. Magic 0xa1b2c3d4 (microsecond time stamps) or 0xa1b23c4d (nanosecond), written in
 * either byte order; the order of the magic gives the order of every other field.
 *
 * Choices where files in the wild disagree with the format (each checked against tshark 4.0):
 * - A record whose captured length exceeds 256 KiB (libpcap's and tshark's maximum for these link
 *   types) is reported as corrupt: it is almost always a damaged record header. One longer than the
 *   file's snapshot length but within that maximum is read whole, as tshark reads it (libpcap
 *   accepts it too, though it hands over only the first snaplen bytes), and flagged
 *   `beyondSnaplen` so that the capture table can count it.
 * - A record whose captured length exceeds its original length is accepted: tshark accepts it too
 *   ("Frame length is less than captured length", flagged as malformed but fully dissected). Every
 *   captured byte is delivered (caplen = captured length, as tshark) and origlen is raised to
 *   caplen so that `origlen >= caplen` always holds for consumers; tshark reports the smaller
 *   original length there.
 * - A fractional-seconds field at or beyond one second is carried into the seconds. tshark keeps
 *   the unnormalised value and flags the time as invalid.
 * - Only version 2.x is read (every writer since 1998); the 2.3-era swapped length fields and the
 *   "modified" pcap variants are not supported.
 * - The link-type field keeps its low 16 bits; the upper bits carry FCS information.
 */
import type { RecordParser } from './chunked.js';
import { CaptureError } from './errors.js';
import { newCapturedPacket, type CapturedPacket, type PacketSink } from './packet.js';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** Largest captured length of one frame that any reader here accepts (tshark's limit for TCP/IP link types). */
export const MAX_CAPLEN = 262144;

/** Byte order and resolution announced by the 4 bytes at `view[offset]`, or undefined if not a pcap magic. */
export function pcapMagic(view: DataView, offset: number): { littleEndian: boolean; nanosecond: boolean } | undefined {
  const be = view.getUint32(offset, false);
  const le = view.getUint32(offset, true);
  if (be === PCAP_MAGIC_USEC) return { littleEndian: false, nanosecond: false };
  if (le === PCAP_MAGIC_USEC) return { littleEndian: true, nanosecond: false };
  if (be === PCAP_MAGIC_NSEC) return { littleEndian: false, nanosecond: true };
  if (le === PCAP_MAGIC_NSEC) return { littleEndian: true, nanosecond: true };
  return undefined;
}

export class PcapParser implements RecordParser {
  /** Filled in from the file header. */
  littleEndian = true;
  nanosecond = false;
  versionMajor = 0;
  versionMinor = 0;
  snaplen = 0;
  linktype = 0;
  /** Frames delivered so far. */
  frames = 0;

  /** Absolute offset of the first byte not yet consumed. */
  private pos = 0;
  private headerDone = false;
  private maxCaplen = MAX_CAPLEN;
  private fracPerSec = 1_000_000;
  private nsPerFrac = 1000;
  private readonly pkt: CapturedPacket = newCapturedPacket();

  constructor(
    /** File name used in error messages. */
    readonly name: string,
    private readonly sink: PacketSink,
  ) {}

  parse(buf: Buffer, view: DataView, start: number, end: number): number {
    let p = start;
    if (!this.headerDone) {
      if (end - p < PCAP_FILE_HEADER_LEN) return p;
      this.readFileHeader(view, p);
      p += PCAP_FILE_HEADER_LEN;
    }
    const le = this.littleEndian;
    const maxCaplen = this.maxCaplen;
    const snaplen = this.snaplen === 0 ? MAX_CAPLEN : this.snaplen;
    const fracPerSec = this.fracPerSec;
    const nsPerFrac = this.nsPerFrac;
    const sink = this.sink;
    const pkt = this.pkt;
    pkt.data = buf;
    pkt.linktype = this.linktype;
    pkt.interfaceId = 0;
    while (end - p >= PCAP_RECORD_HEADER_LEN) {
      const caplen = view.getUint32(p + 8, le);
      if (caplen > maxCaplen) this.tooLong(this.pos + (p - start), caplen);
      const next = p + PCAP_RECORD_HEADER_LEN + caplen;
      if (next > end) break;
      const origlen = view.getUint32(p + 12, le);
      let sec = view.getUint32(p, le);
      let frac = view.getUint32(p + 4, le);
      if (frac >= fracPerSec) {
        const carry = Math.floor(frac / fracPerSec);
        sec += carry;
        frac -= carry * fracPerSec;
      }
      pkt.frame = ++this.frames;
      pkt.beyondSnaplen = caplen > snaplen;
      pkt.offset = p + PCAP_RECORD_HEADER_LEN;
      pkt.caplen = caplen;
      pkt.origlen = origlen >= caplen ? origlen : caplen;
      pkt.tsSec = sec;
      pkt.tsNsec = frac * nsPerFrac;
      sink(pkt);
      p = next;
    }
    this.pos += p - start;
    return p;
  }

  need(_buf: Buffer, view: DataView, start: number, end: number): number {
    if (!this.headerDone) return PCAP_FILE_HEADER_LEN;
    if (end - start < PCAP_RECORD_HEADER_LEN) return PCAP_RECORD_HEADER_LEN;
    const caplen = view.getUint32(start + 8, this.littleEndian);
    if (caplen > this.maxCaplen) this.tooLong(this.pos, caplen);
    return PCAP_RECORD_HEADER_LEN + caplen;
  }

  finish(_buf: Buffer, view: DataView, start: number, end: number): void {
    const have = end - start;
    if (!this.headerDone) {
      throw new CaptureError(this.name, 0, 0,
        `file ends inside the pcap file header: need ${PCAP_FILE_HEADER_LEN} bytes, have ${have}`);
    }
    if (have === 0) return;
    const frame = this.frames + 1;
    const need = this.need(_buf, view, start, end);
    const what = need === PCAP_RECORD_HEADER_LEN && have < PCAP_RECORD_HEADER_LEN ? ' (record header)' : '';
    throw new CaptureError(this.name, this.pos, frame, `file ends inside frame ${frame}${what}: need ${need} bytes, have ${have}`);
  }

  private readFileHeader(view: DataView, p: number): void {
    const magic = pcapMagic(view, p);
    if (magic === undefined) {
      throw new CaptureError(this.name, this.pos, 0,
        `not a pcap file (magic 0x${view.getUint32(p, false).toString(16).padStart(8, '0')})`);
    }
    const le = magic.littleEndian;
    this.littleEndian = le;
    this.nanosecond = magic.nanosecond;
    this.versionMajor = view.getUint16(p + 4, le);
    this.versionMinor = view.getUint16(p + 6, le);
    if (this.versionMajor !== 2) {
      throw new CaptureError(this.name, this.pos + 4, 0,
        `unsupported pcap version ${this.versionMajor}.${this.versionMinor} (only 2.x is read)`);
    }
    this.snaplen = view.getUint32(p + 16, le);
    this.linktype = view.getUint32(p + 20, le) & 0xffff;
    this.maxCaplen = MAX_CAPLEN;
    this.fracPerSec = magic.nanosecond ? 1_000_000_000 : 1_000_000;
    this.nsPerFrac = magic.nanosecond ? 1 : 1000;
    this.headerDone = true;
  }

  private tooLong(offset: number, caplen: number): never {
    throw new CaptureError(this.name, offset, this.frames + 1,
      `record claims ${caplen} captured bytes, more than the ${MAX_CAPLEN}-byte maximum (corrupt record header)`);
  }
}
