/**
 * What the text tables keep of a big capture: the worst connections and the earliest findings,
 * each a bounded list chosen by a key that does not depend on the order connections end in, so
 * that two halves of a capture analysed apart and merged choose exactly what one pass would.
 */
import type { Finding } from './findings.js';
import type { ConnectionSummary, Health } from './summary.js';

export const HEALTH_RANK: Readonly<Record<Health, number>> = { broken: 0, degraded: 1, incomplete: 2, ok: 3 };

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
