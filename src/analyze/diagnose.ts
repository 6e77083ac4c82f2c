/**
 * The diagnoses tshark cannot make (see findings.ts for the catalogue). Called once per packet
 * after tshark's rules, before the packet's own data moves the sender's flow.
 */
import { TcpFlag } from '../capture/tcp-packet.js';
import type { Connection, Flow } from './connection.js';
import { AFlag } from './flags.js';
import {
  settleAckUnsent,
  type AckUnsentFinding,
  type Finding,
  type Side,
} from './findings.js';
import type { Segment } from './segment.js';
import { seq32, seqDiff, seqGt, seqLt, seqRaw, seqRel } from './seq.js';

const peerOf = (s: Side): Side => (s === 'client' ? 'server' : 'client');

/**
 * Evidence about the peer's pending bad ACK `bad`, carried by segment `s` from F (whose peer R
 * sent the bad ACK). Returns a `real_retransmission` finding when tshark mislabels a
 * retransmission as spurious. `prevAck` is F's ACK before this segment.
 */
function answerToBadAck(conn: Connection, F: Flow, bad: AckUnsentFinding, s: Segment, side: Side, tsharkFlags: number, prevAck: number): Finding | null {
  if (bad.captureGap) return null;
  const { seq, len } = s;
  const rawAck = seq32(bad.rawAck);
  const firstAnswer = bad.peerPackets++ === 0;
  // Data F had already sent that the bad ACK alone covered (data below an earlier valid ACK is
  // another story): F did not accept that ACK, and this retransmission is real.
  if (len > 0 && seqLt(seq, F.sndNxt) && seqLt(seq, rawAck) && seqGt(seq + len, bad.validAckBefore)) {
    if (!bad.rejected) {
      bad.rejected = true;
      bad.rejectedBy = s.frame;
      settleAckUnsent(bad);
    }
    return {
      kind: 'real_retransmission',
      frame: s.frame,
      stream: conn.stream,
      by: side,
      badAckFrame: bad.frame,
      seq: seqRel(seq, F.baseSeq),
      len,
      explain:
        `a real retransmission: the only ACK covering it (frame ${bad.frame}, Ack=${bad.ack}) acknowledged bytes never sent` +
        (tsharkFlags & AFlag.spurious_retransmission ? ", so tshark's “Spurious” is wrong" : ''),
    };
  }
  if (bad.rejected) return null;
  if (firstAnswer && len === 0 && !(s.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) && seq === F.sndNxt && s.ack === prevAck) {
    // The peer's next packet is a pure ACK that does not move: RFC 9293 §3.10.7.4's answer to
    // an ACK of something not yet sent ("send an ACK, drop the segment").
    bad.rejected = true;
    bad.rejectedBy = s.frame;
    settleAckUnsent(bad);
  } else if (len > 0 && !seqLt(seq, F.sndNxt) && seqGt(seq + len, F.sndNxt) && seqLt(seq, rawAck)) {
    // New data that the ACK had already covered: the capture saw the ACK before the data.
    bad.captureGap = true;
    settleAckUnsent(bad);
  }
  return null;
}

/**
 * ackscope's findings for segment `s`, sent by F (its peer R) on the `side` of `conn`, pushed to
 * `out`. `tsharkFlags` are tshark's verdict on it; `s.prevAck` is F's ACK before it (a field,
 * not an argument: an int32 outside V8's small-integer range passed to a call is a heap number).
 */
export function diagnose(conn: Connection, F: Flow, R: Flow, s: Segment, side: Side, tsharkFlags: number, out: Finding[]): void {
  const { frame, seq, ack, len } = s;
  const tcpFlags = s.flags;
  const ackBeyond = (tcpFlags & TcpFlag.ACK) !== 0 && R.seen && seqGt(ack, R.sndNxt);
  // The ordinary packet: nothing pending, nothing new. One test instead of four.
  if (R.badAck === null && !ackBeyond && !(len > 0 && F.finSent) && !(tcpFlags & TcpFlag.RST)) return;
  const peer = peerOf(side);

  if (R.badAck !== null) {
    const answer = answerToBadAck(conn, F, R.badAck, s, side, tsharkFlags, s.prevAck);
    if (answer) out.push(answer);
  }

  // ack_unsent: an ACK beyond everything the peer has sent (as far as the capture saw).
  if (ackBeyond) {
    const prev = F.badAck;
    if (prev !== null && prev.rawAck === seqRaw(ack)) {
      (prev as { repeats: number }).repeats++;
    } else {
      const captureGap = R.maxseqtobeacked !== 0 && seqLt(R.maxseqtobeacked, R.nextseq);
      const f: AckUnsentFinding = {
        kind: 'ack_unsent',
        frame,
        stream: conn.stream,
        by: side,
        ack: seqRel(ack, R.baseSeq),
        rawAck: seqRaw(ack),
        peerPackets: 0,
        validAckBefore: F.ackHighSet ? F.ackHigh : R.baseSeq,
        peerNext: seqRel(R.sndNxt, R.baseSeq),
        beyond: seqDiff(ack, R.sndNxt),
        afterOwnFin: F.finSent,
        rejected: false,
        rejectedBy: 0,
        // Capture started after the peer's SYN: what it sent before is unknown.
        captureGap: captureGap || !R.sawSyn,
        repeats: 0,
        verdict: 'unconfirmed',
        explain: '',
      };
      settleAckUnsent(f);
      F.badAck = f;
      out.push(f);
    }
  }

  // data_after_fin: payload beyond this side's own FIN.
  if (len > 0 && F.finSent && seqGt(seq + len, F.finSeq)) {
    const bytes = Math.min(len, seqDiff(seq + len, F.finSeq));
    out.push({
      kind: 'data_after_fin',
      frame,
      stream: conn.stream,
      by: side,
      bytes,
      finFrame: F.finFrame,
      explain: `${side} sent ${bytes} byte${bytes === 1 ? '' : 's'} after its own FIN (frame ${F.finFrame})`,
    });
  }

  // rst_after_fin: a reset on a connection that was already half-closed.
  if (tcpFlags & TcpFlag.RST && (F.finSent || R.finSent) && !F.rstSent) {
    const halfClosedBy: Side | 'both' = F.finSent && R.finSent ? 'both' : F.finSent ? side : peer;
    const acked = F.ackHighSet ? F.ackHigh : R.seen ? R.dataEnd : 0;
    const unackedBytes = R.seen ? Math.max(0, seqDiff(R.dataEnd, acked)) : 0;
    out.push({
      kind: 'rst_after_fin',
      frame,
      stream: conn.stream,
      by: side,
      halfClosedBy,
      resetBy: side,
      unackedBytes,
      explain:
        `${side} reset the connection after ${halfClosedBy === 'both' ? 'both sides' : `the ${halfClosedBy}`} had sent FIN` +
        (unackedBytes > 0 ? `; ${unackedBytes} ${peer} byte${unackedBytes === 1 ? ' was' : 's were'} never acknowledged and are lost` : '; nothing was left unacknowledged'),
    });
  }
}
