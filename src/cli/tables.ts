/**
 * The closing tables of `analyze` (text and summary formats): what is gathered as connections end,
 * and how it is printed. One collector per pass; the parallel summary merges one per partition.
 */
import type { Connection } from '../analyze/connection.js';
import type { Finding } from '../analyze/findings.js';
import { FirstFindings, WorstConnections } from '../analyze/selection.js';
import { healthOf, summarize, type ConnectionSummary } from '../analyze/summary.js';

/** Connections the tables show (the worst first), findings listed, and up to how many connections get full tables. */
export const WORST_SHOWN = 50;
export const KEEP_FINDINGS = 200;
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

  /** Fold in what another pass gathered (its streams already renumbered). */
  merge(health: Readonly<Record<string, number>>, ended: number, worst: readonly ConnectionSummary[], findings: readonly Finding[]): void {
    for (const [k, n] of Object.entries(health)) this.health[k] = (this.health[k] ?? 0) + n;
    this.ended += ended;
    for (const s of worst) this.worst.offer(s);
    for (const f of findings) this.findings.offer(f);
  }
}
