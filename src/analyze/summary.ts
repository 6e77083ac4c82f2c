/**
 * The summary of one connection when it ends: who talked, how much, how it closed (in words and
 * as Zeek's conn_state code), what was flagged, and a one-line verdict.
 */
import { formatIPv4, formatIPv6 } from '../capture/addr.js';
import type { Connection, Flow } from './connection.js';
import type { TcpState } from './endpoint-state.js';
import type { ZeekConnState } from './zeek.js';
import { seqDiff } from './seq.js';
import { FLAG_CATALOGUE, type AFlagName } from './flags.js';
import { directionStats, type DirectionStats } from './stats.js';
import type { AckUnsentFinding, Finding, FindingKind, RstAfterFinFinding, Side } from './findings.js';

export interface EndpointSummary {
  addr: string;
  port: number;
  packets: number;
  /** Payload bytes (retransmissions included). */
  bytes: number;
  /** Frame bytes. */
  wireBytes: number;
  state: TcpState;
  finFrame: number | null;
  rstFrame: number | null;
  /** tcptrace's numbers for what this endpoint sent (stats.ts). */
  stats: DirectionStats;
}

/** The half-close: who sent the first FIN, when, and what the peer sent until the second FIN. */
export interface HalfClose {
  by: Side;
  /** Seconds since the first frame of the capture. */
  at: number;
  /** Seconds from the first FIN to the second; null when the second was not seen. */
  seconds: number | null;
  /** Payload bytes (by sequence number, each counted once) the peer sent after the first FIN. */
  bytes: number;
}

export type Health = 'ok' | 'degraded' | 'broken' | 'incomplete';
/** Verdicts from worst to best: the order tables list and rank them in. */
export const HEALTH_ORDER: readonly Health[] = ['broken', 'degraded', 'incomplete', 'ok'];

export interface ConnectionSummary {
  type: 'connection';
  stream: number;
  client: EndpointSummary;
  server: EndpointSummary;
  /** Seconds since the first frame of the capture. */
  start: number;
  duration: number;
  firstFrame: number;
  lastFrame: number;
  /** Initial round-trip time in seconds, or null when no handshake was seen. */
  irtt: number | null;
  halfClose: HalfClose | null;
  /** Zeek's conn_state code, by Zeek's rules (zeek.ts). */
  connState: ZeekConnState;
  /** Zeek's history string as Zeek writes it (upper case: Zeek's originator). */
  history: string;
  /** How the connection ended, in words. */
  closed: string;
  analysis: Partial<Record<AFlagName, number>>;
  findings: Partial<Record<FindingKind, number>>;
  health: Health;
  verdict: string;
  /** The first findings in full (bounded); not printed in JSON connection records. */
  details: readonly Finding[];
}

export type { ZeekConnState } from './zeek.js';

const NO_FINDINGS: readonly Finding[] = [];
const fmtT = (t: number): string => `${t.toFixed(3)} s`;
const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

function endpoint(c: Connection, idx: 0 | 1): EndpointSummary {
  const f = c.flows[idx];
  const duration = c.lastTime - c.firstTime;
  const isA = idx === 0;
  return {
    addr: c.ipVersion === 4 ? formatIPv4(isA ? c.a4 : c.b4) : formatIPv6((isA ? c.a6 : c.b6)!),
    port: isA ? c.pa : c.pb,
    packets: f.packets,
    bytes: f.bytes,
    wireBytes: f.wireBytes,
    state: f.ep.state,
    finFrame: f.finSent ? f.finFrame : null,
    rstFrame: f.rstSent ? f.rstFrame : null,
    stats: directionStats(f.st, f.packets, duration),
  };
}

