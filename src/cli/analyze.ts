/**
 * `ackscope analyze`'s wiring: a capture source (file, stdin or interface) → decoder → tracker →
 * the output sinks chosen by the options. Rendering lives in src/render; this file only connects.
 */
import { parseTcpOptions, type TimeOrigin } from '../capture/decode.js';
import { DecodingSource, isDecodedSource, type DecodedSource } from '../capture/decoded.js';
import { CaptureError, ExitCode } from '../capture/errors.js';
import type { CapturedPacket, Pace, PacketSource } from '../capture/packet.js';
import { TcpOptions, TcpPacket } from '../capture/tcp-packet.js';
import type { Connection } from '../analyze/connection.js';
import { failsOn, type FailOn } from '../analyze/fail-on.js';
import { BAD_TCP_MASK } from '../analyze/flags.js';
import { healthOf, summarize, type ConnectionSummary, type Health } from '../analyze/summary.js';
import { DEFAULT_TRACKER_OPTIONS, Tracker } from '../analyze/tracker.js';
import { JsonSink } from '../render/json.js';
import { Output } from '../render/output.js';
import type { ConnectionEnd, Epoch, PacketView, RunCounts, RunEnd, Sink } from '../render/sink.js';
import { makeStyle } from '../render/style.js';
import { TablesSink } from '../render/tables.js';
import { TraceSink } from '../render/trace.js';
import { ZeekLogSink } from '../render/zeek-log.js';
import { LadderSink } from '../render/ladder.js';
import { ExplainSink } from '../render/explain.js';
import { DEFAULT_HTML, HtmlSink } from '../render/html/sink.js';
import { connMatches, hostMatches, type HostFilter } from './filter.js';
import { readProgress } from './progress.js';

export type Format = 'text' | 'json' | 'summary' | 'ladder' | 'html';

export interface AnalyzeOptions {
  format: Format;
  color: boolean;
  /** Print endpoint state changes under packets (text). */
  states: boolean;
  /** Each connection's story in numbered sentences after the output (text, summary, ladder). */
  explain?: boolean;
  /** Plain ASCII instead of Unicode box drawing (ladder, explanations). */
  ascii?: boolean;
  stream?: number;
  host?: HostFilter;
  port?: number;
  anomaliesOnly: boolean;
  /** Full tables for every connection, however many. */
  allConnections: boolean;
  /** Seconds of capture time to hold a line whose finding awaits evidence. */
  horizon?: number;
  /** Also write Zeek's conn.log and weird.log into this directory. */
  zeekLog?: string;
  /** The report's title (html): the capture's name. */
  title?: string;
  /** Called with every connection's summary as it ends (after filters). */
  onConnection?: (s: ConnectionSummary) => void;
  /** Exit status 3 when a connection (after the filters) reaches this verdict. */
  failOn?: FailOn | undefined;
  /** No output on stdout (errors only). */
  quiet?: boolean;
  /** May show a progress line on stderr while a long file is read (the caller checked the terminal). */
  progress?: boolean;
  /** The capture's name, stamped on every record, when several are analysed in one run. */
  file?: string | undefined;
  /** Several captures merged: the time origin their decoders share. */
  timeOrigin?: TimeOrigin;
}

export interface AnalyzeRun {
  /** Process exit status. */
  code: number;
  counts: RunCounts;
  /** Connections that met `--fail-on`. */
  failed: number;
}

/** The sinks that make up a format, writing to `out`. */
export async function formatSinks(o: AnalyzeOptions, out: Output, tags?: ReadonlyMap<string, string>): Promise<Sink[]> {
  const write = (s: string): void => out.line(s);
  const horizon = o.horizon ?? 3;
  const extra: Sink[] = o.zeekLog !== undefined ? [new ZeekLogSink(o.zeekLog)] : [];
  const ascii = o.ascii === true;
  switch (o.format) {
    case 'json':
      return [new JsonSink(write, horizon), ...extra];
    case 'summary': {
      const style = await makeStyle(o.color);
      const sinks: Sink[] = [new TablesSink(write, style, o.allConnections)];
      if (o.explain) sinks.push(new ExplainSink(write, style, { stream: o.stream, ascii }));
      return [...sinks, ...extra];
    }
    case 'html':
      return [new HtmlSink(write, { ...DEFAULT_HTML, title: o.title ?? 'capture', stream: o.stream }), ...extra];
    case 'text': {
      const style = await makeStyle(o.color);
      const sinks: Sink[] = [new TraceSink(write, style, { states: o.states, horizon, tags }), new TablesSink(write, style, o.allConnections)];
      if (o.explain) sinks.push(new ExplainSink(write, style, { stream: o.stream, ascii }));
      return [...sinks, ...extra];
    }
    case 'ladder': {
      return [new LadderSink(write, await makeStyle(o.color), { ascii, stream: o.stream, explain: o.explain === true }), ...extra];
    }
  }
}

