/**
 * What the closing tables gather as connections end: the worst connections (full summaries, built
 * only for those kept) and the earliest findings, each bounded whatever the capture's size.
 */
import type { ConnectionSummary } from '../analyze/summary.js';
import { FirstFindings, WorstConnections } from './selection.js';
import type { ConnectionEnd } from './sink.js';

/** Connections the tables show (the worst first), findings listed, and up to how many connections get full tables. */
const WORST_SHOWN = 50;
const KEEP_FINDINGS = 200;
export const FULL_TABLES_UP_TO = 20;

export class TableCollector {
  /** Connections counted. */
  ended = 0;
  readonly worst: WorstConnections;
  readonly findings = new FirstFindings(KEEP_FINDINGS);

  constructor(allConnections: boolean) {
    this.worst = new WorstConnections(allConnections ? Infinity : WORST_SHOWN);
  }

  /** Count a finished connection; its summary is built only when the tables will show it. */
  add(e: ConnectionEnd): void {
    this.ended++;
    const c = e.conn;
    if (c.findings) for (const f of c.findings) this.findings.offer(f);
    if (this.worst.wants(e.health, c.firstFrame)) this.worst.offer(e.summary());
  }

  /** The connections to show in full or as overview rows. */
  get shown(): readonly ConnectionSummary[] {
    return this.worst.list;
  }
}
