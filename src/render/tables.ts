/**
 * The closing tables (`--format text` after the trace, `--format summary` alone): a table per
 * connection when there are few, an overview of the worst when there are many, the capture's
 * totals and the findings list.
 */
import Table from './table.js';
import type { Style } from './style.js';
import { FLAG_BY_NAME, FLAG_CATALOGUE, type AFlagName } from '../analyze/flags.js';
import { FINDING_CATALOGUE, type Finding, type FindingKind } from '../analyze/findings.js';
import { HEALTH_ORDER, type ConnectionSummary } from '../analyze/summary.js';
import type { DirectionStats } from '../analyze/stats.js';
import type { Totals } from '../analyze/tracker.js';
import { FULL_TABLES_UP_TO, TableCollector } from './table-collector.js';
import type { ConnectionEnd, RunCounts, RunEnd, Sink } from './sink.js';


function flagsCell(a: Partial<Record<AFlagName, number>>): string {
  const parts: string[] = [];
  for (const f of FLAG_CATALOGUE) {
    const n = a[f.name];
    if (n) parts.push(`${f.label}: ${n}`);
  }
  return parts.join('\n') || '—';
}

function findingsCell(f: ConnectionSummary['findings']): string {
  const parts = Object.entries(f).map(([k, n]) => `${k}: ${n}`);
  return parts.join('\n') || '—';
}

function healthText(s: Style, c: ConnectionSummary): string {
  switch (c.health) {
    case 'broken':
      return s.c.red.bold(c.verdict);
    case 'degraded':
      return s.c.yellow(c.verdict);
    case 'incomplete':
      return s.c.dim(c.verdict);
    case 'ok':
      return s.c.green(c.verdict);
  }
}

const ms = (t: number): string => (t * 1000).toFixed(1);

/** One direction's tcptrace numbers as the cells of the block below, in its row order. */
function statCells(d: DirectionStats): string[] {
  const w = d.window;
  const r = d.rtt;
  return [
    `${d.uniqueBytes} of ${d.dataBytes} B`,
    `${d.retransmittedPackets} pkts, ${d.retransmittedBytes} B`,
    `${d.duplicateAcks} (triple ${d.tripleDuplicateAcks})`,
    w ? `${w.min}–${w.max} avg ${w.avg}${d.zeroWindowAdverts ? ` 0×${d.zeroWindowAdverts}` : ''}` : '—',
    r ? `${r.samples}× ${ms(r.min)}/${ms(r.avg)}/${ms(r.max)} ±${ms(r.stddev)} ms` : '—',
    d.handshakeRtt !== null ? `${ms(d.handshakeRtt)} ms` : '—',
    d.throughput !== null ? `${d.throughput} B/s` : '—',
  ];
}
const STAT_LABELS = ['unique bytes', 'retransmitted', 'dup ACKs in', 'window', 'RTT min/avg/max', 'handshake RTT', 'throughput'];

/**
 * tcptrace's numbers, client → server beside server → client: a block of fixed-width text in one
 * cell (a nested table would double the borders). Each column is about the data that side sent:
 * its RTT, and the duplicate ACKs that came back for it ("dup ACKs in"), as in tcptrace's columns.
 */
export function statsBlock(c: ConnectionSummary): string {
  const a = statCells(c.client.stats);
  const b = statCells(c.server.stats);
  const wa = Math.max(15, ...a.map((x) => x.length)) + 2;
  const lines = [`${''.padEnd(16)}${'client → server'.padEnd(wa)}server → client`];
  for (let i = 0; i < STAT_LABELS.length; i++) lines.push(`${STAT_LABELS[i]!.padEnd(16)}${a[i]!.padEnd(wa)}${b[i]}`);
  return lines.join('\n');
}

function halfCloseText(c: ConnectionSummary): string {
  const h = c.halfClose;
  if (h === null) return '—';
  const peer = h.by === 'client' ? 'server' : 'client';
  const span = h.seconds !== null ? `${h.seconds.toFixed(6)} s to the ${peer}'s FIN` : `no FIN from the ${peer} seen`;
  return `${h.by} FIN at ${h.at.toFixed(6)} s; ${span}; ${h.bytes} bytes from the ${peer} after it`;
}

const tableStyle = (s: Style): { head: string[]; border: string[] } => (s.color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] });

/** The table for one connection. */
export function connectionTable(s: Style, c: ConnectionSummary): string {
  const t = new Table({ style: tableStyle(s), wordWrap: true, colWidths: [14, 70] });
  const ep = (e: ConnectionSummary['client']): string => `${e.addr}:${e.port}`;
  t.push(
    { [`stream ${c.stream}`]: `${ep(c.client)} (client) → ${ep(c.server)} (server)` },
    { start: `${c.start.toFixed(6)} s, lasted ${c.duration.toFixed(6)} s, frames ${c.firstFrame}–${c.lastFrame}${c.irtt !== null ? `, iRTT ${(c.irtt * 1000).toFixed(3)} ms` : ''}` },
    { 'client → server': `${c.client.packets} packets, ${c.client.bytes} bytes (${c.client.wireBytes} on the wire), ends ${c.client.state}` },
    { 'server → client': `${c.server.packets} packets, ${c.server.bytes} bytes (${c.server.wireBytes} on the wire), ends ${c.server.state}` },
    { closed: c.closed },
    { 'half-close': halfCloseText(c) },
    { tcptrace: statsBlock(c) },
    { 'conn_state': `${c.connState}  history ${c.history}` },
    { 'tshark flags': flagsCell(c.analysis) },
    { findings: findingsCell(c.findings) },
    { verdict: healthText(s, c) },
  );
  return t.toString();
}