/** Run the analysis of `src` into the format's sinks on stdout; the one-line error, if any, to stderr. */
export async function analyzeSource(src: PacketSource | DecodedSource, o: AnalyzeOptions, out = new Output()): Promise<AnalyzeRun> {
  const sinks = o.quiet ? [] : await formatSinks(o, out);
  if (o.onConnection) sinks.push(callbackSink(o.onConnection));
  const check = o.failOn ? new FailOnCheck(o.failOn) : null;
  if (check) sinks.push(check);
  const run = await runPipeline(src, o, sinks, out.pace, o.progress && !o.quiet ? readProgress(src) : undefined);
  await out.end();
  if (run.error) process.stderr.write(`ackscope: ${run.error.message}\n`);
  if (check?.failed) process.stderr.write(`ackscope: ${check.message(src.name)}\n`);
  const code = run.error ? run.error.exitCode : check?.failed ? ExitCode.Verdict : ExitCode.Ok;
  return { code, counts: run.end.counts, failed: check?.failed ?? 0 };
}

/** `--fail-on`: counts the connections that reach the verdict, remembering the first. */
export class FailOnCheck implements Sink {
  readonly wantsPackets = false;
  failed = 0;
  private first = -1;

  constructor(readonly rule: FailOn) {}

  connectionEnd(e: ConnectionEnd): void {
    if (!failsOn(this.rule, e.conn, e.health)) return;
    if (this.failed++ === 0 || e.conn.stream < this.first) this.first = e.conn.stream;
  }

  end(): void {}

  message(file: string): string {
    const n = this.failed;
    return `--fail-on ${this.rule}: ${n} connection${n === 1 ? '' : 's'} in ${file} (first: stream ${this.first})`;
  }
}

/** A sink that hands every ended connection's summary to a callback (the reproducer's verdict). */
function callbackSink(f: (s: ConnectionSummary) => void): Sink {
  return { wantsPackets: false, connectionEnd: (e) => f(e.summary()), end: () => {} };
}

/**
 * Told, between input chunks (never per packet), how far reading has come; `done` once reading
 * ends, before the sinks write their closing output. A promise from `tick` makes reading wait.
 */
export interface ReadWatcher {
  tick(frames: number, openConnections: number): Promise<void> | undefined;
  done(): void;
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
export async function runPipeline(input: PacketSource | DecodedSource, o: AnalyzeOptions, sinks: readonly Sink[], pace?: Pace, watch?: ReadWatcher): Promise<PipelineResult> {
  // Decoded here, or (the two-stage pipeline) in a worker thread: the packets are the same.
  const src = isDecodedSource(input) ? input : new DecodingSource(input, o.timeOrigin);
  const file = o.file;
  const opts = new TcpOptions();
  const counts: RunCounts = { frames: 0, tcp: 0, other: 0, truncated: 0, malformed: 0, beyondSnaplen: 0 };
  const health: Record<string, number> = {};
  let connections = 0;
  const packetSinks = sinks.filter((s) => s.wantsPackets && s.packet);
  const problemSinks = sinks.filter((s) => s.wantsPackets && s.frameProblem);
  const endSinks = sinks.filter((s) => s.connectionEnd);
  const perPacket = packetSinks.length > 0;
  const view: PacketView = { pkt: null as unknown as CapturedPacket, p: null as unknown as TcpPacket, opts, r: null as unknown as PacketView['r'], time: 0, file };

  const ended = new EndedConnection(src, file);
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
      if (o.stream === undefined) for (const s of problemSinks) s.frameProblem!({ frame: pkt.frame, time, status: p.status, reason: p.reason, file });
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
  const paced: Pace | undefined = watch
    ? () => {
        const w = watch.tick(counts.frames, tracker.openConnections);
        const p = pace?.();
        if (w === undefined || p === 'stop') return p;
        return p === undefined ? w : Promise.all([w, p]).then(() => undefined);
      }
    : pace;
  try {
    await src.run(onPacket, paced);
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    error = e;
  } finally {
    watch?.done();
  }
  tracker.finish();
  counts.fragments = src.fragmentsHeld;
  counts.otherLinkTypes = Object.fromEntries(src.otherLinkTypes);
  const end: RunEnd = { counts, totals: tracker.totals, health, connections, epoch: src.origin, file };
  for (const s of sinks) await s.end(end);
  return { end, error };
}

/** The record handed to sinks for each ended connection; its summary is built at most once. */
class EndedConnection implements ConnectionEnd {
  conn!: Connection;
  health: Health = 'ok';
  private built: ConnectionSummary | null = null;

  constructor(private readonly src: DecodedSource, readonly file: string | undefined) {}

  get epoch(): Epoch {
    return this.src.origin ?? { sec: 0, nsec: 0 };
  }

  reset(c: Connection): void {
    this.conn = c;
    this.health = healthOf(c);
    this.built = null;
  }

  summary(): ConnectionSummary {
    return (this.built ??= summarize(this.conn));
  }
}
