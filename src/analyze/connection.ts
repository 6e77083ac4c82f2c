/**
 * Per-connection and per-direction state. A {@link Flow} is one direction (what one endpoint
 * sends); a {@link Connection} is the pair, keyed by its 4-tuple in a table that hashes numbers,
 * so finding a packet's connection allocates nothing.
 */
import { TcpPacket } from '../capture/tcp-packet.js';
import { EndpointState } from './endpoint-state.js';
import type { AckUnsentFinding, Finding, FindingKind } from './findings.js';
import { FlowStats } from './stats.js';
import { ZeekConn } from './zeek.js';

/**
 * Initial value of fields that hold capture times. -0 equals 0 in every comparison and sum (tshark
 * starts such fields at 0), but it is a double: V8 then gives the field a double representation
 * from the first object on, where a 0 would start it as a small integer and change every object's
 * shape at the first fractional time, throwing away the optimised code that read it.
 */
export const TIME_ZERO = -0;

/**
 * One direction of a connection: what its sender has sent and acknowledged. Plain fields, all
 * initialised here so that V8 keeps them inside the object (one shape, no separate property
 * store); {@link Flow.reset} puts back the same values for a recycled one (a test holds the two
 * equal). Sequence numbers are in the tracker's int32 form (seq.ts), so they are stored unboxed.
 */
export class Flow {
  // tshark's per-direction analysis state (tcp_analyze_seq_flow_info_t); 0 means "unknown" as in tshark.
  nextseq = 0;
  maxseqtobeacked = 0;
  nextseqtime = TIME_ZERO;
  nextseqframe = 0;
  lastack = 0;
  lastacktime = TIME_ZERO;
  /** Raw window last advertised; -1 until one is seen (tshark's 0xFFFFFFFF). */
  window = -1;
  /** Window-scale shift: -1 unknown, -2 known not to be used. */
  winScale = -1;
  /** tshark's dup-ACK count; -1 stands for its 0xFFFFFFFF "ACKed unseen" marker. */
  dupacknum = 0;
  lastnondupack = 0;
  lastsegmentflags = 0;
  baseSeq = 0;
  /** True from this side's SYN until its first non-SYN ACK (its last window came from a SYN: unscaled). */
  isFirstAck = false;
  baseSet = false;
  // ackscope's own view.
  /** Anything seen from this side yet. */
  seen = false;
  /** Next sequence number after everything this side has sent (data, SYN and FIN count). Valid once `seen`. */
  sndNxt = 0;
  /** End of the highest data byte sent (FIN not counted). */
  dataEnd = 0;
  /** Highest ACK this side sent, an ACK beyond the peer's data counting as acknowledging what was sent. */
  ackHigh = 0;
  ackHighSet = false;
  sawSyn = false;
  finSent = false;
  /** Sequence number of this side's FIN. */
  finSeq = 0;
  finFrame = 0;
  finTime = TIME_ZERO;
  rstSent = false;
  rstFrame = 0;
  rstTime = TIME_ZERO;
  packets = 0;
  /** Payload bytes, retransmissions included. */
  bytes = 0;
  /** Frame bytes on the wire. */
  wireBytes = 0;
  /** This side's data end when the peer's FIN was seen (how much it sent after the half-close); valid when set. */
  dataEndAtPeerFin = 0;
  dataEndAtPeerFinSet = false;
  /** The last ACK-beyond-data this side sent, waiting for the peer's answer. */
  badAck: AckUnsentFinding | null = null;
  readonly ep = new EndpointState();
  /** tcptrace's numbers for what this side sends (stats.ts). */
  readonly st = new FlowStats();

  /** Back to the state of a direction nothing was seen of (the initial values above). */
  reset(): void {
    this.nextseq = 0;
    this.maxseqtobeacked = 0;
    this.nextseqtime = TIME_ZERO;
    this.nextseqframe = 0;
    this.lastack = 0;
    this.lastacktime = TIME_ZERO;
    this.window = -1;
    this.winScale = -1;
    this.dupacknum = 0;
    this.lastnondupack = 0;
    this.lastsegmentflags = 0;
    this.baseSeq = 0;
    this.isFirstAck = false;
    this.baseSet = false;
    this.seen = false;
    this.sndNxt = 0;
    this.dataEnd = 0;
    this.ackHigh = 0;
    this.ackHighSet = false;
    this.sawSyn = false;
    this.finSent = false;
    this.finSeq = 0;
    this.finFrame = 0;
    this.finTime = TIME_ZERO;
    this.rstSent = false;
    this.rstFrame = 0;
    this.rstTime = TIME_ZERO;
    this.packets = 0;
    this.bytes = 0;
    this.wireBytes = 0;
    this.dataEndAtPeerFin = 0;
    this.dataEndAtPeerFinSet = false;
    this.badAck = null;
    this.ep.reset();
    this.st.reset();
  }
}

