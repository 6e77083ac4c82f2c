/**
 * tshark 4.0's sequence analysis (`tcp_analyze_sequence_number`), rule for rule, on our state.
 * The order of the tests matters (some jump past others); each step cites what it mirrors in
 * ../shared/reference/wireshark-tcp-analysis.md (§4–§6). Comparisons are on raw sequence numbers.
 *
 * Known, deliberate omissions (they change no flag): the unacked-segment list (used by tshark only
 * for ACK RTT, RTO frame and bytes in flight) and its 10 000-segment cap.
 */
import { TcpFlag } from '../capture/tcp-packet.js';
import type { Connection, Flow } from './connection.js';
import { AFlag } from './flags.js';
import type { Segment } from './segment.js';
import { seqAdd, seqGt, seqLe, seqLt } from './seq.js';

/** What tshark says about one packet. A reused record. */
export class TsharkVerdict {
  flags = 0;
  dupAckNum = 0;
  dupAckFrame = 0;
}

const SFR = TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST;
/** tshark's 0xFFFFFFFF dup-ACK marker after an ACKed-unseen segment (held as -1, see Flow.dupacknum). */
const UNSEEN_MARK = -1;
/** tshark's Fast Retransmission window after the peer's last segment. */
const FAST_RETRANS_WINDOW = 0.02;
/** Out-Of-Order threshold when the initial RTT is not known. */
const OOO_DEFAULT_THRESHOLD = 0.003;

/**
 * Analyse segment `s`, sent by `F` (its peer is `R`), and update both flows as tshark does.
 * `out.flags` may already hold `reused_ports`.
 */
