/**
 * The time-sequence graph of a whole connection in bounded memory. The story recorder keeps the
 * first packets of a connection in full; a long connection (the bench's 180 000-packet transfers)
 * also needs an overview of everything after them. Each side's packets become points, and when a
 * side holds 2·POINTS points, neighbours are merged pairwise: a point then stands for 2, 4, 8 …
 * packets (its time span, lowest and highest byte, highest ACK and window edge, and the marks of
 * every packet in it). Memory per open connection is fixed, whatever the connection's length.
 */
import { TcpFlag } from '../../capture/tcp-packet.js';
import { AFlag } from '../../analyze/flags.js';
import type { PacketView } from '../sink.js';

/** Marks of a packet (or of the packets a merged point stands for), as the graph draws them. */
export const Mark = {
  retransmission: 1,
  dupAck: 2,
  fin: 4,
  rst: 8,
  syn: 16,
  ackedUnseen: 32,
  zeroWindow: 64,
  outOfOrder: 128,
  lostSegment: 256,
  finding: 512,
} as const;

const RETRANS = AFlag.retransmission | AFlag.fast_retransmission | AFlag.spurious_retransmission;

/** The marks of one packet, from its TCP flags, tshark's analysis bits and whether it has findings. */
export function marksOf(tcpFlags: number, analysis: number, hasFindings: boolean): number {
  let m = 0;
  if (analysis & RETRANS) m |= Mark.retransmission;
  if (analysis & AFlag.duplicate_ack) m |= Mark.dupAck;
  if (analysis & AFlag.ack_lost_segment) m |= Mark.ackedUnseen;
  if (analysis & AFlag.zero_window) m |= Mark.zeroWindow;
  if (analysis & AFlag.out_of_order) m |= Mark.outOfOrder;
  if (analysis & AFlag.lost_segment) m |= Mark.lostSegment;
  if (tcpFlags & TcpFlag.FIN) m |= Mark.fin;
  if (tcpFlags & TcpFlag.RST) m |= Mark.rst;
  if (tcpFlags & TcpFlag.SYN) m |= Mark.syn;
  if (hasFindings) m |= Mark.finding;
  return m;
}

/** Fields of a point, in the flat array. */
const T0 = 0, T1 = 1, LO = 2, HI = 3, ACK = 4, EDGE = 5, MARKS = 6, N = 7;
const W = 8;

/** One side's points: a flat Float64Array of W numbers per point. */
class SidePoints {
  /** Grown by doubling up to `max` points: most connections are a handful of packets. */
  a = new Float64Array(2 * W);
  count = 0;
  /** Packets per complete point at the current level. */
  span = 1;
  /** Packets added. */
  packets = 0;

  constructor(private readonly max: number) {}

  add(t: number, lo: number, hi: number, ack: number, edge: number, marks: number): void {
    this.packets++;
    let a = this.a;
    let o = (this.count - 1) * W;
    if (this.count === 0 || a[o + N]! >= this.span) {
      if (this.count === this.max) this.halve();
      else if (this.count * W === a.length) {
        const b = new Float64Array(Math.min(this.max, this.count * 2) * W);
        b.set(a);
        this.a = a = b;
      }
      o = this.count++ * W;
      a[o + T0] = t;
      a[o + T1] = t;
      a[o + LO] = lo;
      a[o + HI] = hi;
      a[o + ACK] = ack;
      a[o + EDGE] = edge;
      a[o + MARKS] = marks;
      a[o + N] = 1;
      return;
    }
    a[o + T1] = t;
    if (lo < a[o + LO]!) a[o + LO] = lo;
    if (hi > a[o + HI]!) a[o + HI] = hi;
    if (ack > a[o + ACK]!) a[o + ACK] = ack;
    if (edge > a[o + EDGE]!) a[o + EDGE] = edge;
    a[o + MARKS] = a[o + MARKS]! | marks;
    a[o + N] = a[o + N]! + 1;
  }

