/**
 * What the closing tables of `analyze` (text and summary formats) gather as connections end.
 */
import type { Connection } from '../analyze/connection.js';
import { FirstFindings, WorstConnections } from '../analyze/selection.js';
import { healthOf, summarize, type ConnectionSummary } from '../analyze/summary.js';

/** Connections the tables show (the worst first), findings listed, and up to how many connections get full tables. */
const WORST_SHOWN = 50;
const KEEP_FINDINGS = 200;
export const FULL_TABLES_UP_TO = 20;

export class TableCollector {
  readonly health: Record<string, number> = {};
  /** Connections counted (those that passed the filters). */
  ended = 0;
  readonly worst: WorstConnections;
  readonly findings = new FirstFindings(KEEP_FINDINGS);

  constructor(allConnections: boolean) {
    this.worst = new WorstConnections(allConnections ? Infinity : WORST_SHOWN);
  }

  /**
   * Count a finished connection. Its summary is built only when the tables will show it or
   * `need` says the caller wants it anyway; returned when built.
   */
  add(c: Connection, need: boolean): ConnectionSummary | null {
    const h = healthOf(c);
    this.health[h] = (this.health[h] ?? 0) + 1;
    this.ended++;
    const s = need || this.worst.wants(h, c.firstFrame) ? summarize(c) : null;
    if (c.findings) for (const f of c.findings) this.findings.offer(f);
    if (s) this.worst.offer(s);
    return s;
  }
}