/** Row separators left out: an overview is read down its columns. */
const COMPACT_ROWS = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/** One row per connection, for big captures. */
export function connectionsOverview(s: Style, list: readonly ConnectionSummary[]): string {
  const t = new Table({
    style: tableStyle(s),
    chars: COMPACT_ROWS,
    head: ['stream', 'client', 'server', 'pkts c→s/s→c', 'bytes c→s/s→c', 'state', 'flags', 'findings', 'verdict'],
  });
  for (const c of list) {
    const flags = Object.values(c.analysis).reduce((a, b) => a + (b ?? 0), 0);
    const finds = Object.values(c.findings).reduce((a, b) => a + (b ?? 0), 0);
    t.push([
      c.stream,
      `${c.client.addr}:${c.client.port}`,
      `${c.server.addr}:${c.server.port}`,
      `${c.client.packets}/${c.server.packets}`,
      `${c.client.bytes}/${c.server.bytes}`,
      c.connState,
      flags,
      finds,
      healthText(s, c),
    ]);
  }
  return t.toString();
}

const FINDING_KINDS = Object.keys(FINDING_CATALOGUE) as FindingKind[];

export function totalsTable(s: Style, counts: RunCounts, totals: Totals, health: Readonly<Record<string, number>>): string {
  const t = new Table({ style: tableStyle(s), head: ['capture', ''] });
  t.push(
    ['frames', counts.frames],
    ['TCP packets', counts.tcp],
    ['other frames (not TCP)', counts.other],
    ...(counts.fragments ? [['  of which IP fragments', `${counts.fragments} (TCP counted once, at the frame completing the datagram)`]] : []),
    ...Object.entries(counts.otherLinkTypes ?? {}).map(([lt, n]) => [`  of which link type ${lt} (not decoded)`, n]),
    ...(counts.beyondSnaplen ? [['longer than the snaplen (read whole)', counts.beyondSnaplen]] : []),
    ['truncated (snaplen) / malformed', `${counts.truncated} / ${counts.malformed}`],
    ['connections', totals.connections],
    // Fixed orders (worst verdict first, findings as catalogued), whatever order they were first met in.
    ['verdicts', HEALTH_ORDER.filter((k) => health[k]).map((k) => `${k}: ${health[k]}`).join(', ') || '—'],
  );
  const f = new Table({ style: tableStyle(s), head: ['tshark flag', 'packets', 'ackscope finding', 'count'] });
  const flagRows = FLAG_CATALOGUE.map((x, i) => [x.label, totals.flagCounts[i]!] as const).filter(([, n]) => n > 0);
  const findRows = FINDING_KINDS.filter((k) => totals.findingCounts[k]).map((k) => [k, totals.findingCounts[k]!] as const);
  for (let i = 0; i < Math.max(flagRows.length, findRows.length, 1); i++) {
    const a = flagRows[i];
    const b = findRows[i];
    f.push([a ? a[0] : i === 0 ? '—' : '', a ? a[1] : '', b ? b[0] : i === 0 ? '—' : '', b ? b[1] : '']);
  }
  return `${t.toString()}\n${f.toString()}`;
}

export function findingsList(s: Style, list: readonly Finding[]): string {
  return list
    .map((f) => `  frame ${String(f.frame).padStart(6)}  stream ${f.stream}  ${s.c.magenta(f.kind)}  ${f.explain}`)
    .join('\n');
}

export function flagDescription(name: AFlagName): string {
  return FLAG_BY_NAME[name].description;
}

/**
 * The closing tables: every connection in full when there are few; otherwise an overview of the
 * ones with problems (the worst 50), topped up with the first healthy ones to at least 10 rows so
 * that a clean capture still shows what it holds; then totals and the findings list.
 */
export class TablesSink implements Sink {
  readonly wantsPackets = false;
  private readonly t: TableCollector;

  constructor(private readonly write: (s: string) => void, private readonly style: Style, private readonly allConnections: boolean) {
    this.t = new TableCollector(allConnections);
  }

  connectionEnd(e: ConnectionEnd): void {
    this.t.add(e);
  }

  end(run: RunEnd): void {
    const { t, style, write } = this;
    if (t.ended <= FULL_TABLES_UP_TO || this.allConnections) {
      for (const s of t.shown.slice().sort(byStream)) write(connectionTable(style, s));
    } else {
      const problems = t.shown.filter((s) => s.health !== 'ok');
      const shown = t.shown.slice(0, Math.max(problems.length, OVERVIEW_MIN_ROWS)).sort(byStream);
      write(connectionsOverview(style, shown));
      const rest = t.ended - shown.length;
      if (rest > 0) {
        const left = HEALTH_ORDER
          .map((h) => [h, (run.health[h] ?? 0) - shown.filter((s) => s.health === h).length] as const)
          .filter(([, n]) => n > 0)
          .map(([h, n]) => `${n} ${h}`)
          .join(', ');
        write(style.c.dim(`… and ${rest} more connections (${left}): the worst are shown; --all-connections lists every one, --stream N shows one`));
      }
    }
    write(totalsTable(style, run.counts, run.totals, run.health));
    if (t.findings.list.length) {
      write(style.c.bold('Findings'));
      write(findingsList(style, t.findings.list));
    }
  }
}

const OVERVIEW_MIN_ROWS = 10;
const byStream = (a: ConnectionSummary, b: ConnectionSummary): number => a.stream - b.stream;
