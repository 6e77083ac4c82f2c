/**
 * tcptrace's per-direction numbers (`tcptrace -l -r`, version 6.6.7): packets, unique and
 * retransmitted bytes, windows, duplicate ACKs, RTT from data/ACK pairs (Karn's rule), the
 * handshake RTT. Fed by the tracker once per packet through {@link onSegment}; everything is kept
 * in plain fields and one small typed array per direction, so the hot path allocates nothing.
 *
 * What one {@link FlowStats} describes is the data its endpoint sends, as tcptrace's a→b column
 * does: its retransmissions, the windows it advertised, and the round-trip times of its segments
 * and the duplicate ACKs the peer sent for them.
 *
 * tcptrace remembers every range of sequence space a side has sent (rexmit.c). Here the ranges
 * not yet acknowledged are kept in a bounded list (the segments in flight), and everything
 * acknowledged is folded into one "acked piece", which is what tcptrace's collapse_quad makes of
 * contiguous acknowledged segments anyway. Differences that follow (see README "tcptrace's
 * numbers"): beyond {@link MAX_SEGMENTS} segments in flight the oldest leaves the list for an
 * "untracked" range (resending it still counts as a retransmission, its ACK gives no RTT sample,
 * holes in it count as sent); data below the first byte seen is not recorded; tcptrace's
 * sequence-space quadrants (which free a quarter of the space at a time) are not modelled.
 */
import { TcpFlag } from '../capture/tcp-packet.js';
import { seqDiff, seqGt } from './seq.js';
import type { Segment } from './segment.js';

/** Segments in flight remembered per direction (tcptrace keeps all of them). */
export const MAX_SEGMENTS = 256;
const STRIDE = 4; // start, end, time, retransmissions
const INITIAL_SEGMENTS = 2;
/**
 * Rings of {@link INITIAL_SEGMENTS} that no direction is using. A direction gives its ring back
 * whenever everything it sent is acknowledged, so the thousands of connections that are idle or
 * lingering after their close hold none, and a new connection takes one instead of allocating.
 */
const spareRings: Float64Array[] = [];
const MAX_SPARE_RINGS = 1024;
/**
 * Initial value of fields that hold doubles (positions, times, sums): -0 is 0 in every sum and
 * comparison but makes V8 give the field a double representation from the first object on (see
 * TIME_ZERO in connection.ts). Doubles also never cross a call here: a double argument or return
 * value of a call that is not inlined is a heap allocation, so times are read from {@link
 * FlowStats.now} and positions computed where they are used.
 */
const D0 = -0;

