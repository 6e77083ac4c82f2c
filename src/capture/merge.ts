/**
 * Several captures read as one, in time-stamp order, as `mergecap` merges them: a k-way merge on
 * each frame's absolute capture time, ties going to the capture listed later (mergecap's rule).
 *
 * Every source runs at once, each pushing its frames into its own queue (copied: a source reuses
 * its buffers). A source is held at its next `pace()` call (between input slices, see packet.ts)
 * until the merge has taken everything it queued, and the merge delivers only while every source
 * that is not finished has something queued, so the smallest time stamp is always known. Memory:
 * one input slice per source, whatever the files' sizes.
 *
 * A source that fails (a corrupt record) counts as finished from there; its error is returned
 * with the others', after everything readable has been delivered.
 */
import { CaptureError } from './errors.js';
import type { CapturedPacket, Pace, PacketSource } from './packet.js';

/** A frame as the merge delivers it: the source's own frame number, and which source. */
export type MergeSink = (source: number, pkt: CapturedPacket) => void;

/** A frame copied into its lane's arena until its turn comes. */
type Queued = CapturedPacket;

class Lane {
  readonly queue: Queued[] = [];
  /** Reused records: queue[i] is pool[i]. */
  private readonly pool: Queued[] = [];
  head = 0;
  private arena = Buffer.allocUnsafe(512 * 1024);
  private used = 0;
  done = false;
  error: CaptureError | null = null;
  stop = false;
  private resume: (() => void) | null = null;
  private ready: (() => void) | null = null;

  constructor(readonly src: PacketSource) {}

  get empty(): boolean {
    return this.head >= this.queue.length;
  }

  push = (pkt: CapturedPacket): void => {
    if (this.used + pkt.caplen > this.arena.length) {
      // Earlier records keep the old arena; the new one serves the rest of this slice.
      this.arena = Buffer.allocUnsafe(Math.max(this.arena.length, pkt.caplen));
      this.used = 0;
    }
    pkt.data.copy(this.arena, this.used, pkt.offset, pkt.offset + pkt.caplen);
    const n = this.queue.length;
    let q = this.pool[n];
    if (q === undefined) this.pool.push((q = { frame: 0, data: this.arena, offset: 0, caplen: 0, origlen: 0, tsSec: 0, tsNsec: 0, linktype: 0, interfaceId: 0, beyondSnaplen: false }));
    q.frame = pkt.frame;
    q.data = this.arena;
    q.offset = this.used;
    q.caplen = pkt.caplen;
    q.origlen = pkt.origlen;
    q.tsSec = pkt.tsSec;
    q.tsNsec = pkt.tsNsec;
    q.linktype = pkt.linktype;
    q.interfaceId = pkt.interfaceId;
    q.beyondSnaplen = pkt.beyondSnaplen;
    this.queue.push(q);
    this.used += pkt.caplen;
  };

  /** The source's pace: hold it while what it queued waits to be merged. */
  pace: Pace = () => {
    if (this.stop) return 'stop';
    if (this.empty) return undefined;
    const p = new Promise<void>((resolve) => (this.resume = resolve));
    this.signal();
    return p;
  };

  /** Resolves once the lane has something queued or is finished. */
  whenReady(): Promise<void> | null {
    if (!this.empty || this.done) return null;
    return new Promise<void>((resolve) => (this.ready = resolve));
  }

  signal(): void {
    const r = this.ready;
    this.ready = null;
    r?.();
  }

  /** Everything queued was merged: let the source read on. */
  drained(): void {
    this.queue.length = 0;
    this.head = 0;
    this.used = 0;
    const r = this.resume;
    this.resume = null;
    r?.();
  }

  finish(e: unknown): void {
    if (e instanceof CaptureError) this.error = e;
    else if (e !== undefined) this.error = new CaptureError(this.src.name, 0, 0, e instanceof Error ? e.message : String(e));
    this.done = true;
    this.signal();
  }
}

/**
 * `a` goes before `b`, the frame of an earlier-listed capture: mergecap's `is_earlier` is true for
 * equal times too and it scans the captures in order, so on a tie the capture listed later wins
 * (checked with mergecap 4.0: two files with equal time stamps come out later file first).
 */
const notLater = (a: Queued, b: Queued): boolean => a.tsSec < b.tsSec || (a.tsSec === b.tsSec && a.tsNsec <= b.tsNsec);

/**
 * Run `sources` merged into `sink`. `pace` is the consumer's (asked between refills). Resolves with
 * each source's error (null when it read to the end); errors that are not about the content (a
 * file that cannot be read) reject.
 */
export async function runMerged(sources: readonly PacketSource[], sink: MergeSink, pace?: Pace): Promise<(CaptureError | null)[]> {
  const lanes = sources.map((s) => new Lane(s));
  let fatal: unknown;
  const runs = lanes.map((l) =>
    l.src.run(l.push, l.pace).then(
      () => l.finish(undefined),
      (e: unknown) => {
        if (e instanceof CaptureError) l.finish(e);
        else {
          fatal ??= e;
          l.finish(undefined);
        }
      },
    ),
  );
  const out: CapturedPacket = { frame: 0, data: Buffer.alloc(0), offset: 0, caplen: 0, origlen: 0, tsSec: 0, tsNsec: 0, linktype: 0, interfaceId: 0, beyondSnaplen: false };
  let stopped = false;
  for (;;) {
    const waits = lanes.map((l) => l.whenReady()).filter((w): w is Promise<void> => w !== null);
    if (waits.length) await Promise.all(waits);
    if (fatal !== undefined) break;
    if (lanes.every((l) => l.done && l.empty)) break;
    // Deliver while every unfinished lane has a frame queued.
    for (;;) {
      let best = -1;
      let blocked = false;
      for (let i = 0; i < lanes.length; i++) {
        const l = lanes[i]!;
        if (l.empty) {
          if (!l.done) blocked = true;
          continue;
        }
        if (best < 0 || notLater(l.queue[l.head]!, lanes[best]!.queue[lanes[best]!.head]!)) best = i;
      }
      if (blocked || best < 0) break;
      const l = lanes[best]!;
      const q = l.queue[l.head++]!;
      Object.assign(out, q);
      sink(best, out);
      if (l.empty) l.drained();
    }
    const w = pace?.();
    if (w === 'stop') {
      stopped = true;
      break;
    }
    if (w !== undefined) await w;
  }
  if (stopped || fatal !== undefined) for (const l of lanes) {
    l.stop = true;
    l.drained();
  }
  await Promise.all(runs);
  if (fatal !== undefined) throw fatal;
  return lanes.map((l) => l.error);
}
