/**
 * The TCP tracker: gives each decoded segment its connection, stream index, relative numbers,
 * scaled window, tshark-compatible flags, ackscope's findings and both endpoints' states.
 *
 * Lifecycle:
 *   1. `new Tracker(options, onConnectionEnd)`.
 *   2. `process(pkt, bytes)` for every TCP segment, in capture order (its time is `pkt.time`).
 *      The returned {@link PacketResult} is reused: valid until the next call.
 *   3. `finish()` once: every connection still open is ended.
 * A connection is summarised and its state dropped `closeLinger` seconds (capture time) after it
 * closed (RST, or both FINs acknowledged) and went quiet, so memory follows open connections.
 */
import { TcpFlag, TcpOptions, type TcpPacket } from '../capture/tcp-packet.js';
import { parseTcpOptions } from '../capture/decode.js';
import { Connection, ConnectionTable, TIME_ZERO, connectionHash2, tupleHash, tupleHash2, type Flow } from './connection.js';
import { FinishedTuples } from './finished-tuples.js';
import { diagnose } from './diagnose.js';
import { onSegmentArrives, onSegmentSent, type SegmentFacts, type StateChange, type TcpState } from './endpoint-state.js';
import { AFlag, FLAG_CATALOGUE } from './flags.js';
import type { Finding, FindingKind, Side } from './findings.js';
import { Segment } from './segment.js';
import { onSegment } from './stats.js';
import { seqAdd, seqGe, seqGt, seqLe, seqRel } from './seq.js';
import { TsharkVerdict, tsharkAnalyze } from './tshark-rules.js';

export class PacketResult {
  conn!: Connection;
  /** 0 when the packet goes A→B (A = first sender seen), 1 otherwise. */
  dir: 0 | 1 = 0;
  side: Side = 'client';
  stream = 0;
  time = TIME_ZERO;
  /** Relative sequence and acknowledgement numbers (ack is 0 without the ACK flag). */
  seq = 0;
  ack = 0;
  /** Window scaled by the sender's negotiated shift (raw on SYN segments or when unknown). */
  win = 0;
  readonly verdict = new TsharkVerdict();
  /** ackscope's findings for this packet (usually empty). Reused array; the findings themselves may be kept. */
  readonly findings: Finding[] = [];
  clientState: TcpState = 'CLOSED';
  serverState: TcpState = 'CLOSED';
  clientChange: StateChange | null = null;
  serverChange: StateChange | null = null;
}

export interface TrackerOptions {
  /** Seconds of capture time after a connection closed and went quiet before it is summarised. */
  closeLinger: number;
  /** Findings kept per connection for its summary (all are still counted). */
  maxFindingsPerConnection: number;
  /** 4-tuples of finished connections remembered for tshark's `reused_ports` (see finished-tuples.ts). */
  finishedTuples: number;
}

/**
 * closeLinger: 3 s of capture time after the close covers the retransmitted FINs, final ACKs and
 * RSTs that follow a close; a packet of the same 4-tuple arriving later starts a new stream (tshark
 * would keep the old number). Shorter means less memory on captures full of short connections.
 */
export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = { closeLinger: 3, maxFindingsPerConnection: 50, finishedTuples: 1 << 17 };

export interface Totals {
  packets: number;
  connections: number;
  readonly flagCounts: Uint32Array;
  readonly findingCounts: Partial<Record<FindingKind, number>>;
}

export class Tracker {
  private readonly table = new ConnectionTable();
  private nextStream = 0;
  /**
   * Closed connections waiting for the linger to pass, oldest first, each with the stream it was
   * queued as: a connection object is recycled for a new stream when it is finalised some other way
   * (a SYN starting a new conversation on its 4-tuple), and its old entry must not act on the new
   * one (which would be summarised while open, and re-queued for as long as it talks).
   */
  private readonly closing: Connection[] = [];
  private readonly closingStream: number[] = [];
  /**
   * Summarised connections, reset and reused for new ones. Not bounded: objects in use and spare
   * together never outnumber the most connections open at once, which had to be held anyway, and
   * a bound makes every burst of closes leave garbage behind for the next burst of opens to
   * replace (on the ten-fold bench capture, 87 630 connection objects built with a bound of 4096,
   * against 12 471 without, as many as the one-fold capture needs).
   */
  private readonly spare: Connection[] = [];
  private readonly finishedTuples: FinishedTuples;
  private closingHead = 0;
  /**
   * End of the queue in use: the arrays are never shortened, only written over (shortening one
   * trims its backing store, and the pushes that follow grow it again, about 80 bytes of garbage
   * for every connection that passes). What lies beyond the end is stale and never read.
   */
  private closingTail = 0;
  private readonly opts = new TcpOptions();
  private readonly facts: SegmentFacts = { flags: 0, acksReceiverFin: false, receiverFinSent: false };
  private readonly seg = new Segment();
  readonly result = new PacketResult();
  readonly totals: Totals = { packets: 0, connections: 0, flagCounts: new Uint32Array(FLAG_CATALOGUE.length), findingCounts: {} };

