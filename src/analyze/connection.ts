/**
 * Per-connection and per-direction state. A {@link Flow} is one direction (what one endpoint
 * sends); a {@link Connection} is the pair, keyed by its 4-tuple in a table that hashes numbers,
 * so finding a packet's connection allocates nothing.
 */
import { TcpPacket } from '../capture/tcp-packet.js';
import { EndpointState, type ZeekState } from './endpoint-state.js';
import type { AckUnsentFinding, Finding, FindingKind } from './findings.js';

/**
 * The numeric state of one direction, with its initial values. It lives in one Float64Array per
 * connection (both directions side by side) behind the accessors of {@link Flow}: no boxed
 * numbers, a few cache lines per connection, and a reset is one `set()`. Booleans are 0/1.
 */
const FLOW_NUMBERS = {
  // tshark's per-direction analysis state (tcp_analyze_seq_flow_info_t); 0 means "unknown" as in tshark.
  nextseq: 0,
  maxseqtobeacked: 0,
  nextseqtime: 0,
  nextseqframe: 0,
  lastack: 0,
  lastacktime: 0,
  /** Raw window last advertised; tshark starts it at 0xFFFFFFFF ("not seen"). */
  window: 0xffffffff,
  /** Window-scale shift: -1 unknown, -2 known not to be used. */
  winScale: -1,
  dupacknum: 0,
  lastnondupack: 0,
  lastsegmentflags: 0,
  baseSeq: 0,
  // ackscope's own view.
  /** Next sequence number after everything this side has sent (data, SYN and FIN count). Valid once `seen`. */
  sndNxt: 0,
  /** End of the highest data byte sent (FIN not counted). */
  dataEnd: 0,
  /** Highest ACK this side sent, an ACK beyond the peer's data counting as acknowledging what was sent. */
  ackHigh: 0,
  /** Raw sequence number of this side's FIN. */
  finSeq: 0,
  finFrame: 0,
  finTime: 0,
  rstTime: 0,
  rstFrame: 0,
  packets: 0,
  /** Payload bytes, retransmissions included. */
  bytes: 0,
  /** Frame bytes on the wire. */
  wireBytes: 0,
  /** This side's data end when the peer's FIN was seen; -1 before (how much it sent after the half-close). */
  dataEndAtPeerFin: -1,
} as const;

const FLOW_FLAGS = {
  /** True from this side's SYN until its first non-SYN ACK (its last window came from a SYN: unscaled). */
  isFirstAck: 0,
  baseSet: 0,
  /** Anything seen from this side yet. */
  seen: 0,
  ackHighSet: 0,
  sawSyn: 0,
  finSent: 0,
  rstSent: 0,
} as const;

const NUMBER_NAMES = Object.keys(FLOW_NUMBERS) as (keyof typeof FLOW_NUMBERS)[];
const FLAG_NAMES = Object.keys(FLOW_FLAGS) as (keyof typeof FLOW_FLAGS)[];
/** Slots per direction in a connection's state array. */
const FLOW_SLOTS = NUMBER_NAMES.length + FLAG_NAMES.length;
const FLOW_DEFAULTS = new Float64Array(FLOW_SLOTS);
NUMBER_NAMES.forEach((k, i) => (FLOW_DEFAULTS[i] = FLOW_NUMBERS[k]));

/** One direction of a connection: what its sender has sent and acknowledged. */
export class Flow {
  /** The last ACK-beyond-data this side sent, waiting for the peer's answer. */
  badAck: AckUnsentFinding | null = null;
  readonly ep = new EndpointState();
  zeek: ZeekState = 'INACTIVE';

  constructor(
    private readonly s: Float64Array,
    private readonly o: number,
  ) {}

  /** Back to the state of a direction nothing was seen of. */
  reset(): void {
    this.s.set(FLOW_DEFAULTS, this.o);
    this.badAck = null;
    this.zeek = 'INACTIVE';
    this.ep.reset();
  }
}
export interface Flow extends Record<keyof typeof FLOW_NUMBERS, number>, Record<keyof typeof FLOW_FLAGS, boolean> {}

NUMBER_NAMES.forEach((name, i) => {
  Object.defineProperty(Flow.prototype, name, {
    get(this: { s: Float64Array; o: number }) {
      return this.s[this.o + i];
    },
    set(this: { s: Float64Array; o: number }, v: number) {
      this.s[this.o + i] = v;
    },
  });
});
FLAG_NAMES.forEach((name, j) => {
  const i = NUMBER_NAMES.length + j;
  Object.defineProperty(Flow.prototype, name, {
    get(this: { s: Float64Array; o: number }) {
      return this.s[this.o + i] !== 0;
    },
    set(this: { s: Float64Array; o: number }, v: boolean) {
      this.s[this.o + i] = v ? 1 : 0;
    },
  });
});

export function newFlows(): readonly [Flow, Flow] {
  const s = new Float64Array(FLOW_SLOTS * 2);
  s.set(FLOW_DEFAULTS, 0);
  s.set(FLOW_DEFAULTS, FLOW_SLOTS);
  return [new Flow(s, 0), new Flow(s, FLOW_SLOTS)];
}

