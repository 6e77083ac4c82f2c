/**
 * Keeps the packets of chosen connections as small plain records, for the formats that draw a
 * whole connection at once (the ladder, the HTML report): a {@link ConnectionStory} per connection,
 * delivered when the connection ends. Bounded: at most `maxPacketsPerConnection` packets are kept
 * per connection (the rest are counted) and at most `maxConnections` stories, the worst first.
 *
 * The records copy what they need from the reused tracker records; findings are kept by reference
 * (their verdicts settle until the connection ends, after which they no longer change).
 */
import { TcpFlag } from '../capture/tcp-packet.js';
import type { SeenPacket } from '../analyze/cross-capture.js';
import type { StateChange, TcpState } from '../analyze/endpoint-state.js';
import { tsharkLabels } from '../analyze/flags.js';
import type { Finding } from '../analyze/findings.js';
import { HEALTH_ORDER, type ConnectionSummary, type Health } from '../analyze/summary.js';
import { plainLine, traceLineParts } from './line.js';
import type { ConnectionEnd, PacketView, RunEnd, Sink } from './sink.js';

/** One packet of a story: what a diagram draws and what hovering it shows. */
export interface StoryPacket extends SeenPacket {
  /** Scaled window (`seq`/`ack` are relative, ack 0 without ACK; `flags` are TcpFlag bits). */
  win: number;
  /** tshark's analysis flag bits (AFlag) and its bracket labels, e.g. `TCP Dup ACK 11#1`. */
  analysis: number;
  labels: string[];
  /** ackscope's findings on this packet. */
  findings: readonly Finding[];
  /** Both endpoints' RFC 9293 states after the packet, and what changed. */
  clientState: TcpState;
  serverState: TcpState;
  clientChange: StateChange | null;
  serverChange: StateChange | null;
  /** The trace line as `--format text` prints it, without colour. */
  line: string;
}

export interface ConnectionStory {
  summary: ConnectionSummary;
  packets: StoryPacket[];
  /** Packets seen beyond `maxPacketsPerConnection` and not kept. */
  dropped: number;
  /**
   * With the `tail` option: the index in `packets` where the `dropped` packets were left out (the
   * first `maxPacketsPerConnection` come before it, the last `tail` from it on). Absent otherwise,
   * or when nothing was dropped.
   */
  gapAt?: number;
}

export interface RecorderOptions {
  /** Only this stream (tshark's tcp.stream), or every one. */
  stream?: number | undefined;
  maxConnections: number;
  maxPacketsPerConnection: number;
  /** Build each packet's trace `line` (default true); formats that do not show it save the time. */
  lines?: boolean;
  /**
   * Beyond `maxPacketsPerConnection`, also keep the last this many packets (default 0: none), so
   * that a long connection's story still has its end (the close, the reset).
   */
  tail?: number;
}

export const DEFAULT_RECORDER: RecorderOptions = { maxConnections: 50, maxPacketsPerConnection: 20_000 };

const HEALTH_RANK = Object.fromEntries(HEALTH_ORDER.map((h, i) => [h, i])) as Readonly<Record<Health, number>>;

/**
 * A sink that records stories. Use `stories` after the end of input (in stream order), or
 * subclass-free: wrap it and read `stories` in your own `end`.
 */
export class StoryRecorder implements Sink {
  readonly wantsPackets = true;
  /** Open connections' packets, by stream. */
  private readonly open = new Map<number, { packets: StoryPacket[]; dropped: number; tail: StoryPacket[] | null; next: number }>();
  private readonly kept: ConnectionStory[] = [];
  /** Connections seen in all (after the filters), including those not kept. */
  connections = 0;

  constructor(private readonly o: RecorderOptions = DEFAULT_RECORDER) {}

  packet(v: PacketView): void {
    const r = v.r;
    if (this.o.stream !== undefined && r.stream !== this.o.stream) return;
    let rec = this.open.get(r.stream);
    if (!rec) this.open.set(r.stream, (rec = { packets: [], dropped: 0, tail: null, next: 0 }));
    let into = rec.packets;
    if (rec.packets.length >= this.o.maxPacketsPerConnection) {
      const tail = this.o.tail ?? 0;
      if (tail <= 0) {
        rec.dropped++;
        return;
      }
      // A ring of the last `tail` packets: once full, each new one replaces the oldest.
      rec.tail ??= [];
      into = rec.tail;
      if (rec.tail.length >= tail) {
        rec.dropped++;
        rec.tail[rec.next] = this.record(v);
        rec.next = (rec.next + 1) % tail;
        return;
      }
    }
    into.push(this.record(v));
  }

  private record(v: PacketView): StoryPacket {
    const r = v.r;
    const p = v.p;
    return {
      frame: p.frame,
      time: v.time,
      from: r.side,
      flags: p.flags,
      seq: r.seq,
      ack: p.flags & TcpFlag.ACK ? r.ack : 0,
      len: p.len,
      win: r.win,
      analysis: r.verdict.flags,
      labels: tsharkLabels(r.verdict.flags, r.verdict.dupAckFrame, r.verdict.dupAckNum),
      findings: r.findings.length ? r.findings.slice() : NONE,
      clientState: r.clientState,
      serverState: r.serverState,
      clientChange: copyChange(r.clientChange),
      serverChange: copyChange(r.serverChange),
      line: this.o.lines === false ? '' : plainLine(traceLineParts(p, v.time, r, v.opts, r.conn.flows[r.dir ^ 1]!.baseSeq)),
    };
  }

  connectionEnd(e: ConnectionEnd): void {
    this.connections++;
    const stream = e.conn.stream;
    const rec = this.open.get(stream);
    this.open.delete(stream);
    if (this.o.stream !== undefined && stream !== this.o.stream) return;
    if (!this.wants(e.health, e.conn.firstFrame)) return;
    const story: ConnectionStory = { summary: e.summary(), packets: rec?.packets ?? [], dropped: rec?.dropped ?? 0 };
    if (rec?.tail) {
      if (rec.dropped > 0) story.gapAt = rec.packets.length;
      story.packets = rec.packets.concat(rec.tail.slice(rec.next), rec.tail.slice(0, rec.next));
    }
    this.kept.push(story);
    this.kept.sort(worstFirst);
    if (this.kept.length > this.o.maxConnections) this.kept.pop();
  }

  private wants(h: Health, firstFrame: number): boolean {
    if (this.kept.length < this.o.maxConnections) return true;
    const last = this.kept[this.kept.length - 1]!.summary;
    const r = HEALTH_RANK[h];
    const lr = HEALTH_RANK[last.health];
    return r < lr || (r === lr && firstFrame < last.firstFrame);
  }

  end(_run: RunEnd): void {}

  /** The kept stories in stream order. */
  get stories(): ConnectionStory[] {
    return this.kept.slice().sort((a, b) => a.summary.stream - b.summary.stream);
  }
}

const worstFirst = (a: ConnectionStory, b: ConnectionStory): number =>
  HEALTH_RANK[a.summary.health] - HEALTH_RANK[b.summary.health] || a.summary.firstFrame - b.summary.firstFrame;

const NONE: readonly Finding[] = [];
/** The tracker's change record is reused: keep a copy. */
const copyChange = (c: StateChange | null): StateChange | null => (c ? { from: c.from, to: c.to, why: c.why } : null);