function halfClose(c: Connection): HalfClose | null {
  const cl = c.flows[c.client];
  const sv = c.flows[c.client ^ 1]!;
  const first = cl.finSent && (!sv.finSent || cl.finTime <= sv.finTime) ? cl : sv.finSent ? sv : null;
  if (first === null) return null;
  const peer = first === cl ? sv : cl;
  return {
    by: first === cl ? 'client' : 'server',
    at: Math.round(first.finTime * 1e9) / 1e9,
    seconds: peer.finSent ? Math.round((peer.finTime - first.finTime) * 1e9) / 1e9 : null,
    bytes: peer.dataEndAtPeerFinSet ? Math.max(0, seqDiff(peer.dataEnd, peer.dataEndAtPeerFin)) : 0,
  };
}

/** "client half-closed at 0.002 s, server kept sending, client reset at 2.206 s with 5 server bytes unacknowledged" */
export function closeStory(c: Connection): string {
  const cl = c.flows[c.client];
  const sv = c.flows[c.client ^ 1]!;
  const who = (f: Flow): Side => (f === cl ? 'client' : 'server');
  const other = (f: Flow): Flow => (f === cl ? sv : cl);
  const parts: string[] = [];
  if (!cl.finSent && !sv.finSent && !cl.rstSent && !sv.rstSent) {
    if (!sv.seen) return 'no answer from the server';
    return 'still open at the end of the capture';
  }
  const fins = [cl, sv].filter((f) => f.finSent).sort((a, b) => a.finTime - b.finTime);
  const first = fins[0];
  if (first) {
    const peer = other(first);
    parts.push(`${who(first)} half-closed at ${fmtT(first.finTime)}`);
    const after = peer.dataEndAtPeerFinSet ? seqDiff(peer.dataEnd, peer.dataEndAtPeerFin) : 0;
    if (after > 0) parts.push(`${who(peer)} kept sending (${plural(after, 'byte')})`);
    const second = fins[1];
    if (second) parts.push(`${who(second)} closed at ${fmtT(second.finTime)}`);
  }
  const rst = [cl, sv].filter((f) => f.rstSent).sort((a, b) => a.rstTime - b.rstTime)[0];
  if (rst) {
    const raf = (c.findings ?? NO_FINDINGS).find((f): f is RstAfterFinFinding => f.kind === 'rst_after_fin' && f.frame === rst.rstFrame);
    const lost = raf && raf.unackedBytes > 0 ? ` with ${raf.unackedBytes} ${who(other(rst))} bytes unacknowledged` : '';
    parts.push(`${who(rst)} reset at ${fmtT(rst.rstTime)}${lost}`);
  } else if (fins.length === 2) {
    parts.push(cl.ep.state === 'CLOSED' || cl.ep.state === 'TIME-WAIT' ? 'closed cleanly' : 'last FIN not acknowledged in the capture');
  }
  return parts.join(', ');
}

/**
 * The health of a connection and, when `words` is given, its one-line verdict written there. One
 * function for both so they cannot disagree; without words it allocates nothing (most connections
 * of a big capture are only counted).
 */
