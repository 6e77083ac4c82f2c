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
import { seqDiff, seqGt, seqLt, seqRel } from './seq.js';

export interface DiagnoseInput {
  conn: Connection;
  F: Flow;
  R: Flow;
  side: Side;
  frame: number;
  seq: number;
  ack: number;
  len: number;
  tcpFlags: number;
  tsharkFlags: number;
  /** The sender's previous ACK value (before this packet). */
  prevAck: number;
}

const peerOf = (s: Side): Side => (s === 'client' ? 'server' : 'client');

/**
 * Evidence about the peer's pending bad ACK, carried by this packet from F (whose peer R sent it).
 * Returns a `real_retransmission` finding when tshark mislabels a retransmission as spurious.
 */
function answerToBadAck(d: DiagnoseInput): Finding | null {
  const bad = d.R.badAck;
  if (bad === null || bad.captureGap) return null;
  const { F, seq, len, tcpFlags } = d;
  const firstAnswer = bad.peerPackets++ === 0;
  // Data F had already sent that the bad ACK alone covered (data below an earlier valid ACK is
  // another story): F did not accept that ACK, and this retransmission is real.
  if (len > 0 && seqLt(seq, F.sndNxt) && seqLt(seq, bad.rawAck) && seqGt(seq + len, bad.validAckBefore)) {
    if (!bad.rejected) {
      bad.rejected = true;
      bad.rejectedBy = d.frame;
      settleAckUnsent(bad);
    }
    return {
      kind: 'real_retransmission',
      frame: d.frame,
      stream: d.conn.stream,
      by: d.side,
      badAckFrame: bad.frame,
      seq: seqRel(seq, F.baseSeq),
      len,
      explain:
        `a real retransmission: the only ACK covering it (frame ${bad.frame}, Ack=${bad.ack}) acknowledged bytes never sent` +
        (d.tsharkFlags & AFlag.spurious_retransmission ? ", so tshark's “Spurious” is wrong" : ''),
    };
  }
  if (bad.rejected) return null;
  if (firstAnswer && len === 0 && !(tcpFlags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) && seq === F.sndNxt && d.ack === d.prevAck) {
    // The peer's next packet is a pure ACK that does not move: RFC 9293 §3.10.7.4's answer to
    // an ACK of something not yet sent ("send an ACK, drop the segment").
    bad.rejected = true;
    bad.rejectedBy = d.frame;
    settleAckUnsent(bad);
  } else if (len > 0 && !seqLt(seq, F.sndNxt) && seqGt(seq + len, F.sndNxt) && seqLt(seq, bad.rawAck)) {
    // New data that the ACK had already covered: the capture saw the ACK before the data.
    bad.captureGap = true;
    settleAckUnsent(bad);
  }
  return null;
}

export function diagnose(d: DiagnoseInput, out: Finding[]): void {
  const { conn, F, R, side, frame, seq, ack, len, tcpFlags } = d;
  const peer = peerOf(side);

  const answer = answerToBadAck(d);
  if (answer) out.push(answer);

  // ack_unsent: an ACK beyond everything the peer has sent (as far as the capture saw).
  if (tcpFlags & TcpFlag.ACK && R.seen && seqGt(ack, R.sndNxt)) {
    const prev = F.badAck;
    if (prev !== null && prev.rawAck === ack) {
      (prev as { repeats: number }).repeats++;
    } else {
      const captureGap = R.maxseqtobeacked !== 0 && seqLt(R.maxseqtobeacked, R.nextseq);
      const f: AckUnsentFinding = {
        kind: 'ack_unsent',
        frame,
        stream: conn.stream,
        by: side,
        ack: seqRel(ack, R.baseSeq),
        rawAck: ack,
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
