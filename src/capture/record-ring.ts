/**
 * Decoded packets as fixed-size records in a ring of shared memory: what the read+decode worker
 * (decode-worker.ts) writes and the main thread (pipelined.ts) reads back into a reused
 * {@link TcpPacket}. One writer, one reader, no per-packet objects or messages.
 *
 * Layout of one slot ({@link SLOT_BYTES} bytes, 32-bit words at the indices of {@link W}): a meta
 * word (status, flags, how the reason travels), the frame's numbers, the TCP header fields, the
 * option bytes as captured (<= 40, so options are parsed from the record itself), and the
 * encapsulation hops (kinds, 32-bit identifiers, a mask for "no identifier"). A frame that is not
 * TCP carries only meta, frame, time and, for `truncated`/`malformed`, its reason: inline in the
 * slot when it fits ({@link INLINE_REASON} bytes), otherwise through the side channel (a message
 * from the worker, posted before the record is published, so taken in frame order).
 *
 * Control words ({@link C}): HEAD counts records published by the writer, TAIL records released
 * by the reader (both wrap at 2^32; differences are taken modulo 2^32). The writer waits
 * (Atomics.wait) on TAIL when the ring is full; the reader waits (Atomics.waitAsync) on HEAD when
 * it is empty. DONE: the writer has published its last record. STOP: the reader wants no more.
 */
import type { CapturedPacket } from './packet.js';
import { TcpPacket, type DecodeStatus } from './tcp-packet.js';
import { MAX_RECORDED } from './encap/hop.js';

export const SLOT_BYTES = 256;
const SLOT_WORDS = SLOT_BYTES / 4;

/**
 * Word indices inside a slot, laid out by cache line: an IPv4 packet with up to 12 option bytes
 * (the timestamp option of every segment of a modern stack) is read from its first 64 bytes alone;
 * longer options, the rest of IPv6 addresses and a payload count over 65 534 are in the second
 * line, the encapsulation hops beyond. Lines written by the worker's core must travel to the main
 * thread's: every line a record avoids is time saved.
 *
 * META holds, besides status and flag bits: for TCP the flags (bits 8-16), the data offset (header
 * length / 4, bits 17-20) and how many option bytes were captured (bits 21-26; the declared option
 * length is the header length - 20); for a reason carried inline, its length (bits 16-23).
 */
const W = {
  META: 0,
  FRAME: 1,
  FRAME_LEN: 2,
  /**
   * The TCP payload length (bits 0-16) and the IP length less the TCP segment (bits 17-31: the IP
   * header, 20-60 or 40 and up); all ones when either does not fit: see LONG_LEN and LONG_IP_LEN.
   */
  LEN: 3,
  /** Float64 at words 4-5. */
  TIME: 4,
  PORTS: 6,
  SEQ: 7,
  ACK: 8,
  WIN_URG: 9,
  /** Source and destination: IPv4 address, or the first word of the IPv6 one. */
  SRC: 10,
  DST: 11,
  /** Checksum, and the captured payload bytes (0xffff: see PAYLOAD_CAPTURED). */
  CSUM_PAYLOAD: 12,
  /** 40 option bytes from word 13 (byte 52) to byte 91. */
  OPTIONS: 13,
  PAYLOAD_CAPTURED: 23,
  /** Words 2-4 of IPv6 addresses. */
  SRC6: 24,
  DST6: 27,
  /** The payload and IP lengths in full, when they do not fit the LEN word (rebuilt fragments, jumbograms). */
  LONG_LEN: 30,
  LONG_IP_LEN: 31,
  ENCAP_COUNT: 32,
  /** Float64 at words 34-35. */
  NET: 34,
  ENCAP_NO_ID: 36,
  ENCAP_KIND: 37,
  ENCAP_ID: 41,
} as const;
/** Byte offset of the option bytes and of the encapsulation kinds in a slot. */
const OPT_BYTE = W.OPTIONS * 4;
const KIND_BYTE = W.ENCAP_KIND * 4;
/** Non-TCP records use the slot from word 6 on for their reason. */
const REASON_BYTE = W.PORTS * 4;
export const INLINE_REASON = SLOT_BYTES - REASON_BYTE;

const META_V6 = 1 << 2;
const META_BEYOND_SNAPLEN = 1 << 3;
const META_REASON_INLINE = 1 << 4;
const META_REASON_SIDE = 1 << 5;
/** Encapsulation hops (and a network) recorded beyond the first two cache lines. */
const META_ENCAP = 1 << 6;