  constructor(
    private readonly options: TrackerOptions = DEFAULT_TRACKER_OPTIONS,
    /**
     * Called once per connection when it ends, before its state is recycled: `summarize(c)` there
     * if the summary is wanted (building it costs more than tracking a short connection).
     */
    private readonly onConnectionEnd: (c: Connection) => void = () => {},
  ) {
    this.finishedTuples = new FinishedTuples(options.finishedTuples);
  }

  /** Open connections right now. */
  get openConnections(): number {
    return this.table.size;
  }

  /**
   * Track one segment; its capture time is `p.time` (read from the record, not passed: a double
   * passed to a function is a heap allocation, one per packet).
   */
  process(p: TcpPacket, bytes: Buffer): PacketResult {
    const s = this.seg;
    s.fill(p);
    const time = s.time;
    this.expire();
    const res = this.result;
    const tcpFlags = s.flags;
    const syn = (tcpFlags & TcpFlag.SYN) !== 0;
    const ackFlag = (tcpFlags & TcpFlag.ACK) !== 0;
    const h = tupleHash(p);
    let conn = this.table.find(p, h);
    let dir: 0 | 1 = this.table.dir;
    if (conn !== null && !Number.isNaN(conn.closedAt) && time - conn.lastTime >= this.options.closeLinger) {
      // Closed and quiet for the linger: a new conversation, whether or not expire() has got to
      // the old one yet (so the answer depends on this connection alone, not on the queue).
      this.finalize(conn);
      conn = null;
    }
    // A SYN on the 4-tuple of a connection already finished: tshark, which keeps every
    // conversation, flags it as port reuse, and so does this (for the last finishedTuples ones).
    let reused = false;
    if (conn === null) {
      reused = syn && this.finishedTuples.size > 0 && this.finishedTuples.has(h, tupleHash2(p));
      conn = this.open(p, h);
      dir = 0;
    }
    let F = conn.flows[dir];
    let R = conn.flows[dir ^ 1]!;

    // §2 port reuse: a pure SYN with a new ISN starts a new conversation; a SYN-ACK with a new ISN rebases.
    if (syn && F.baseSet) {
      if (!ackFlag) {
        if (s.seq !== F.baseSeq) {
          this.finalize(conn);
          conn = this.open(p, h);
          dir = 0;
          F = conn.flows[0];
          R = conn.flows[1];
          reused = true;
        } else {
          F.nextseq = F.maxseqtobeacked;
        }
      } else if (s.seq !== F.baseSeq) {
        F.baseSeq = s.seq;
        reused = true;
      }
    }
    // §3 relative-number bases.
    if (!F.baseSet) {
      F.baseSeq = syn ? s.seq : seqAdd(s.seq, -1);
      F.baseSet = true;
    }
    if (!R.baseSet && ackFlag) {
      R.baseSeq = seqAdd(s.ack, -1);
      R.baseSet = true;
    }

    const v = res.verdict;
    v.flags = reused ? AFlag.reused_ports : 0;
    v.dupAckNum = 0;
    v.dupAckFrame = 0;
    s.prevAck = F.lastack;
    tsharkAnalyze(conn, F, R, s, v);

    // What dissect_tcp does after the analysis: window scale, first-ACK bookkeeping, iRTT.
    if (syn) {
      F.isFirstAck = true;
      if (!ackFlag) conn.tsMruSyn = time;
      parseTcpOptions(bytes, p.optOffset, p.optCaptured, this.opts);
      if (this.opts.wscale >= 0) {
        F.winScale = Math.min(this.opts.wscale, 14);
        F.st.wsOffered = true;
        F.st.wsShift = this.opts.wscale;
      }
      if (ackFlag && (F.winScale === -1 || R.winScale === -1)) {
        F.winScale = -2;
        R.winScale = -2;
      }
      F.sawSyn = true;
    } else if (ackFlag) {
      F.isFirstAck = false;
      if (!(conn.irtt >= 0) && conn.tsMruSyn >= 0) conn.irtt = time - conn.tsMruSyn;
    }
    conn.zeek.packet(dir, s, p.payloadCaptured, syn ? this.opts.wscale : -1, p.ipLen);

    // tcptrace's numbers (stats.ts).
    onSegment(F.st, R.st, s, R.packets);

    const side: Side = dir === conn.client ? 'client' : 'server';
    res.conn = conn;
    res.dir = dir;
    res.side = side;
    res.stream = conn.stream;
    res.time = time;
    res.seq = seqRel(s.seq, F.baseSeq);
    res.ack = ackFlag ? seqRel(s.ack, R.baseSeq) : 0;
    res.win = !syn && F.winScale >= 0 ? s.win * (1 << F.winScale) : s.win; // shift <= 14: no pow()

    // ackscope's diagnoses, on the flows as they were before this packet's data.
    if (res.findings.length) res.findings.length = 0;
    diagnose(conn, F, R, s, side, v.flags, res.findings);

    this.advance(conn, F, R, s);

    // Endpoint states: the sender's view, then the receiver's.
    F.ep.beginPacket();
    R.ep.beginPacket();
    this.facts.flags = tcpFlags;
    this.facts.acksReceiverFin = ackFlag && R.finSent && seqGe(s.ack, seqAdd(R.finSeq, 1));
    this.facts.receiverFinSent = R.finSent;
    onSegmentSent(F.ep, this.facts);
    onSegmentArrives(R.ep, this.facts);
    const client = conn.flows[conn.client];
    const server = conn.flows[conn.client ^ 1]!;
    res.clientState = client.ep.state;
    res.serverState = server.ep.state;
    res.clientChange = client.ep.change;
    res.serverChange = server.ep.change;

    this.totals.packets++;
    if (v.flags !== 0 || res.findings.length !== 0) this.count(conn, v.flags, res.findings);
    if (Number.isNaN(conn.closedAt) && (tcpFlags & TcpFlag.RST || (isDone(client.ep.state) && isDone(server.ep.state)))) {
      conn.closedAt = time;
      this.queueClosing(conn);
    }
    return res;
  }

