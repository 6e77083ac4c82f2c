/**
 * What the text tables keep of a big capture: the worst connections and the earliest findings,
 * each a bounded list chosen by a key of its own (health and first frame, frame), not by the order
 * in which connections happen to end.
 */
import type { Finding } from '../analyze/findings.js';
import { HEALTH_ORDER, type ConnectionSummary, type Health } from '../analyze/summary.js';

const HEALTH_RANK = Object.fromEntries(HEALTH_ORDER.map((h, i) => [h, i])) as Readonly<Record<Health, number>>;

/** The `limit` worst connections: by health (broken first), then by first frame (= stream order). */
export class WorstConnections {
  /** Sorted best-first by (rank, firstFrame): the last entry is the first to go. */
  readonly list: ConnectionSummary[] = [];

  constructor(readonly limit: number) {}

  /** Would a connection of this health starting at this frame be kept? (Build its summary only then.) */
  wants(health: Health, firstFrame: number): boolean {
    if (this.list.length < this.limit) return true;
    const last = this.list[this.list.length - 1]!;
    return before(HEALTH_RANK[health], firstFrame, last);
  }

  offer(s: ConnectionSummary): void {
    if (!this.wants(s.health, s.firstFrame)) return;
    const r = HEALTH_RANK[s.health];
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(r, s.firstFrame, this.list[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    this.list.splice(lo, 0, s);
    if (this.list.length > this.limit) this.list.pop();
  }
}

function before(rank: number, firstFrame: number, s: ConnectionSummary): boolean {
  const r = HEALTH_RANK[s.health];
  return rank < r || (rank === r && firstFrame < s.firstFrame);
}

/** The `limit` findings of the lowest frame numbers, in frame order (ties keep their order). */
export class FirstFindings {
  readonly list: Finding[] = [];

  constructor(readonly limit: number) {}

  offer(f: Finding): void {
    const n = this.list.length;
    if (n >= this.limit && f.frame >= this.list[n - 1]!.frame) return;
    let i = n;
    while (i > 0 && this.list[i - 1]!.frame > f.frame) i--;
    this.list.splice(i, 0, f);
    if (this.list.length > this.limit) this.list.pop();
  }
}