function judge(c: Connection, words: { verdict: string } | null): Health {
  const found = c.findings;
  let bad: AckUnsentFinding | null = null;
  let raf: RstAfterFinFinding | null = null;
  if (found !== null) {
    for (const f of found) {
      if (bad === null && f.kind === 'ack_unsent' && f.verdict === 'broken_peer') bad = f;
      else if (raf === null && f.kind === 'rst_after_fin') raf = f;
    }
  }
  if (bad) {
    if (words) {
      const peer = bad.by === 'client' ? 'server' : 'client';
      const sig = bad.afterOwnFin && bad.beyond === 1 ? ' (after its own FIN, off by one: a NAT/proxy mishandling half-close, as VirtualBox NAT port forwarding does)' : '';
      words.verdict = `BROKEN: the ${bad.by} acknowledged ${plural(bad.beyond, 'byte')} the ${peer} never sent (frame ${bad.frame})${sig}; the ${peer} rejected it${lostText(raf)}`;
    }
    return 'broken';
  }
  if (raf) {
    if (words) words.verdict = `${raf.unackedBytes > 0 ? 'BROKEN' : 'RESET'}: the ${raf.resetBy} reset the connection after a half-close${lostText(raf)}`;
    return raf.unackedBytes > 0 ? 'broken' : 'degraded';
  }
  const fc = c.flagCounts;
  if (fc !== null) {
    const retrans = fc[I_RETRANS]! + fc[I_FAST]! + fc[I_SPURIOUS]!;
    const dups = fc[I_DUP]!;
    // A lone duplicate ACK (a pure ACK repeated after a FIN, say) costs nothing; three ask for a fast retransmit.
    const dupsCount = dups >= 3 || (retrans > 0 && dups > 0);
    if (retrans || dupsCount || fc[I_OOO] || fc[I_LOST] || fc[I_ZERO]) {
      if (words) {
        const problems: string[] = [];
        if (retrans) problems.push(plural(retrans, 'retransmission'));
        if (dupsCount) problems.push(plural(dups, 'duplicate ACK'));
        if (fc[I_OOO]) problems.push(`${fc[I_OOO]} out-of-order`);
        if (fc[I_LOST]) problems.push(`${fc[I_LOST]} not captured`);
        if (fc[I_ZERO]) problems.push(plural(fc[I_ZERO]!, 'zero window'));
        words.verdict = `DEGRADED: ${problems.join(', ')}`;
      }
      return 'degraded';
    }
  }
  if (c.flows[0].rstSent || c.flows[1].rstSent) {
    const cl = c.flows[c.client];
    const sv = c.flows[c.client ^ 1]!;
    // Zeek's REJ: the SYN was answered by a reset, not a SYN-ACK.
    const refused = cl.sawSyn && !sv.sawSyn && sv.rstSent && cl.bytes === 0;
    if (words) words.verdict = refused ? 'REFUSED: the server answered the SYN with a reset (nothing listening?)' : 'RESET: the connection was reset';
    return 'degraded';
  }
  if (!c.flows[0].finSent && !c.flows[1].finSent) {
    if (words) words.verdict = 'OPEN: no close seen in the capture';
    return 'incomplete';
  }
  if (words) words.verdict = 'OK: no acknowledgement problems';
  return 'ok';
}

const lostText = (raf: RstAfterFinFinding | null): string =>
  raf && raf.unackedBytes > 0 ? `; ${plural(raf.unackedBytes, 'byte')} from the ${raf.resetBy === 'client' ? 'server' : 'client'} lost` : '';

const flagIndex = (name: AFlagName): number => FLAG_CATALOGUE.findIndex((f) => f.name === name);
const I_RETRANS = flagIndex('retransmission');
const I_FAST = flagIndex('fast_retransmission');
const I_SPURIOUS = flagIndex('spurious_retransmission');
const I_DUP = flagIndex('duplicate_ack');
const I_OOO = flagIndex('out_of_order');
const I_LOST = flagIndex('lost_segment');
const I_ZERO = flagIndex('zero_window');

/** How a finished connection fared, without building its summary. */
export function healthOf(c: Connection): Health {
  return judge(c, null);
}

export function summarize(c: Connection): ConnectionSummary {
  const analysis: Partial<Record<AFlagName, number>> = {};
  if (c.flagCounts) {
    FLAG_CATALOGUE.forEach((f, i) => {
      const n = c.flagCounts![i]!;
      if (n) analysis[f.name] = n;
    });
  }
  const cl = c.flows[c.client];
  const sv = c.flows[c.client ^ 1]!;
  const words = { verdict: '' };
  const health = judge(c, words);
  const verdict = words.verdict;
  return {
    type: 'connection',
    stream: c.stream,
    client: endpoint(c, c.client),
    server: endpoint(c, (c.client ^ 1) as 0 | 1),
    start: c.firstTime,
    duration: c.lastTime - c.firstTime,
    firstFrame: c.firstFrame,
    lastFrame: c.lastFrame,
    irtt: c.irtt >= 0 ? c.irtt : null,
    halfClose: halfClose(c),
    connState: c.zeek.connState(),
    history: c.zeek.history,
    closed: closeStory(c),
    analysis,
    findings: { ...(c.findingCounts ?? {}) },
    health,
    verdict,
    details: c.findings ?? NO_FINDINGS,
  };
}