export class FlowStats {
  /** SYN and FIN packets sent (tcptrace's "SYN/FIN pkts sent"). */
  synCount = 0;
  finCount = 0;
  /** Packets with payload, and their payload (retransmissions included). */
  dataPkts = 0;
  dataBytes = 0;
  /** Payload octets sent for the first time (tcptrace's "unique bytes sent"). */
  uniqueBytes = 0;
  /** Packets that resent any octet (SYN and FIN octets count), and the resent octets. */
  rexmtPkts = 0;
  rexmtBytes = 0;
  outOfOrderPkts = 0;
  zwndProbePkts = 0;
  zwndProbeBytes = 0;
  /** ACKs this side sent with a zero window. */
  zeroWinAdv = 0;
  /** Windows this side advertised (scaled when both SYNs offered scaling): max, non-zero min, sum. */
  winMax = 0;
  winMin = 0;
  winTot = D0;
  /** Divisor of the average: every packet, or those since scaling took effect. */
  winPkts = 0;
  winScaled = false;
  /** The window of this side's last non-RST packet (0 for one with neither ACK nor SYN). */
  winLast = 0;
  /** Window scaling offered in this side's SYN, and its shift. */
  wsOffered = false;
  wsShift = 0;
  /** The last ACK this side sent (tcptrace's `ack`; the peer's SYN sets it to the SYN's seq). */
  lastAck = 0;
  lastAckSet = false;
  /** Outstanding data was ever estimated above zero (tcptrace's owin_tot > 0). */
  owin = false;
  /** Sequence number of this side's SYN. */
  synSeq = 0;
  // RTT of this side's segments, in seconds.
  rttCount = 0;
  rttMin = D0;
  rttMax = D0;
  rttSum = D0;
  rttSum2 = D0;
  /** The last sample (0 after an ambiguous or invalid one), as tcptrace's rtt_last. */
  rttLast = D0;
  /** RTT of the handshake (the SYN acknowledged); NaN when not seen. */
  rtt3whs = NaN;
  /** Segments whose exact ACK came after a retransmission of them (Karn: no sample). */
  ambiguousAcks = 0;
  /** Exact ACKs of segments sent before a later-resent earlier one (no sample either). */
  noSampleAcks = 0;
  cumAcked = 0;
  /** Duplicate ACKs the peer sent for this side's data, and the runs that reached three. */
  dupAcks = 0;
  tripleDupAcks = 0;
  // Sequence positions: unwrapped doubles, position = refPos + seqDiff(seq, refSeq).
  refSet = false;
  refSeq = 0;
  refPos = D0;
  /** Everything acknowledged so far, folded into one piece [aStart, aEnd), sent last at aTime. */
  acked = false;
  aStart = D0;
  aEnd = D0;
  aTime = D0;
  /** ACKs covering the acked piece since it last grew (3 duplicates make it 4). */
  aCount = 0;
  /** Segments dropped from a full list, not yet acknowledged: [uStart, uEnd), no times kept. */
  untracked = false;
  uStart = D0;
  uEnd = D0;
  /** Unacknowledged segments, sorted by start: a ring of `n` from `head`, [start, end, time, retransmissions] each. */
  seg: Float64Array | null = null;
  head = 0;
  n = 0;
  /** Capture time of the packet being processed (set by {@link onSegment}). */
  now = D0;
  /** Whether the segment {@link record} last saw was out of order (tcptrace's definition). */
  lastOutOfOrder = false;

  /** Back to the values above; the segment ring goes back to the spares (a grown one to the GC). */
  reset(): void {
    if (this.seg !== null) this.releaseRing();
    this.synCount = 0;
    this.finCount = 0;
    this.dataPkts = 0;
    this.dataBytes = 0;
    this.uniqueBytes = 0;
    this.rexmtPkts = 0;
    this.rexmtBytes = 0;
    this.outOfOrderPkts = 0;
    this.zwndProbePkts = 0;
    this.zwndProbeBytes = 0;
    this.zeroWinAdv = 0;
    this.winMax = 0;
    this.winMin = 0;
    this.winTot = D0;
    this.winPkts = 0;
    this.winScaled = false;
    this.winLast = 0;
    this.wsOffered = false;
    this.wsShift = 0;
    this.lastAck = 0;
    this.lastAckSet = false;
    this.owin = false;
    this.synSeq = 0;
    this.rttCount = 0;
    this.rttMin = D0;
    this.rttMax = D0;
    this.rttSum = D0;
    this.rttSum2 = D0;
    this.rttLast = D0;
    this.rtt3whs = NaN;
    this.ambiguousAcks = 0;
    this.noSampleAcks = 0;
    this.cumAcked = 0;
    this.dupAcks = 0;
    this.tripleDupAcks = 0;
    this.refSet = false;
    this.refSeq = 0;
    this.refPos = D0;
    this.acked = false;
    this.aStart = D0;
    this.aEnd = D0;
    this.aTime = D0;
    this.aCount = 0;
    this.untracked = false;
    this.uStart = D0;
    this.uEnd = D0;
    this.head = 0;
    this.n = 0;
    this.lastOutOfOrder = false;
    this.now = D0;
  }

  /** Move the reference forward to `seq` (so that distances stay far below 2^31). */
  private advanceRef(seq: number): void {
    if (!this.refSet) {
      this.refSet = true;
      this.refSeq = seq;
      this.refPos = 4294967296; // room below for segments before the first one seen
    } else if (seqGt(seq, this.refSeq)) {
      this.refPos += seqDiff(seq, this.refSeq);
      this.refSeq = seq;
    }
  }

