/**
 * IP fragment reassembly (RFC 791, RFC 8200 §4.5) as tshark 4.0 does it by default
 * (`ip.defragment`, `ipv6.defragment`):
 * - fragments are kept sorted by offset, equal offsets in arrival order;
 * - the first last-fragment (MF = 0) seen fixes the datagram's length; bytes past it are dropped;
 * - the datagram is complete when bytes 0 … length − 1 are covered without a gap, and is then built
 *   in sorted order with **bytes already written winning** (on an overlap the lower offset wins, at
 *   equal offsets the earlier arrival);
 * - it is decoded in the frame that completed it; once complete, its key is free again.
 *
 * Bounds, which tshark does not have (it keeps fragments for the whole file): a datagram not
 * completed within {@link DefragLimits.timeout} seconds of capture time after its first fragment is
 * dropped (Linux's ipfrag_time is 30 s), as are the oldest ones when more than `maxDatagrams` are
 * open or more than `maxBytes` are held; a datagram of more than `maxFragments` fragments or past
 * 65 535 bytes is dropped. Memory therefore grows with the fragments in flight, never with the file.
 */

export interface DefragLimits {
  timeout: number;
  maxDatagrams: number;
  maxBytes: number;
  maxFragments: number;
}

export const DEFAULT_DEFRAG_LIMITS: DefragLimits = { timeout: 30, maxDatagrams: 4096, maxBytes: 16 << 20, maxFragments: 512 };

/** Largest datagram payload rebuilt: IPv4 offset 8191 × 8 plus a fragment, well past 65 535. */
const MAX_DATAGRAM = 65535 + 8;

interface Fragment {
  off: number;
  bytes: Buffer;
}

interface Datagram {
  first: number;
  /** Payload length once a last fragment is seen; -1 before. */
  length: number;
  held: number;
  frags: Fragment[];
}

export type DefragResult =
  /** Held: reassembled in a later frame, maybe. */
  | 'held'
  /** This datagram broke a bound and was dropped. */
  | 'dropped'
  | Buffer;

export class Defrag {
  private readonly open = new Map<string, Datagram>();
  private held = 0;
  /** Datagrams dropped by a bound or a timeout. */
  dropped = 0;
  /** Datagrams rebuilt. */
  completed = 0;

  constructor(private readonly limits: DefragLimits = DEFAULT_DEFRAG_LIMITS) {}

  /** Bytes held in open datagrams (for tests). */
  get bytesHeld(): number {
    return this.held;
  }
  get openDatagrams(): number {
    return this.open.size;
  }

  /** Add the fragment `payload` (copied) at byte `offset`; `last`: MF clear. */
  add(key: string, time: number, offset: number, last: boolean, payload: Uint8Array): DefragResult {
    this.expire(time);
    let d = this.open.get(key);
    if (d === undefined) {
      d = { first: time, length: -1, held: 0, frags: [] };
      this.open.set(key, d);
    }
    const end = offset + payload.length;
    if (end > MAX_DATAGRAM || d.frags.length >= this.limits.maxFragments) {
      this.drop(key, d);
      return 'dropped';
    }
    if (last && d.length < 0) d.length = end;
    // Sorted by offset; equal offsets in arrival order.
    let i = d.frags.length;
    while (i > 0 && d.frags[i - 1]!.off > offset) i--;
    d.frags.splice(i, 0, { off: offset, bytes: Buffer.from(payload) });
    d.held += payload.length;
    this.held += payload.length;
    while (this.held > this.limits.maxBytes || this.open.size > this.limits.maxDatagrams) {
      const [k, oldest] = this.open.entries().next().value as [string, Datagram];
      this.drop(k, oldest);
      if (k === key) return 'dropped';
    }
    if (d.length < 0) return 'held';
    let covered = 0;
    for (const f of d.frags) {
      if (f.off > covered) return 'held';
      const e = f.off + f.bytes.length;
      if (e > covered) covered = e;
      if (covered >= d.length) break;
    }
    if (covered < d.length) return 'held';
    const out = Buffer.alloc(d.length);
    covered = 0;
    for (const f of d.frags) {
      const e = Math.min(f.off + f.bytes.length, d.length);
      const s = Math.max(f.off, covered);
      if (s < e) f.bytes.copy(out, s, s - f.off, e - f.off);
      if (e > covered) covered = e;
      if (covered >= d.length) break;
    }
    this.open.delete(key);
    this.held -= d.held;
    this.completed++;
    return out;
  }

  private drop(key: string, d: Datagram): void {
    this.open.delete(key);
    this.held -= d.held;
    this.dropped++;
  }

  /** Drop datagrams whose first fragment is older than the timeout (oldest first, in insertion order). */
  private expire(now: number): void {
    for (const [k, d] of this.open) {
      if (now - d.first <= this.limits.timeout) break;
      this.drop(k, d);
    }
  }
}
