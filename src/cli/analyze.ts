/**
 * `ackscope analyze`: read a capture (file, stdin or interface), decode, track, and render.
 */
import { Decoder, parseTcpOptions } from '../capture/decode.js';
import { CaptureError, ExitCode } from '../capture/errors.js';
import type { CapturedPacket, PacketSource } from '../capture/packet.js';
import { TcpOptions, TcpPacket } from '../capture/tcp-packet.js';
import type { Connection } from '../analyze/connection.js';
import { BAD_TCP_MASK, FLAG_CATALOGUE } from '../analyze/flags.js';
import type { Finding } from '../analyze/findings.js';
import { connectionRecord, packetRecord, stringifyRecord } from '../analyze/render-json.js';
import { traceLineParts } from '../analyze/render-line.js';
import {
  connectionsOverview,
  connectionTable,
  findingLine,
  findingsList,
  stateLine,
  styledLine,
  totalsTable,
  type RunCounts,
} from '../analyze/render-text.js';
import { HEALTH_ORDER, type ConnectionSummary } from '../analyze/summary.js';
import { DEFAULT_TRACKER_OPTIONS, Tracker, type Totals } from '../analyze/tracker.js';
import { DeferredOutput } from './deferred.js';
import { connMatches, hostMatches, type HostFilter } from './filter.js';
import { Output } from './output.js';
import { makeStyle, type Style } from '../analyze/style.js';
import { FULL_TABLES_UP_TO, TableCollector } from './tables.js';

export type Format = 'text' | 'json' | 'summary';

export interface AnalyzeOptions {
  format: Format;
  color: boolean;
  /** Print endpoint state changes under packets (text). */
  states: boolean;
  stream?: number;
  host?: HostFilter;
  port?: number;
  anomaliesOnly: boolean;
  /** Full tables for every connection, however many. */
  allConnections: boolean;
  /** Seconds of capture time to hold a line whose finding awaits evidence. */
  horizon?: number;
  /** Called with every connection's summary as it ends (after filters). */
  onConnection?: (s: ConnectionSummary) => void;
}

export interface AnalyzeRun {
  /** Process exit status. */
  code: number;
  counts: RunCounts;
}