  /** Offset in {@link seg} of the i-th unacknowledged segment (0 = oldest). */
  private at(i: number): number {
    return ((this.head + i) & (this.seg!.length / STRIDE - 1)) * STRIDE;
  }

  /**
   * Record segment [seq, seq+len) (len counts SYN and FIN) sent at `time`, as tcptrace's rexmit():
   * returns the octets that overlap what was sent before; sets {@link lastOutOfOrder}. The sequence
   * number is read from the segment, not passed: half of all int32 values are not small integers
   * to V8, and passing one to a call that is not inlined allocates a heap number.
   */
  record(sg: Segment, len: number): number {
    const seq = sg.seq;
    this.advanceRef(seq);
    const start = this.refPos + seqDiff(seq, this.refSeq);
    this.lastOutOfOrder = false;
    // The usual case: beyond everything sent so far.
    const top = this.n > 0 ? this.seg![this.at(this.n - 1) + 1]! : this.untracked ? this.uEnd : this.acked ? this.aEnd : -Infinity;
    if (start < top) return this.recordOverlap(start, start + len);
    this.room();
    const o = this.at(this.n++);
    const a = this.seg!;
    a[o] = start;
    a[o + 1] = start + len;
    a[o + 2] = this.now;
    a[o + 3] = 0;
    return 0;
  }

  /**
   * {@link record} for a segment that starts below the highest one sent: a retransmission or one
   * filling a hole (rare, so kept out of the compiled code of the usual case). Returns the resent
   * octets as an integer (at most one segment's worth).
   */
  private recordOverlap(start: number, end: number): number {
    const time = this.now;
    let cur = start;
    let rex = 0;
    let split = false;
    if (this.acked && cur < this.aEnd && end > this.aStart) {
      if (cur < this.aStart) {
        // Below everything acknowledged: not recorded (tcptrace would add a piece).
        if (end < this.aEnd) this.lastOutOfOrder = true;
        cur = this.aStart;
      }
      const ovEnd = end < this.aEnd ? end : this.aEnd;
      rex += ovEnd - cur;
      this.aTime = time; // rtt_retrans: the piece was sent again now (it is acked: no statistics)
      if (end <= this.aEnd) return rex | 0;
      split = true;
      cur = this.aEnd;
    }
    if (this.untracked && cur < this.uEnd && end > this.uStart) {
      // Sent, but dropped from the list: counts as resent, with no RTT bookkeeping.
      if (cur < this.uStart) cur = this.uStart;
      const ovEnd = end < this.uEnd ? end : this.uEnd;
      rex += ovEnd - cur;
      if (end <= this.uEnd) return rex | 0;
      split = true;
      cur = this.uEnd;
    }
    for (let i = 0; i < this.n && cur < end; i++) {
      let o = this.at(i);
      const a = this.seg!;
      const ps = a[o]!;
      const pe = a[o + 1]!;
      if (pe <= cur) continue;
      if (cur < ps) {
        // Starts before this recorded segment: the part before it is new.
        if (end < pe) this.lastOutOfOrder = true;
        const newEnd = end < ps ? end : ps;
        const before = this.n;
        this.insert(i, cur, newEnd, time);
        cur = newEnd;
        if (cur >= end) return rex | 0;
        // The segment we were looking at moved up one (or stayed, if the oldest was dropped).
        if (this.n > before) i++;
        o = this.at(i);
      }
      const b = this.seg!;
      b[o + 3]!++;
      if (!split) b[o + 2] = time; // the time of the latest transmission (tcptrace's rtt_retrans)
      const ovEnd = end < pe ? end : pe;
      rex += ovEnd - cur;
      if (end <= pe) return rex | 0;
      split = true;
      cur = pe;
    }
    if (cur < end) {
      this.room();
      const o = this.at(this.n++);
      const a = this.seg!;
      a[o] = cur;
      a[o + 1] = end;
      a[o + 2] = time;
      a[o + 3] = 0;
    }
    return rex | 0;
  }