  /** Summarise every connection still open, in stream order. */
  finish(): void {
    const open = this.table.drain();
    open.sort(byStream);
    for (const c of open) {
      c.finished = true;
      this.onConnectionEnd(c);
    }
    this.closing.length = 0;
    this.closingStream.length = 0;
    this.closingHead = 0;
    this.closingTail = 0;
    this.spare.length = 0;
  }

  /** A connection for packet `p`, recycled when one is spare; its start time is `p.time` (not passed, as in process()). */
  private open(p: TcpPacket, h: number): Connection {
    const stream = this.nextStream++;
    const c = this.spare.pop()?.init(p, stream) ?? new Connection(p, stream);
    const syn = (p.flags & TcpFlag.SYN) !== 0;
    const ack = (p.flags & TcpFlag.ACK) !== 0;
    // The client is the SYN sender; a SYN-ACK seen first means the receiver is the client.
    c.client = syn && ack ? 1 : 0;
    this.table.add(c, h);
    this.totals.connections++;
    return c;
  }

  /** Move the sender's own bookkeeping forward past segment `s`. */
  private advance(conn: Connection, F: Flow, R: Flow, s: Segment): void {
    const f = s.flags;
    const { seq, len } = s;
    const synFin = f & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0;
    const end = seqAdd(seq, len + synFin);
    const dataEnd = seqAdd(seq, len + (f & TcpFlag.SYN ? 1 : 0));
    if (!F.seen) {
      F.seen = true;
      F.sndNxt = end;
      F.dataEnd = dataEnd;
      if (R.finSent) {
        // First seen after the peer's FIN: all of it was sent after the half-close.
        F.dataEndAtPeerFin = seqAdd(seq, f & TcpFlag.SYN ? 1 : 0);
        F.dataEndAtPeerFinSet = true;
      }
    } else {
      if (seqGt(end, F.sndNxt)) F.sndNxt = end;
      if (len > 0 && seqGt(dataEnd, F.dataEnd)) F.dataEnd = dataEnd;
    }
    if (f & TcpFlag.ACK) {
      const valid = R.seen && seqGt(s.ack, R.sndNxt) ? R.sndNxt : s.ack;
      if (!F.ackHighSet || seqGt(valid, F.ackHigh)) {
        F.ackHigh = valid;
        F.ackHighSet = true;
      }
      if (F.badAck !== null && seqLe(s.ack, R.sndNxt)) F.badAck = null;
    }
    if (f & TcpFlag.FIN && !F.finSent) {
      // What the peer sends from here on is sent after this half-close (unknown if nothing yet).
      R.dataEndAtPeerFin = R.dataEnd;
      R.dataEndAtPeerFinSet = R.seen;
      F.finSent = true;
      F.finSeq = seqAdd(seq, len);
      F.finFrame = s.frame;
      F.finTime = s.time;
    }
    if (f & TcpFlag.RST && !F.rstSent) {
      F.rstSent = true;
      F.rstFrame = s.frame;
      F.rstTime = s.time;
    }
    F.packets++;
    F.bytes += len;
    F.wireBytes += s.frameLen;
    conn.lastTime = s.time;
    conn.lastFrame = s.frame;
  }

