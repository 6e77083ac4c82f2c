/**
 * `ackscope analyze`'s wiring: a capture source (file, stdin or interface) → decoder → tracker →
 * the output sinks chosen by the options. Rendering lives in src/render; this file only connects.
 */
import { parseTcpOptions } from '../capture/decode.js';
import { DecodingSource, isDecodedSource, type DecodedSource } from '../capture/decoded.js';
import { CaptureError, ExitCode } from '../capture/errors.js';
import type { CapturedPacket, PacketSource } from '../capture/packet.js';
import { TcpOptions, TcpPacket } from '../capture/tcp-packet.js';
import type { Connection } from '../analyze/connection.js';
import { BAD_TCP_MASK } from '../analyze/flags.js';
import { healthOf, summarize, type ConnectionSummary, type Health } from '../analyze/summary.js';
import { DEFAULT_TRACKER_OPTIONS, Tracker } from '../analyze/tracker.js';
import { JsonSink } from '../render/json.js';
import { Output } from '../render/output.js';
import type { ConnectionEnd, PacketView, RunCounts, RunEnd, Sink } from '../render/sink.js';
import { makeStyle } from '../render/style.js';
import { TablesSink } from '../render/tables.js';
import { TraceSink } from '../render/trace.js';
import { connMatches, hostMatches, type HostFilter } from './filter.js';

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

/** The sinks that make up a format, writing to `out`. */
export async function formatSinks(o: AnalyzeOptions, out: Output): Promise<Sink[]> {
  const write = (s: string): void => out.line(s);
  const horizon = o.horizon ?? 3;
  switch (o.format) {
    case 'json':
      return [new JsonSink(write, horizon)];
    case 'summary':
      return [new TablesSink(write, await makeStyle(o.color), o.allConnections)];
    case 'text': {
      const style = await makeStyle(o.color);
      return [new TraceSink(write, style, { states: o.states, horizon }), new TablesSink(write, style, o.allConnections)];
    }
  }
}

/** Run the analysis of `src` into the format's sinks on stdout; the one-line error, if any, to stderr. */
export async function analyzeSource(src: PacketSource | DecodedSource, o: AnalyzeOptions, out = new Output()): Promise<AnalyzeRun> {
  const sinks = await formatSinks(o, out);
  if (o.onConnection) sinks.push(callbackSink(o.onConnection));
  const run = await runPipeline(src, o, sinks, out.pace);
  await out.end();
  if (run.error) process.stderr.write(`ackscope: ${run.error.message}\n`);
  return { code: run.error ? run.error.exitCode : ExitCode.Ok, counts: run.end.counts };
}

/** A sink that hands every ended connection's summary to a callback (the reproducer's verdict). */
function callbackSink(f: (s: ConnectionSummary) => void): Sink {
  return { wantsPackets: false, connectionEnd: (e) => f(e.summary()), end: () => {} };
}

export interface PipelineResult {
  end: RunEnd;
  /** The bad record that stopped reading, if one did (everything before it was analysed). */
  error: CaptureError | null;
}

/**
 * Decode and track every frame of `src`, telling `sinks` about packets that pass the display
 * filters (--stream/--host/--port/--anomalies-only), connections that pass the connection filters,
 * and the end. A bad record ends the input: the sinks still get their end, then the error is returned.
 */
export async function runPipeline(input: PacketSource | DecodedSource, o: AnalyzeOptions, sinks: readonly Sink[], pace?: Parameters<PacketSource['run']>[1]): Promise<PipelineResult> {
  const src = isDecodedSource(input) ? input : new DecodingSource(input);
  const opts = new TcpOptions();
  const counts: RunCounts = { frames: 0, tcp: 0, other: 0, truncated: 0, malformed: 0, beyondSnaplen: 0 };
  const health: Record<string, number> = {};
  let connections = 0;
  const packetSinks = sinks.filter((s) => s.wantsPackets && s.packet);
  const problemSinks = sinks.filter((s) => s.wantsPackets && s.frameProblem);
  const endSinks = sinks.filter((s) => s.connectionEnd);
  const perPacket = packetSinks.length > 0;
  const view: PacketView = { pkt: null as unknown as CapturedPacket, p: null as unknown as TcpPacket, opts, r: null as unknown as PacketView['r'], time: 0 };

  const ended = new EndedConnection();
  const onConnectionEnd = (c: Connection): void => {
    if (!connMatches(o, c)) return;
    connections++;
    ended.reset(c);
    health[ended.health] = (health[ended.health] ?? 0) + 1;
    for (const s of endSinks) s.connectionEnd!(ended);
  };
  const tracker = new Tracker(DEFAULT_TRACKER_OPTIONS, onConnectionEnd);

  const onPacket = (p: TcpPacket, pkt: CapturedPacket): void => {
    counts.frames++;
    if (pkt.beyondSnaplen) counts.beyondSnaplen!++;
    const time = p.time;
    if (p.status !== 'tcp') {
      if (p.status === 'other') {
        counts.other++;
        return;
      }
      if (p.status === 'truncated') counts.truncated++;
      else counts.malformed++;
      if (o.stream === undefined) for (const s of problemSinks) s.frameProblem!({ frame: pkt.frame, time, status: p.status, reason: p.reason });
      return;
    }
    counts.tcp++;
    const r = tracker.process(p, p.data);
    if (!perPacket) return;
    if (o.stream !== undefined && r.stream !== o.stream) return;
    if (o.port !== undefined && p.sport !== o.port && p.dport !== o.port) return;
    if (o.host && !hostMatches(o.host, p)) return;
    if (o.anomaliesOnly && !(r.verdict.flags & BAD_TCP_MASK) && r.findings.length === 0) return;
    parseTcpOptions(p.data, p.optOffset, p.optCaptured, opts);
    view.pkt = pkt;
    view.p = p;
    view.r = r;
    view.time = time;
    for (const s of packetSinks) s.packet!(view);
  };

  let error: CaptureError | null = null;
  try {
    await src.run(onPacket, pace);
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    error = e;
  }
  tracker.finish();
  counts.fragments = src.fragmentsHeld;
  counts.otherLinkTypes = Object.fromEntries(src.otherLinkTypes);
  const end: RunEnd = { counts, totals: tracker.totals, health, connections };
  for (const s of sinks) await s.end(end);
  return { end, error };
}

/** The record handed to sinks for each ended connection; its summary is built at most once. */
class EndedConnection implements ConnectionEnd {
  conn!: Connection;
  health: Health = 'ok';
  private built: ConnectionSummary | null = null;

  reset(c: Connection): void {
    this.conn = c;
    this.health = healthOf(c);
    this.built = null;
  }

  summary(): ConnectionSummary {
    return (this.built ??= summarize(this.conn));
  }
}