  /** Make room for one more segment: grow up to the bound, then forget the oldest. */
  private room(): void {
    let a = this.seg;
    if (a === null) {
      this.seg = spareRings.pop() ?? new Float64Array(INITIAL_SEGMENTS * STRIDE);
      this.head = 0;
      return;
    }
    const cap = a.length / STRIDE;
    if (this.n < cap) return;
    if (cap < MAX_SEGMENTS) {
      const b = new Float64Array(cap * 2 * STRIDE);
      for (let i = 0; i < this.n; i++) b.set(a.subarray(this.at(i), this.at(i) + STRIDE), i * STRIDE);
      this.seg = b;
      this.head = 0;
      return;
    }
    // Full: the oldest segment in flight joins the untracked range (its ACK will give no sample).
    const o = this.at(0);
    if (!this.untracked) {
      this.untracked = true;
      this.uStart = a[o]!;
    }
    this.uEnd = a[o + 1]!;
    this.head = (this.head + 1) & (cap - 1);
    this.n--;
  }

  /** Insert segment [s, e) before the i-th (a hole being filled: rare). */
  private insert(i: number, s: number, e: number, time: number): void {
    const before = this.n;
    this.room();
    if (this.n < before) {
      if (i === 0) {
        // The new one would be the oldest: it goes to the untracked range instead.
        if (s < this.uStart) this.uStart = s;
        return;
      }
      i--;
    }
    const a = this.seg!;
    for (let k = this.n; k > i; k--) a.copyWithin(this.at(k), this.at(k - 1), this.at(k - 1) + STRIDE);
    const o = this.at(i);
    a[o] = s;
    a[o + 1] = e;
    a[o + 2] = time;
    a[o + 3] = 0;
    this.n++;
  }

  /**
   * The peer acknowledged up to `sg.ack` (int32 form, read from the segment for the reason {@link
   * record} gives) at `time`, as tcptrace's ack_in(). `dup` says whether the ACK qualifies as a
   * duplicate (same value as the peer's previous ACK, no payload, same window, this side has had
   * data outstanding); `sg.len` is the ACK packet's own payload.
   */
  ackIn(sg: Segment, dup: boolean): void {
    if (!this.refSet) return;
    const ack = sg.ack;
    const payload = sg.len;
    const time = this.now;
    const ap = this.refPos + seqDiff(ack, this.refSeq);
    let lastXmit = -Infinity;
    if (this.acked && ap > this.aStart) {
      lastXmit = this.aTime;
      if (ap === this.aEnd) {
        if (dup) {
          this.dupAcks++;
          if (++this.aCount === 4 && payload === 0) this.tripleDupAcks++;
        } else {
          this.aCount = 1;
        }
      } else {
        this.aCount++;
      }
    }
    if (this.untracked && ap > this.uStart) this.ackUntracked(ap);
    while (this.n > 0) {
      const o = this.at(0);
      const a = this.seg!;
      const s = a[o]!;
      if (ap <= s) break;
      const e = a[o + 1]!;
      const t = a[o + 2]!;
      if (t > lastXmit) lastXmit = t;
      if (ap === e) {
        if (lastXmit > t) {
          this.noSampleAcks++;
          this.rttLast = 0;
        } else if (a[o + 3]! > 0) {
          this.ambiguousAcks++;
          this.rttLast = 0;
        } else {
          const rtt = time - t;
          this.rttLast = rtt;
          if (this.rttCount === 0 || rtt < this.rttMin) this.rttMin = rtt;
          if (rtt > this.rttMax) this.rttMax = rtt;
          this.rttSum += rtt;
          this.rttSum2 += rtt * rtt;
          this.rttCount++;
        }
      } else {
        this.cumAcked++;
      }
      // Fold it into the acked piece (as tcptrace's collapse_quad).
      if (!this.acked) {
        this.acked = true;
        this.aStart = s;
        this.aEnd = e;
        this.aTime = t;
      } else {
        if (e > this.aEnd) this.aEnd = e;
        if (t > this.aTime) this.aTime = t;
      }
      this.aCount = 1;
      this.head = (this.head + 1) & (a.length / STRIDE - 1);
      this.n--;
    }
    if (this.n === 0 && this.seg !== null && this.seg.length === INITIAL_SEGMENTS * STRIDE) this.releaseRing();
  }