  /** Count a packet's flags and findings (called only when it has some). */
  private count(conn: Connection, flags: number, findings: readonly Finding[]): void {
    if (flags !== 0) {
      // A plain array (a typed array costs microseconds to create, and 14 000 connections need one).
      const fc = (conn.flagCounts ??= NO_FLAGS.slice());
      for (let i = 0; i < FLAG_CATALOGUE.length; i++) {
        if (flags & FLAG_CATALOGUE[i]!.bit) {
          fc[i]!++;
          this.totals.flagCounts[i]!++;
        }
      }
    }
    if (findings.length === 0) return;
    const counts = (conn.findingCounts ??= {});
    const kept = (conn.findings ??= []);
    const times = (conn.findingTimes ??= []);
    for (const f of findings) {
      counts[f.kind] = (counts[f.kind] ?? 0) + 1;
      this.totals.findingCounts[f.kind] = (this.totals.findingCounts[f.kind] ?? 0) + 1;
      if (kept.length < this.options.maxFindingsPerConnection) {
        kept.push(f);
        times.push(this.seg.time);
      }
    }
  }

  /** Summarise connections that closed and stayed quiet for `closeLinger` seconds. */
  private expire(): void {
    const now = this.seg.time;
    const q = this.closing;
    const qs = this.closingStream;
    const linger = this.options.closeLinger;
    for (let budget = 4; budget > 0 && this.closingHead < this.closingTail; budget--) {
      const c = q[this.closingHead]!;
      if (c.finished || c.stream !== qs[this.closingHead]) {
        // Already summarised, or the object now carries a newer stream: a stale entry.
        this.closingHead++;
        continue;
      }
      if (now - c.lastTime < linger) {
        if (now - c.closedAt < linger) break;
        this.queueClosing(c); // still talking after close: look again later, don't block the queue
      } else {
        this.finalize(c);
      }
      this.closingHead++;
    }
    if (this.closingHead > 1024 && this.closingHead * 2 > this.closingTail) {
      // Drop the done entries in place (splice would also build an array of the removed ones).
      const head = this.closingHead;
      const tail = this.closingTail;
      q.copyWithin(0, head, tail);
      qs.copyWithin(0, head, tail);
      this.closingTail = tail - head;
      this.closingHead = 0;
    }
  }

  /** Put a closed connection at the end of the linger queue, with the stream it is queued as. */
  private queueClosing(c: Connection): void {
    const i = this.closingTail++;
    this.closing[i] = c; // at most one past the end: appends there
    this.closingStream[i] = c.stream;
  }

  private finalize(c: Connection): void {
    if (c.finished) return;
    c.finished = true;
    this.table.remove(c);
    this.finishedTuples.add(c.hash, connectionHash2(c));
    this.onConnectionEnd(c);
    this.spare.push(c);
  }
}

const NO_FLAGS: readonly number[] = FLAG_CATALOGUE.map(() => 0);
const byStream = (a: Connection, b: Connection): number => a.stream - b.stream;
const isDone = (s: TcpState): boolean => s === 'CLOSED' || s === 'TIME-WAIT';