export class Connection {
  stream = 0;
  ipVersion: 4 | 6 = 4;
  /** Endpoint A is the sender of the first packet seen; B the receiver. flows[0] is A's direction. */
  a4 = 0;
  b4 = 0;
  a6: Uint32Array | null = null;
  b6: Uint32Array | null = null;
  pa = 0;
  pb = 0;
  readonly flows: readonly [Flow, Flow] = newFlows();
  /** Index into flows of the client: the SYN sender, or the first sender when no SYN was seen. */
  client: 0 | 1 = 0;
  /** Initial RTT (most recent pure SYN to the first non-SYN ACK after it); -1 until known. */
  irtt = -1;
  tsMruSyn = -1;
  firstTime = 0;
  lastTime = 0;
  firstFrame = 0;
  lastFrame = 0;
  /** Packets per tshark flag, in catalogue order; allocated at the first flag. */
  flagCounts: Uint32Array | null = null;
  /** Findings by kind; allocated at the first finding. */
  findingCounts: Partial<Record<FindingKind, number>> | null = null;
  /** The first findings, kept for the summary (bounded); allocated at the first finding. */
  findings: Finding[] | null = null;
  /** Zeek-style history letters in order of first appearance (upper case = client), and which were seen. */
  history = '';
  historySeen = 0;
  /** Capture time the connection was seen to close (RST, or both FINs acknowledged); -1 while open. */
  closedAt = -1;
  /** The 4-tuple hash, kept for removal. */
  hash = 0;
  /** Next connection in the same hash bucket. */
  hashNext: Connection | null = null;
  /** Set once summarised and dropped from the table. */
  finished = false;

  constructor(p: TcpPacket, stream: number, time: number) {
    this.init(p, stream, time);
  }

  /**
   * (Re)start as a new connection for packet `p`. Recycled connections come through here too, so
   * every per-connection field is reset: from the pristine values of a template for the numbers,
   * by hand for what must not be shared.
   */
  init(p: TcpPacket, stream: number, time: number): this {
    if (this.finished) {
      Object.assign(this, CONNECTION_TEMPLATE);
      this.flows[0].reset();
      this.flows[1].reset();
      this.flagCounts?.fill(0);
      this.findingCounts = null;
      this.findings = null;
      this.a6 = null;
      this.b6 = null;
    }
    this.stream = stream;
    this.ipVersion = p.ipVersion;
    if (p.ipVersion === 4) {
      this.a4 = p.src4;
      this.b4 = p.dst4;
    } else {
      this.a6 = Uint32Array.from(p.src6);
      this.b6 = Uint32Array.from(p.dst6);
    }
    this.pa = p.sport;
    this.pb = p.dport;
    this.firstTime = time;
    this.lastTime = time;
    this.firstFrame = p.frame;
    return this;
  }

  /** 0 when the packet goes A→B, 1 when B→A, -1 when it is not this connection's. */
  directionOf(p: TcpPacket): 0 | 1 | -1 {
    if (p.ipVersion !== this.ipVersion) return -1;
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

/** A hash of the 4-tuple that is the same in both directions. */
export function tupleHash(p: TcpPacket): number {
  let s: number;
  let d: number;
  if (p.ipVersion === 4) {
    s = p.src4;
    d = p.dst4;
  } else {
    const a = p.src6;
    const b = p.dst6;
    s = (a[0]! ^ Math.imul(a[1]!, 31) ^ Math.imul(a[2]!, 961) ^ Math.imul(a[3]!, 29791)) | 0;
    d = (b[0]! ^ Math.imul(b[1]!, 31) ^ Math.imul(b[2]!, 961) ^ Math.imul(b[3]!, 29791)) | 0;
  }
  return (mix(s, p.sport) ^ mix(d, p.dport)) & 0x3fffffff;
}

/** Open connections by 4-tuple. Memory is proportional to the connections in it, nothing else. */
export class ConnectionTable {
  private readonly buckets = new Map<number, Connection>();
  size = 0;

  /** The connection this packet belongs to and the packet's direction in it, or null. */
  find(p: TcpPacket, h: number): Connection | null {
    for (let c = this.buckets.get(h) ?? null; c !== null; c = c.hashNext) {
      if (c.directionOf(p) !== -1) return c;
    }
    return null;
  }

  add(c: Connection, h: number): void {
    c.hashNext = this.buckets.get(h) ?? null;
    this.buckets.set(h, c);
    this.size++;
  }

  forEach(fn: (c: Connection) => void): void {
    for (const head of this.buckets.values()) for (let c: Connection | null = head; c !== null; c = c.hashNext) fn(c);
  }

  remove(c: Connection, h: number): void {
    let prev: Connection | null = null;
    for (let x = this.buckets.get(h) ?? null; x !== null; prev = x, x = x.hashNext) {
      if (x !== c) continue;
      if (prev) prev.hashNext = x.hashNext;
      else if (x.hashNext) this.buckets.set(h, x.hashNext);
      else this.buckets.delete(h);
      x.hashNext = null;
      this.size--;
      return;
    }
  }
}

/** Every scalar field of a fresh Connection (a test checks that a recycled one equals a fresh one). */
const CONNECTION_TEMPLATE: Partial<Connection> = {
  stream: 0, ipVersion: 4, a4: 0, b4: 0, pa: 0, pb: 0, client: 0, irtt: -1, tsMruSyn: -1, firstTime: 0, lastTime: 0,
  firstFrame: 0, lastFrame: 0, history: '', historySeen: 0, closedAt: -1, hash: 0, hashNext: null, finished: false,
};