  /** Give the segment ring back (nothing in flight): a small one is kept for the next direction that needs one. */
  private releaseRing(): void {
    if (this.seg!.length === INITIAL_SEGMENTS * STRIDE && spareRings.length < MAX_SPARE_RINGS) spareRings.push(this.seg!);
    this.seg = null;
  }

  /** Segments forgotten from the list (see {@link room}) acknowledged up to `ap`: no sample (rare). */
  private ackUntracked(ap: number): void {
    this.cumAcked++;
    const e = ap < this.uEnd ? ap : this.uEnd;
    if (!this.acked) {
      this.acked = true;
      this.aStart = this.uStart;
      this.aTime = D0;
    }
    if (e > this.aEnd) this.aEnd = e;
    this.aCount = 1;
    if (e === this.uEnd) this.untracked = false;
    else this.uStart = e;
  }
}

/**
 * One packet through tcptrace's dotrace() bookkeeping: `F` is the sender's statistics, `R` the
 * receiver's. Called by the tracker after the SYN's options were read into `F.wsOffered`/`wsShift`.
 */
export function onSegment(F: FlowStats, R: FlowStats, s: Segment, peerPackets: number): void {
  const f = s.flags;
  const syn = (f & TcpFlag.SYN) !== 0;
  const fin = (f & TcpFlag.FIN) !== 0;
  const ackf = (f & TcpFlag.ACK) !== 0;
  const rst = (f & TcpFlag.RST) !== 0;
  const payload = s.len;
  F.now = s.time;
  R.now = s.time;
  if (syn) F.synCount++;
  if (fin) F.finCount++;
  // The effective window: scaled only when both SYNs offered scaling, never on a SYN.
  let effWin = 0;
  if (ackf || syn) {
    effWin = s.win;
    if (F.wsOffered && R.wsOffered && !syn) effWin *= 1 << F.wsShift;
  }
  if (syn) {
    F.synSeq = s.seq;
    R.lastAck = s.seq;
    R.lastAckSet = true;
  }
  if (payload > 0) {
    F.dataPkts++;
    F.dataBytes += payload;
  }
  if (F.winScaled) F.winPkts++;
  // Retransmissions, unique bytes, zero-window probes.
  let rex = 0;
  let ooo = false;
  if (syn || fin || payload > 0) {
    let len = payload + (syn ? 1 : 0) + (fin ? 1 : 0);
    let cnt = 0;
    let probe = false;
    if (R.winLast === 0 && peerPackets > 0) {
      probe = true;
      F.zwndProbePkts++;
      F.zwndProbeBytes += payload;
    } else {
      cnt = rex = F.record(s, len);
      ooo = F.lastOutOfOrder;
    }
    if (ooo) F.outOfOrderPkts++;
    if (syn) {
      len--;
      if (F.synCount > 1) cnt--;
    }
    if (fin) {
      len--;
      if (F.finCount > 1) cnt--;
    }
    if (!probe && cnt < len) F.uniqueBytes += len - cnt;
  }
  // RTT and duplicate ACKs, for the peer's data.
  if (ackf) {
    const dup = R.owin && payload === 0 && F.lastAckSet && F.lastAck === s.ack && effWin === F.winLast;
    R.ackIn(s, dup);
    if (R.synCount === 1 && s.ack === ((R.synSeq + 1) | 0)) R.rtt3whs = R.rttLast;
  }
  if (rex > 0) F.rexmtPkts++;
  F.rexmtBytes += rex;
  if (rst) return; // tcptrace keeps no window statistics for a RST
  F.winLast = effWin;
  if (ackf || syn) {
    if (effWin > F.winMax) F.winMax = effWin;
    if (effWin > 0 && F.wsOffered && R.wsOffered && !syn && !F.winScaled) {
      // Scaling in effect from here: the statistics so far (from the SYNs) start again.
      F.winScaled = true;
      F.winMin = F.winMax = effWin;
      F.winTot = 0;
      F.winPkts = 1;
    } else if (effWin > 0 && (F.winMin === 0 || effWin < F.winMin)) {
      F.winMin = effWin;
    }
    F.winTot += effWin;
  }
  if (ackf) {
    if (effWin === 0) F.zeroWinAdv++;
    F.lastAck = s.ack;
    F.lastAckSet = true;
  }
  // Outstanding data (tcptrace's owin), only whether it was ever above zero.
  if (!syn && !ooo && rex === 0 && !F.owin) {
    const end = (s.seq + payload) | 0;
    F.owin = R.lastAckSet ? end !== ((R.lastAck - 1) | 0) : payload > 0;
  }
}