export function tsharkAnalyze(conn: Connection, F: Flow, R: Flow, s: Segment, out: TsharkVerdict): void {
  const { frame, seq, ack, len, win } = s;
  const tcpFlags = s.flags;
  const now = s.time;
  let flags = out.flags;
  const noSFR = (tcpFlags & SFR) === 0;
  const synOrFin = (tcpFlags & (TcpFlag.SYN | TcpFlag.FIN)) !== 0;

  checks: {
    // §5 zero_window_probe: one byte at nextseq into a zero window; skips checks 2-9.
    if (len === 1 && seq === F.nextseq && R.window === 0) {
      flags |= AFlag.zero_window_probe;
      break checks;
    }
    // §5 zero_window: raw window 0 on an ordinary segment.
    if (win === 0 && noSFR) flags |= AFlag.zero_window;
    // §5 lost_segment: the sequence jumped past what was seen (RST excluded, SYN/FIN not).
    if (F.nextseq !== 0 && seqGt(seq, F.nextseq) && !(tcpFlags & TcpFlag.RST)) flags |= AFlag.lost_segment;
    // §5 keep_alive: 0 or 1 byte at nextseq-1.
    if ((len === 0 || len === 1) && seq === seqAdd(F.nextseq, -1) && noSFR) flags |= AFlag.keep_alive;
    // §5 window_update: a pure ACK whose window changed.
    if (len === 0 && win !== 0 && win !== F.window && seq === F.nextseq && ack === F.lastack && noSFR) {
      flags |= AFlag.window_update;
    }
    // §5 window_full: the segment ends exactly at the right edge of the peer's window (scale must be known).
    if (len > 0 && R.winScale !== -1 && noSFR) {
      const shift = R.isFirstAck || R.winScale === -2 ? 0 : R.winScale;
      if (seqAdd(seq, len) === seqAdd(R.lastack, R.window * (1 << shift))) flags |= AFlag.window_full;
    }
    const pureRepeat = len === 0 && seq === F.nextseq && ack === F.lastack && noSFR;
    // §5 keep_alive_ack: the answer to the peer's keep-alive; skips check 9.
    if (pureRepeat && win !== 0 && win === F.window && R.lastsegmentflags & AFlag.keep_alive) {
      flags |= AFlag.keep_alive_ack;
      break checks;
    }
    // §5 zero_window_probe_ack: the answer to the peer's probe, window still zero; skips check 9.
    if (pureRepeat && win === 0 && F.window === 0 && R.lastsegmentflags & AFlag.zero_window_probe) {
      flags |= AFlag.zero_window_probe_ack;
      break checks;
    }
    // §5 duplicate_ack: same ack, same non-zero window, no data. The "-1" marker restarts the count at 1.
    if (pureRepeat && win !== 0 && win === F.window) {
      F.dupacknum = F.dupacknum === UNSEEN_MARK ? 1 : F.dupacknum + 1;
      flags |= AFlag.duplicate_ack;
      out.dupAckNum = F.dupacknum;
      out.dupAckFrame = F.lastnondupack;
    }
  }
  // finished_fwd: a new ack value becomes the reference for later dup ACKs.
  if (ack !== F.lastack) {
    F.lastnondupack = frame;
    F.dupacknum = 0;
  }

  // §5 ack_lost_segment ("ACKed unseen segment"), always evaluated.
  if (R.maxseqtobeacked !== 0 && seqGt(ack, R.maxseqtobeacked) && tcpFlags & TcpFlag.ACK) {
    if (seqLt(R.maxseqtobeacked, R.nextseq)) {
      R.maxseqtobeacked = R.nextseq;
      flags |= AFlag.ack_lost_segment;
    } else {
      if (R.dupacknum === 0) flags |= AFlag.ack_lost_segment;
      R.dupacknum = UNSEEN_MARK;
    }
  }

  // §5 retransmission family, for segments that occupy sequence space.
  if ((len > 0 || synOrFin) && !(flags & AFlag.keep_alive)) {
    let sna = F.nextseq !== 0 && seqLt(seq, F.nextseq);
    // Re-sending the last byte plus new data (after a probe) is not a retransmission.
    if (len > 1 && seq === seqAdd(F.nextseq, -1)) sna = false;
    family: {
      if (len > 0 && R.lastack !== 0 && seqLe(seqAdd(seq, len), R.lastack)) {
        flags |= AFlag.spurious_retransmission;
        break family;
      }
      // tcp.fastrt_supersedes_ooo (default on): Fast is tested before Out-Of-Order.
      // dupacknum is unsigned in tshark, so the 0xFFFFFFFF marker (our -1) also counts as ">= 2".
      // tshark holds both time deltas in a guint64: time running backwards (merged or concatenated
      // captures) wraps to a huge value and never passes, hence the `>= 0`.
      const sinceAck = now - R.lastacktime;
      if (sna && (R.dupacknum >= 2 || R.dupacknum === UNSEEN_MARK) && R.lastack === seq && sinceAck >= 0 && sinceAck < FAST_RETRANS_WINDOW) {
        flags |= AFlag.fast_retransmission;
        break family;
      }
      const threshold = conn.irtt >= 0 ? conn.irtt : OOO_DEFAULT_THRESHOLD;
      const sinceNext = now - F.nextseqtime;
      if (sna && sinceNext >= 0 && sinceNext < threshold && F.nextseq !== seqAdd(seq, len + (synOrFin ? 1 : 0))) {
        flags |= AFlag.out_of_order;
        break family;
      }
      if (sna) flags |= AFlag.retransmission;
    }
  }

  // §6 state updates.
  const zwp = (flags & AFlag.zero_window_probe) !== 0;
  let nextseqLocal = seqAdd(seq, len);
  if ((len > 0 || synOrFin) && synOrFin) nextseqLocal = seqAdd(nextseqLocal, 1);
  if ((seqGt(nextseqLocal, F.nextseq) || F.nextseq === 0) && !zwp) {
    F.nextseq = nextseqLocal;
    F.nextseqframe = frame;
    F.nextseqtime = now;
  }
  if ((seq === F.maxseqtobeacked || F.maxseqtobeacked === 0) && !zwp) F.maxseqtobeacked = F.nextseq;
  F.window = win;
  F.lastack = ack;
  F.lastacktime = now;
  F.lastsegmentflags = flags;
  out.flags = flags;
}
