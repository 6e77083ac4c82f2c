/**
 * The 4-tuples of recently finished connections. tshark never forgets a conversation, so a SYN
 * that comes back on the 4-tuple of one, however long ago, is `reused_ports` to it; ackscope drops
 * a closed connection after its linger to bound memory, and keeps only a fingerprint of its tuple
 * here so that it can still say so: its 30-bit tupleHash and a second, independent 32-bit hash.
 *
 * Bounded: the tuples of the last `capacity` finishes (a tuple that finishes again counts from its
 * latest finish), the oldest forgotten first. Two typed arrays, 16 bytes per entry in all, allocated once: a ring of fingerprints
 * in the order they came, and an open-addressing index into the ring (linear probing, entries
 * shifted back on removal, so no tombstones pile up). A JS Set of doubles cost ten times as much
 * memory: 20 MB for 131 072 tuples.
 */
export class FinishedTuples {
  /** Fingerprints in arrival order, two words each; the first word is -1 where one was removed. */
  private readonly ring: Int32Array;
  /** Ring slot + 1 at each probe position; 0 = empty. */
  private readonly index: Int32Array;
  private readonly mask: number;
  /** Next ring slot to write (the oldest entry once the ring is full). */
  private head = 0;
  private used = 0;
  size = 0;

  constructor(readonly capacity: number) {
    const cap = Math.max(0, capacity);
    this.ring = new Int32Array(cap * 2).fill(-1);
    let n = 1;
    while (n < cap * 2) n *= 2;
    this.index = new Int32Array(cap > 0 ? n : 0);
    this.mask = n - 1;
  }

  /** Record a finish of the tuple whose hashes are `h` (tupleHash, 0..2^30-1) and `h2`. */
  add(h: number, h2: number): void {
    if (this.capacity <= 0) return;
    const at = this.find(h, h2);
    if (at >= 0) {
      // Finished again: forget its old place in the order.
      this.ring[(this.index[at]! - 1) * 2] = -1;
      this.removeAt(at);
    }
    const ring = this.ring;
    if (this.used === this.capacity) {
      const oh = ring[this.head * 2]!;
      if (oh !== -1) this.removeAt(this.find(oh, ring[this.head * 2 + 1]!));
    } else {
      this.used++;
    }
    ring[this.head * 2] = h;
    ring[this.head * 2 + 1] = h2;
    let i = home(h, h2, this.mask);
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = this.head + 1;
    this.size++;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
  }

  has(h: number, h2: number): boolean {
    return this.capacity > 0 && this.find(h, h2) >= 0;
  }

  /** Probe position holding the tuple, or -1. */
  private find(h: number, h2: number): number {
    const ring = this.ring;
    for (let i = home(h, h2, this.mask); ; i = (i + 1) & this.mask) {
      const slot = this.index[i]!;
      if (slot === 0) return -1;
      if (ring[(slot - 1) * 2] === h && ring[(slot - 1) * 2 + 1] === h2) return i;
    }
  }

  /** Empty probe position `i` and shift later entries of the run back into it. */
  private removeAt(i: number): void {
    const mask = this.mask;
    const ring = this.ring;
    this.index[i] = 0;
    this.size--;
    for (let j = (i + 1) & mask; this.index[j] !== 0; j = (j + 1) & mask) {
      const e = (this.index[j]! - 1) * 2;
      const k = home(ring[e]!, ring[e + 1]!, mask);
      // Entry j may move to i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < k && k <= j : i < k || k <= j;
      if (stays) continue;
      this.index[i] = this.index[j]!;
      this.index[j] = 0;
      i = j;
    }
  }
}

function home(h: number, h2: number, mask: number): number {
  return (h ^ Math.imul(h2, 0x9e3779b1)) & mask;
}