/** Run the analysis of `src`, writing data to stdout and the one-line error, if any, to stderr. */
export async function analyzeSource(src: PacketSource, o: AnalyzeOptions, out = new Output()): Promise<AnalyzeRun> {
  const style = await makeStyle(o.color);
  const decoder = new Decoder();
  const p = new TcpPacket();
  const opts = new TcpOptions();
  const counts: RunCounts = { frames: 0, tcp: 0, other: 0, truncated: 0, malformed: 0, beyondSnaplen: 0 };
  const tables = new TableCollector(o.allConnections);
  const emit = (s: string): void => out.line(s);
  const deferred = new DeferredOutput(emit, o.horizon ?? 3);

  const onConnectionEnd = (c: Connection): void => {
    if (!connMatches(o, c)) return;
    const s = tables.add(c, o.onConnection !== undefined || o.format === 'json');
    if (s && o.onConnection) o.onConnection(s);
    if (o.format === 'json') {
      const rec = stringifyRecord(connectionRecord(s!));
      deferred.add(-Infinity, FINISHED, [], () => rec);
    }
  };
  const tracker = new Tracker(DEFAULT_TRACKER_OPTIONS, onConnectionEnd);
  const perPacket = o.format !== 'summary';

  const onPacket = (pkt: CapturedPacket): void => {
    counts.frames++;
    if (pkt.beyondSnaplen) counts.beyondSnaplen!++;
    decoder.decode(pkt, p);
    const time = p.time;
    if (p.status !== 'tcp') {
      if (p.status === 'other') {
        counts.other++;
        return;
      }
      if (p.status === 'truncated') counts.truncated++;
      else counts.malformed++;
      if (perPacket && o.stream === undefined) {
        if (o.format === 'json') {
          const rec = JSON.stringify({ type: p.status, frame: pkt.frame, time: Math.round(time * 1e9) / 1e9, reason: p.reason });
          deferred.add(time, FINISHED, [], () => rec);
        } else {
          const line = `${String(pkt.frame).padStart(5)} ${time.toFixed(6).padStart(11)} ${style.c.red.bold(`[${p.status}]`)} ${p.reason}`;
          deferred.add(time, FINISHED, [], () => line);
        }
      }
      return;
    }
    counts.tcp++;
    const r = tracker.process(p, p.data);
    if (!perPacket) return;
    if (o.stream !== undefined && r.stream !== o.stream) return;
    if (o.port !== undefined && p.sport !== o.port && p.dport !== o.port) return;
    if (o.host && !hostMatches(o.host, p)) return;
    const hasFindings = r.findings.length > 0;
    if (o.anomaliesOnly && !(r.verdict.flags & BAD_TCP_MASK) && !hasFindings) {
      deferred.release(time);
      return;
    }
    parseTcpOptions(p.data, p.optOffset, p.optCaptured, opts);
    const conn: Connection = r.conn;
    const found = hasFindings ? r.findings.slice() : NO_FINDINGS;
    if (o.format === 'json') {
      const rec = packetRecord(p, time, opts, r);
      deferred.add(time, conn, found, () => stringifyRecord(rec));
      return;
    }
    const parts = traceLineParts(p, time, r, opts, conn.flows[r.dir ^ 1]!.baseSeq);
    const head = styledLine(style, parts, r.verdict.flags, hasFindings);
    const extra: string[] = [];
    if (o.states) {
      if (r.clientChange) extra.push(stateLine(style, 'client', r.clientChange));
      if (r.serverChange) extra.push(stateLine(style, 'server', r.serverChange));
    }
    deferred.add(time, conn, found, () => {
      let s = head;
      for (const f of found) s += '\n' + findingLine(style, f);
      for (const e of extra) s += '\n' + e;
      return s;
    });
  };

  let code: number = ExitCode.Ok;
  try {
    await src.run(onPacket, out.pace);
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    // Keep everything analysed so far, then say what went wrong.
    tracker.finish();
    deferred.release(Infinity);
    await finishOutput();
    await out.end();
    process.stderr.write(`ackscope: ${e.message}\n`);
    return { code: e.exitCode, counts };
  }
  tracker.finish();
  deferred.release(Infinity);
  await finishOutput();
  await out.end();
  return { code, counts };

  async function finishOutput(): Promise<void> {
    counts.fragments = decoder.fragmentsHeld;
    counts.otherLinkTypes = Object.fromEntries(decoder.otherLinkTypes);
    if (o.format === 'json') {
      emit(
        JSON.stringify({
          type: 'summary',
          frames: counts.frames,
          tcpPackets: counts.tcp,
          otherFrames: counts.other,
          truncated: counts.truncated,
          malformed: counts.malformed,
          ...(counts.beyondSnaplen ? { beyondSnaplen: counts.beyondSnaplen } : {}),
          ...(counts.fragments ? { fragments: counts.fragments } : {}),
          ...(decoder.otherLinkTypes.size ? { otherLinkTypes: counts.otherLinkTypes } : {}),
          connections: tracker.totals.connections,
          analysis: Object.fromEntries(
            Object.entries(flagCountsByName(tracker.totals.flagCounts)).filter(([, n]) => n > 0),
          ),
          findings: tracker.totals.findingCounts,
          health: tables.health,
        }),
      );
      return;
    }
    if (o.format === 'text') emit('');
    renderTables(emit, style, o.allConnections, counts, tracker.totals, tables);
  }
}

/**
 * The closing tables: every connection in full when there are few; otherwise an overview of the
 * ones with problems (the worst 50), topped up with the first healthy ones to at least 10 rows so
 * that a clean capture still shows what it holds; then totals and the findings list.
 */
function renderTables(emit: (s: string) => void, style: Style, allConnections: boolean, counts: RunCounts, totals: Totals, t: TableCollector): void {
  if (t.ended <= FULL_TABLES_UP_TO || allConnections) {
    for (const s of t.worst.list.slice().sort(byStream)) emit(connectionTable(style, s));
  } else {
    const problems = t.worst.list.filter((s) => s.health !== 'ok');
    const shown = t.worst.list.slice(0, Math.max(problems.length, OVERVIEW_MIN_ROWS)).sort(byStream);
    emit(connectionsOverview(style, shown));
    const rest = t.ended - shown.length;
    if (rest > 0) {
      const left = HEALTH_ORDER
        .map((h) => [h, (t.health[h] ?? 0) - shown.filter((s) => s.health === h).length] as const)
        .filter(([, n]) => n > 0)
        .map(([h, n]) => `${n} ${h}`)
        .join(', ');
      emit(style.c.dim(`… and ${rest} more connections (${left}): the worst are shown; --all-connections lists every one, --stream N shows one`));
    }
  }
  emit(totalsTable(style, counts, totals, t.health));
  if (t.findings.list.length) {
    emit(style.c.bold('Findings'));
    emit(findingsList(style, t.findings.list));
  }
}

const OVERVIEW_MIN_ROWS = 10;
const byStream = (a: ConnectionSummary, b: ConnectionSummary): number => a.stream - b.stream;

const NO_FINDINGS: readonly Finding[] = [];
/** Stand-in connection for lines that never wait (non-TCP frames, connection records). */
const FINISHED = { finished: true } as Connection;

function flagCountsByName(c: Uint32Array): Record<string, number> {
  const out: Record<string, number> = {};
  FLAG_NAMES.forEach((n, i) => (out[n] = c[i]!));
  return out;
}
const FLAG_NAMES = FLAG_CATALOGUE.map((f) => f.name);