export class Connection {
  stream = 0;
  ipVersion: 4 | 6 = 4;
  /** The overlay network of the conversation (TcpPacket.net; 0: none). Part of its identity. */
  net = 0;
  /** Endpoint A is the sender of the first packet seen; B the receiver. flows[0] is A's direction. */
  a4 = 0;
  b4 = 0;
  a6: Uint32Array | null = null;
  b6: Uint32Array | null = null;
  pa = 0;
  pb = 0;
  readonly flows: readonly [Flow, Flow] = [new Flow(), new Flow()];
  /** Index into flows of the client: the SYN sender, or the first sender when no SYN was seen. */
  client: 0 | 1 = 0;
  /** Initial RTT (most recent pure SYN to the first non-SYN ACK after it); NaN until known. */
  irtt = NaN;
  /** Time of the most recent pure SYN; NaN before one. */
  tsMruSyn = NaN;
  firstTime = TIME_ZERO;
  lastTime = TIME_ZERO;
  firstFrame = 0;
  lastFrame = 0;
  /** Packets per tshark flag, in catalogue order; allocated at the first flag. */
  flagCounts: number[] | null = null;
  /** Findings by kind; allocated at the first finding. */
  findingCounts: Partial<Record<FindingKind, number>> | null = null;
  /** The first findings, kept for the summary (bounded); allocated at the first finding. */
  findings: Finding[] | null = null;
  /** Capture time of each kept finding (same index as {@link findings}). */
  findingTimes: number[] | null = null;
  /** Zeek's view of the connection: history, conn_state, sizes, weirds (zeek.ts). */
  readonly zeek = new ZeekConn();
  /** Capture time the connection was seen to close (RST, or both FINs acknowledged); NaN while open. */
  closedAt = NaN;
  /** The 4-tuple hash, kept for removal. */
  hash = 0;
  /** Next connection in the same hash bucket. */
  hashNext: Connection | null = null;
  /** Set once summarised and dropped from the table. */
  finished = false;

  constructor(p: TcpPacket, stream: number) {
    this.init(p, stream);
  }

  /**
   * (Re)start as a new connection for packet `p`. Recycled connections come through here too, so
   * every per-connection field is reset: from the pristine values of a template for the numbers,
   * by hand for what must not be shared.
   */
  init(p: TcpPacket, stream: number): this {
    if (this.finished) {
      // Recycled: every field back to its initial value above (a test compares with a fresh one).
      this.a6 = null;
      this.b6 = null;
      this.client = 0;
      this.irtt = NaN;
      this.tsMruSyn = NaN;
      this.lastFrame = 0;
      this.flagCounts?.fill(0);
      this.findingCounts = null;
      this.findings = null;
      this.findingTimes = null;
      this.closedAt = NaN;
      this.hash = 0;
      this.hashNext = null;
      this.finished = false;
      this.flows[0].reset();
      this.flows[1].reset();
    }
    this.stream = stream;
    this.ipVersion = p.ipVersion;
    this.net = p.net;
    if (p.ipVersion === 4) {
      this.a4 = p.src4;
      this.b4 = p.dst4;
    } else {
      this.a4 = 0;
      this.b4 = 0;
      this.a6 = Uint32Array.from(p.src6);
      this.b6 = Uint32Array.from(p.dst6);
    }
    this.pa = p.sport;
    this.pb = p.dport;
    // The time is read from the packet, not passed: a double argument of a call that is not
    // inlined is a heap number, one per connection here.
    this.firstTime = p.time;
    this.lastTime = p.time;
    this.firstFrame = p.frame;
    this.zeek.reset();
    this.zeek.begin(p);
    return this;
  }

  /** 0 when the packet goes A→B, 1 when B→A, -1 when it is not this connection's. */
  directionOf(p: TcpPacket): 0 | 1 | -1 {
    if (p.ipVersion !== this.ipVersion || p.net !== this.net) return -1;
    if (p.ipVersion === 4) {
      if (p.sport === this.pa && p.dport === this.pb && p.src4 === this.a4 && p.dst4 === this.b4) return 0;
      if (p.sport === this.pb && p.dport === this.pa && p.src4 === this.b4 && p.dst4 === this.a4) return 1;
      return -1;
    }
    if (p.sport === this.pa && p.dport === this.pb && eq6(p.src6, this.a6!) && eq6(p.dst6, this.b6!)) return 0;
    if (p.sport === this.pb && p.dport === this.pa && eq6(p.src6, this.b6!) && eq6(p.dst6, this.a6!)) return 1;
    return -1;
  }
}