const STATUS: readonly DecodeStatus[] = ['tcp', 'other', 'truncated', 'malformed'];
const STATUS_CODE: Readonly<Record<DecodeStatus, number>> = { tcp: 0, other: 1, truncated: 2, malformed: 3 };

/** Control word indices (Int32 words). */
export const C = { HEAD: 0, TAIL: 1, DONE: 2, STOP: 3 } as const;
/**
 * Float64 indices in the control block, after the four words: the first frame's timestamp (the
 * decoder's time origin; seconds -1 until it is known), written before the first record is
 * published; and the bytes of the input read so far (the progress line's position), updated by the
 * writer between input chunks.
 */
const F = { ORIGIN_SEC: 2, ORIGIN_NSEC: 3, POSITION: 4 } as const;
const CONTROL_BYTES = 40;
/** LEN's payload bits, and its IP-header bits' escape value. */
const LEN_BITS = 17;
const LEN_MASK = (1 << LEN_BITS) - 1;
const IP_EXTRA_LONG = 0x7fff;

export interface RingMemory {
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  /** Number of slots, a power of two. */
  count: number;
}

export function allocateRing(count: number): RingMemory {
  if (count < 2 || (count & (count - 1)) !== 0) throw new Error(`ring size ${count} is not a power of two >= 2`);
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  new Float64Array(control)[F.ORIGIN_SEC] = -1;
  return { control, slots: new SharedArrayBuffer(count * SLOT_BYTES), count };
}

/** Thrown out of {@link RingWriter.write} when the reader asked to stop. */
export class ReaderStopped extends Error {}

/** The typed views over a ring's shared memory that both sides use. */
abstract class RingViews {
  readonly ctl: Int32Array;
  /** The control block as doubles (the time origin and read position beside the control words). */
  protected readonly state: Float64Array;
  protected readonly u32: Uint32Array;
  protected readonly f64: Float64Array;
  /** The ring as bytes: the `data` of every packet read back (its option offsets point into it). */
  readonly bytes: Buffer;
  readonly mask: number;

  constructor(mem: RingMemory) {
    this.ctl = new Int32Array(mem.control);
    this.state = new Float64Array(mem.control);
    this.u32 = new Uint32Array(mem.slots);
    this.f64 = new Float64Array(mem.slots);
    this.bytes = Buffer.from(mem.slots);
    this.mask = mem.count - 1;
  }
}

/** The worker's side: fills slots, publishes them in batches, waits while the ring is full. */
export class RingWriter extends RingViews {
  private head = 0;
  private published = 0;
  /** Last TAIL seen; the ring has room while head - tail < count. */
  private tail = 0;

  constructor(
    mem: RingMemory,
    /** Called with a reason too long for the slot, before the record carrying it is published. */
    private readonly side: (reason: string) => void,
    /** Records written between two publications (the reader sees nothing of a batch before it). */
    private readonly batch = 256,
  ) {
    super(mem);
  }

  /** The decoder's time origin, once known (before the first record is published). */
  setOrigin(sec: number, nsec: number): void {
    this.state[F.ORIGIN_NSEC] = nsec;
    this.state[F.ORIGIN_SEC] = sec;
  }

  /** Bytes of the input read so far. */
  setPosition(bytes: number): void {
    this.state[F.POSITION] = bytes;
  }