  /** Merge neighbours pairwise: half the points, each standing for twice the packets. */
  private halve(): void {
    const a = this.a;
    let w = 0;
    for (let r = 0; r < this.count; r += 2, w++) {
      const x = r * W;
      const y = x + W;
      const o = w * W;
      const has2 = r + 1 < this.count;
      a[o + T0] = a[x + T0]!;
      a[o + T1] = has2 ? a[y + T1]! : a[x + T1]!;
      a[o + LO] = has2 ? Math.min(a[x + LO]!, a[y + LO]!) : a[x + LO]!;
      a[o + HI] = has2 ? Math.max(a[x + HI]!, a[y + HI]!) : a[x + HI]!;
      a[o + ACK] = has2 ? Math.max(a[x + ACK]!, a[y + ACK]!) : a[x + ACK]!;
      a[o + EDGE] = has2 ? Math.max(a[x + EDGE]!, a[y + EDGE]!) : a[x + EDGE]!;
      a[o + MARKS] = has2 ? a[x + MARKS]! | a[y + MARKS]! : a[x + MARKS]!;
      a[o + N] = has2 ? a[x + N]! + a[y + N]! : a[x + N]!;
    }
    this.count = w;
    this.span *= 2;
  }

  /**
   * Plain numbers for the page, W per point; times in µs precision, no data → lo/hi -1, no ACK → ack/edge -1.
   */
  toJSON(): number[] {
    const out: number[] = [];
    const a = this.a;
    for (let i = 0; i < this.count * W; i += W) {
      const noData = a[i + LO] === Infinity;
      out.push(
        round6(a[i + T0]!),
        round6(a[i + T1]!),
        noData ? -1 : a[i + LO]!,
        noData ? -1 : a[i + HI]!,
        a[i + ACK]! < 0 ? -1 : a[i + ACK]!,
        a[i + EDGE]! < 0 ? -1 : a[i + EDGE]!,
        a[i + MARKS]!,
        a[i + N]!,
      );
    }
    return out;
  }
}

const round6 = (t: number): number => Math.round(t * 1e6) / 1e6;

/** A connection's overview: client's and server's points (W numbers each, see SidePoints.toJSON). */
export interface SeriesJson {
  client: number[];
  server: number[];
}

/** Collects every open connection's points; the caller takes a connection's series when it ends. */
export class SeriesCollector {
  private readonly open = new Map<number, [SidePoints, SidePoints]>();

  /** `points`: the most points kept per side (between points/2 and points once it has halved). */
  constructor(private readonly points = 2000) {}

  packet(v: PacketView): void {
    const r = v.r;
    let s = this.open.get(r.stream);
    if (!s) this.open.set(r.stream, (s = [new SidePoints(this.points), new SidePoints(this.points)]));
    const p = v.p;
    const hasAck = (p.flags & TcpFlag.ACK) !== 0;
    // Sequence space occupied: payload, plus one for SYN or FIN (so that a bare FIN is drawn too).
    const occ = p.len + (p.flags & TcpFlag.SYN ? 1 : 0) + (p.flags & TcpFlag.FIN ? 1 : 0);
    s[r.side === 'client' ? 0 : 1].add(
      v.time,
      occ > 0 ? r.seq : Infinity,
      occ > 0 ? r.seq + occ : -Infinity,
      hasAck ? r.ack : -1,
      hasAck ? r.ack + r.win : -1,
      marksOf(p.flags, r.verdict.flags, r.findings.length > 0),
    );
  }

  /** The ended connection's series, or null if it had no packets; forgets it either way. */
  take(stream: number): SeriesJson | null {
    const s = this.open.get(stream);
    this.open.delete(stream);
    return s ? { client: s[0].toJSON(), server: s[1].toJSON() } : null;
  }

  /** Packets seen so far on a connection. */
  packets(stream: number): number {
    const s = this.open.get(stream);
    return s ? s[0].packets + s[1].packets : 0;
  }

  /** Forget a connection without building its series. */
  drop(stream: number): void {
    this.open.delete(stream);
  }
}