/** tcptrace's numbers for one direction, as summaries print them. Times in seconds. */
export interface DirectionStats {
  packets: number;
  /** Packets with payload and their payload, retransmissions included (tcptrace's "actual data"). */
  dataPackets: number;
  dataBytes: number;
  /** Payload sent for the first time (tcptrace's "unique bytes sent"). */
  uniqueBytes: number;
  /** Packets resending anything, and the octets resent (SYN and FIN count as one each). */
  retransmittedPackets: number;
  retransmittedBytes: number;
  outOfOrderPackets: number;
  zeroWindowProbes: number;
  /** Duplicate ACKs the peer sent for this side's data, and the runs of three. */
  duplicateAcks: number;
  tripleDuplicateAcks: number;
  /** ACKs this side sent advertising a zero window. */
  zeroWindowAdverts: number;
  /** Windows this side advertised (bytes, scaled); min is over non-zero windows. */
  window: { min: number; avg: number; max: number } | null;
  /** RTT of this side's segments from data/ACK pairs, retransmitted segments excluded (Karn). */
  rtt: { samples: number; min: number; avg: number; max: number; stddev: number } | null;
  /** RTT of this side's SYN (SYN to SYN-ACK, or SYN-ACK to ACK); null when not measured. */
  handshakeRtt: number | null;
  /** Unique bytes per second of the connection's duration; null when it lasted no time. */
  throughput: number | null;
}

export function directionStats(st: FlowStats, packets: number, duration: number): DirectionStats {
  const n = st.rttCount;
  const divisor = st.winScaled ? st.winPkts : packets;
  return {
    packets,
    dataPackets: st.dataPkts,
    dataBytes: st.dataBytes,
    uniqueBytes: st.uniqueBytes,
    retransmittedPackets: st.rexmtPkts,
    retransmittedBytes: st.rexmtBytes,
    outOfOrderPackets: st.outOfOrderPkts,
    zeroWindowProbes: st.zwndProbePkts,
    duplicateAcks: st.dupAcks,
    tripleDuplicateAcks: st.tripleDupAcks,
    zeroWindowAdverts: st.zeroWinAdv,
    window: st.winMax > 0 || st.zeroWinAdv > 0 ? { min: st.winMin, avg: divisor > 0 ? Math.round(st.winTot / divisor) : 0, max: st.winMax } : null,
    rtt:
      n > 0
        ? {
            samples: n,
            min: roundNs(st.rttMin),
            avg: roundNs(st.rttSum / n),
            max: roundNs(st.rttMax),
            stddev: n >= 2 ? roundNs(Math.sqrt(Math.max(0, (st.rttSum2 - (st.rttSum * st.rttSum) / n) / (n - 1)))) : 0,
          }
        : null,
    handshakeRtt: st.rtt3whs >= 0 ? roundNs(st.rtt3whs) : null,
    throughput: duration > 0 ? Math.round(st.uniqueBytes / duration) : null,
  };
}

/** Seconds to the nanosecond (what captures resolve at most); keeps JSON free of float noise. */
const roundNs = (t: number): number => Math.round(t * 1e9) / 1e9;