  /** Append the decoded frame `p` (of captured frame `pkt`). Blocks while the ring is full. */
  write(p: TcpPacket, pkt: CapturedPacket): void {
    const head = this.head;
    if (((head - this.tail) >>> 0) > this.mask) this.waitForRoom(head);
    const slot = head & this.mask;
    const w = slot * SLOT_WORDS;
    const u = this.u32;
    const code = STATUS_CODE[p.status];
    let meta = code | (pkt.beyondSnaplen ? META_BEYOND_SNAPLEN : 0);
    u[w + W.FRAME] = p.frame;
    this.f64[(w >> 1) + (W.TIME >> 1)] = p.time;
    if (code === 0) {
      u[w + W.FRAME_LEN] = p.frameLen;
      if (p.ipVersion === 6) {
        meta |= META_V6;
        const s = p.src6;
        const d = p.dst6;
        u[w + W.SRC] = s[0]!;
        u[w + W.SRC6] = s[1]!;
        u[w + W.SRC6 + 1] = s[2]!;
        u[w + W.SRC6 + 2] = s[3]!;
        u[w + W.DST] = d[0]!;
        u[w + W.DST6] = d[1]!;
        u[w + W.DST6 + 1] = d[2]!;
        u[w + W.DST6 + 2] = d[3]!;
      } else {
        u[w + W.SRC] = p.src4;
        u[w + W.DST] = p.dst4;
      }
      u[w + W.PORTS] = p.sport | (p.dport << 16);
      u[w + W.SEQ] = p.seq;
      u[w + W.ACK] = p.ack;
      u[w + W.WIN_URG] = p.win | (p.urg << 16);
      const optCaptured = p.optCaptured;
      meta |= (p.flags << 8) | ((p.headerLen >> 2) << 17) | (optCaptured << 21);
      const len = p.len;
      const ipExtra = p.ipLen - len - p.headerLen;
      if (len <= LEN_MASK && ipExtra >= 0 && ipExtra < IP_EXTRA_LONG) {
        u[w + W.LEN] = len | (ipExtra << LEN_BITS);
      } else {
        u[w + W.LEN] = 0xffffffff;
        u[w + W.LONG_LEN] = len;
        u[w + W.LONG_IP_LEN] = p.ipLen;
      }
      const pc = p.payloadCaptured;
      if (pc < 0xffff) {
        u[w + W.CSUM_PAYLOAD] = p.checksum | (pc << 16);
      } else {
        u[w + W.CSUM_PAYLOAD] = p.checksum | 0xffff0000;
        u[w + W.PAYLOAD_CAPTURED] = pc;
      }
      if (optCaptured > 0) {
        const b = this.bytes;
        const src = p.data;
        const from = p.optOffset;
        const to = slot * SLOT_BYTES + OPT_BYTE;
        for (let i = 0; i < optCaptured; i++) b[to + i] = src[from + i]!;
      }
      const n = p.encapCount;
      if (n > 0) {
        meta |= META_ENCAP;
        u[w + W.ENCAP_COUNT] = n;
        this.f64[(w >> 1) + (W.NET >> 1)] = p.net;
        const b = this.bytes;
        const kb = slot * SLOT_BYTES + KIND_BYTE;
        let noId = 0;
        const m = n < MAX_RECORDED ? n : MAX_RECORDED;
        for (let i = 0; i < m; i++) {
          b[kb + i] = p.encapKind[i]!;
          const id = p.encapId[i]!;
          if (id < 0) noId |= 1 << i;
          else u[w + W.ENCAP_ID + i] = id;
        }
        u[w + W.ENCAP_NO_ID] = noId;
      }
    } else if (code !== 1) {
      const reason = p.reason;
      const len = Buffer.byteLength(reason, 'utf8');
      if (len <= INLINE_REASON) {
        this.bytes.write(reason, slot * SLOT_BYTES + REASON_BYTE, len, 'utf8');
        meta |= META_REASON_INLINE | (len << 16);
      } else {
        this.side(reason);
        meta |= META_REASON_SIDE;
      }
    }
    u[w + W.META] = meta;
    this.head = (head + 1) >>> 0;
    if (((this.head - this.published) >>> 0) >= this.batch) this.publish();
  }

  /** Make every record written so far visible to the reader. */
  publish(): void {
    if (this.published === this.head) return;
    this.published = this.head;
    Atomics.store(this.ctl, C.HEAD, this.head | 0);
    Atomics.notify(this.ctl, C.HEAD);
  }

  /** Publish the rest and say there is no more. */
  finish(): void {
    this.publish();
    Atomics.store(this.ctl, C.DONE, 1);
    Atomics.notify(this.ctl, C.HEAD);
  }

  get stopped(): boolean {
    return Atomics.load(this.ctl, C.STOP) !== 0;
  }

  private waitForRoom(head: number): void {
    this.publish();
    for (;;) {
      if (this.stopped) throw new ReaderStopped();
      const tail = Atomics.load(this.ctl, C.TAIL);
      this.tail = tail >>> 0;
      if (((head - this.tail) >>> 0) <= this.mask) return;
      Atomics.wait(this.ctl, C.TAIL, tail);
    }
  }
}

/** The main thread's side: turns slot `i` back into a reused TcpPacket. */
export class RingReader extends RingViews {
  /** The writer's time origin; null before its first frame. */
  get origin(): { sec: number; nsec: number } | null {
    const sec = this.state[F.ORIGIN_SEC]!;
    return sec < 0 ? null : { sec, nsec: this.state[F.ORIGIN_NSEC]! };
  }