function eq6(x: Uint32Array, y: Uint32Array): boolean {
  return x[0] === y[0] && x[1] === y[1] && x[2] === y[2] && x[3] === y[3];
}

function mix(a: number, port: number): number {
  let h = Math.imul(a ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35);
}

function mix2(a: number, port: number): number {
  let h = Math.imul(a + Math.imul(port, 0x27d4eb2f), 0x165667b1);
  h ^= h >>> 15;
  return Math.imul(h, 0x85ebca77);
}

/** An IPv6 address folded to 32 bits. */
const fold6 = (a: Uint32Array): number => (a[0]! ^ Math.imul(a[1]!, 31) ^ Math.imul(a[2]!, 961) ^ Math.imul(a[3]!, 29791)) | 0;

/** A hash of the 4-tuple that is the same in both directions. */
export function tupleHash(p: TcpPacket): number {
  const s = p.ipVersion === 4 ? p.src4 : fold6(p.src6);
  const d = p.ipVersion === 4 ? p.dst4 : fold6(p.dst6);
  return (mix(s, p.sport) ^ mix(d, p.dport) ^ p.net) & 0x3fffffff;
}

/**
 * A second hash of the 4-tuple, independent of {@link tupleHash} and like it the same in both
 * directions: the two together tell tuples apart but about once in 2^62.
 */
export function tupleHash2(p: TcpPacket): number {
  const s = p.ipVersion === 4 ? p.src4 : fold6(p.src6);
  const d = p.ipVersion === 4 ? p.dst4 : fold6(p.dst6);
  return (mix2(s, p.sport) + mix2(d, p.dport) + p.net) | 0;
}

/** The {@link tupleHash2} of a connection's packets. */
export function connectionHash2(c: Connection): number {
  const s = c.ipVersion === 4 ? c.a4 : fold6(c.a6!);
  const d = c.ipVersion === 4 ? c.b4 : fold6(c.b6!);
  return (mix2(s, c.pa) + mix2(d, c.pb) + c.net) | 0;
}

/**
 * Open connections by 4-tuple: a power-of-two array of hash chains (linked through
 * `Connection.hashNext`), doubled when the chains grow longer than one connection on average and
 * halved when they are mostly empty, so memory follows the connections in it. An array index and
 * a compare of the stored hash replace a Map lookup on every packet.
 */
export class ConnectionTable {
  private heads: (Connection | null)[] = new Array<Connection | null>(MIN_BUCKETS).fill(null);
  private mask = MIN_BUCKETS - 1;
  size = 0;
  /** The packet's direction in the connection the last {@link find} returned. */
  dir: 0 | 1 = 0;

  /** The connection this packet belongs to, or null; its direction is left in {@link dir}. */
  find(p: TcpPacket, h: number): Connection | null {
    for (let c: Connection | null = this.heads[h & this.mask]!; c !== null; c = c.hashNext) {
      if (c.hash !== h) continue;
      const d = c.directionOf(p);
      if (d !== -1) {
        this.dir = d;
        return c;
      }
    }
    return null;
  }

  add(c: Connection, h: number): void {
    c.hash = h;
    const i = h & this.mask;
    c.hashNext = this.heads[i]!;
    this.heads[i] = c;
    if (++this.size > this.heads.length) this.resize(this.heads.length * 2);
  }

  /** Every connection, taken out at once (the table is left empty). */
  drain(): Connection[] {
    const all: Connection[] = [];
    for (const head of this.heads) {
      for (let c: Connection | null = head, next: Connection | null; c !== null; c = next) {
        next = c.hashNext;
        c.hashNext = null;
        all.push(c);
      }
    }
    this.heads = new Array<Connection | null>(MIN_BUCKETS).fill(null);
    this.mask = MIN_BUCKETS - 1;
    this.size = 0;
    return all;
  }

  remove(c: Connection): void {
    const i = c.hash & this.mask;
    let prev: Connection | null = null;
    for (let x: Connection | null = this.heads[i]!; x !== null; prev = x, x = x.hashNext) {
      if (x !== c) continue;
      if (prev) prev.hashNext = x.hashNext;
      else this.heads[i] = x.hashNext;
      x.hashNext = null;
      this.size--;
      if (this.heads.length > MIN_BUCKETS && this.size * 8 < this.heads.length) this.resize(this.heads.length / 2);
      return;
    }
  }

  private resize(n: number): void {
    const old = this.heads;
    this.heads = new Array<Connection | null>(n).fill(null);
    this.mask = n - 1;
    for (let head of old) {
      while (head !== null) {
        const next = head.hashNext;
        const i = head.hash & this.mask;
        head.hashNext = this.heads[i]!;
        this.heads[i] = head;
        head = next;
      }
    }
  }
}

const MIN_BUCKETS = 1024;