  /** Bytes of the input the writer has read. */
  get position(): number {
    return this.state[F.POSITION]!;
  }

  /**
   * Fill `p` and `pkt` from record number `index`; returns 1 when its reason travels on the side
   * channel (the caller sets `p.reason`), else 0. Of `pkt`, only `frame`, `origlen` and
   * `beyondSnaplen` are the frame's (no sink reads more). `p.data` is the ring: options are at
   * `p.optOffset`, the payload is not carried (`payloadOffset` marks where it would start).
   */
  read(index: number, p: TcpPacket, pkt: CapturedPacket): number {
    const slot = index & this.mask;
    const w = slot * SLOT_WORDS;
    const u = this.u32;
    const meta = u[w + W.META]!;
    const code = meta & 3;
    p.status = STATUS[code]!;
    p.frame = pkt.frame = u[w + W.FRAME]!;
    p.time = this.f64[(w >> 1) + (W.TIME >> 1)]!;
    pkt.beyondSnaplen = (meta & META_BEYOND_SNAPLEN) !== 0;
    if (code === 0) {
      p.reason = '';
      p.frameLen = pkt.origlen = u[w + W.FRAME_LEN]!;
      if ((meta & META_V6) !== 0) {
        p.ipVersion = 6;
        const s = p.src6;
        const d = p.dst6;
        s[0] = u[w + W.SRC]!;
        s[1] = u[w + W.SRC6]!;
        s[2] = u[w + W.SRC6 + 1]!;
        s[3] = u[w + W.SRC6 + 2]!;
        d[0] = u[w + W.DST]!;
        d[1] = u[w + W.DST6]!;
        d[2] = u[w + W.DST6 + 1]!;
        d[3] = u[w + W.DST6 + 2]!;
      } else {
        p.ipVersion = 4;
        p.src4 = u[w + W.SRC]!;
        p.dst4 = u[w + W.DST]!;
      }
      const ports = u[w + W.PORTS]!;
      p.sport = ports & 0xffff;
      p.dport = ports >>> 16;
      p.seq = u[w + W.SEQ]!;
      p.ack = u[w + W.ACK]!;
      p.flags = (meta >>> 8) & 0x1ff;
      const hl = ((meta >>> 17) & 15) << 2;
      p.headerLen = hl;
      const wu = u[w + W.WIN_URG]!;
      p.win = wu & 0xffff;
      p.urg = wu >>> 16;
      const cp = u[w + W.CSUM_PAYLOAD]!;
      p.checksum = cp & 0xffff;
      const lw = u[w + W.LEN]!;
      if (lw !== 0xffffffff) {
        p.len = lw & LEN_MASK;
        p.ipLen = (lw >>> LEN_BITS) + p.len + hl;
      } else {
        p.len = u[w + W.LONG_LEN]!;
        p.ipLen = u[w + W.LONG_IP_LEN]!;
      }
      const pc = cp >>> 16;
      p.payloadCaptured = pc === 0xffff ? u[w + W.PAYLOAD_CAPTURED]! : pc;
      const optLen = hl - 20;
      p.optLen = optLen;
      p.optCaptured = (meta >>> 21) & 63;
      const opt = slot * SLOT_BYTES + OPT_BYTE;
      p.data = this.bytes;
      p.tcpOffset = opt - 20;
      p.optOffset = opt;
      p.payloadOffset = opt + optLen;
      if ((meta & META_ENCAP) === 0) {
        p.encapCount = 0;
        p.net = 0;
        return 0;
      }
      const n = u[w + W.ENCAP_COUNT]!;
      p.encapCount = n;
      p.net = this.f64[(w >> 1) + (W.NET >> 1)]!;
      {
        const b = this.bytes;
        const kb = slot * SLOT_BYTES + KIND_BYTE;
        const noId = u[w + W.ENCAP_NO_ID]!;
        const m = n < MAX_RECORDED ? n : MAX_RECORDED;
        for (let i = 0; i < m; i++) {
          p.encapKind[i] = b[kb + i]!;
          p.encapId[i] = (noId & (1 << i)) !== 0 ? -1 : u[w + W.ENCAP_ID + i]!;
        }
      }
      return 0;
    }
    if ((meta & META_REASON_INLINE) !== 0) {
      const at = slot * SLOT_BYTES + REASON_BYTE;
      p.reason = this.bytes.toString('utf8', at, at + (meta >>> 16));
      return 0;
    }
    p.reason = '';
    return (meta & META_REASON_SIDE) !== 0 ? 1 : 0;
  }
}
