/**
 * ackscope's own diagnoses: what tshark cannot say. Each kind has a stable name, a severity and a
 * one-line description in one table; findings are plain objects carrying the numbers behind them.
 * They are rare, so they are allocated when they happen (never on the ordinary per-packet path).
 */
import type { Severity } from './flags.js';

export const FindingKind = {
  AckUnsent: 'ack_unsent',
  RealRetransmission: 'real_retransmission',
  RstAfterFin: 'rst_after_fin',
  DataAfterFin: 'data_after_fin',
} as const;
export type FindingKind = (typeof FindingKind)[keyof typeof FindingKind];

export const FINDING_CATALOGUE: Readonly<Record<FindingKind, { severity: Severity; title: string; description: string }>> = {
  ack_unsent: {
    severity: 'warn',
    title: 'ACK beyond the data sent',
    description:
      'An acknowledgement for bytes the peer never sent. If the peer goes on retransmitting what it covered, the ACK was ' +
      'rejected (RFC 9293 §3.10.7.4: an ACK of something not yet sent is dropped) and the acknowledger is broken; ' +
      'a gap in the capture can look the same, and is named when the evidence points to it.',
  },
  real_retransmission: {
    severity: 'warn',
    title: 'Retransmission of data never validly acknowledged',
    description:
      'tshark calls this retransmission spurious because an earlier ACK covered it, but that ACK acknowledged bytes ' +
      'never sent and was rejected: the data really was unacknowledged.',
  },
  rst_after_fin: {
    severity: 'warn',
    title: 'Reset after a half-close',
    description:
      'A RST on a connection where a FIN was already sent. Bytes the peer had sent beyond what the resetting side ' +
      'acknowledged are lost to the application.',
  },
  data_after_fin: {
    severity: 'warn',
    title: 'Data after own FIN',
    description: 'Bytes sent beyond the sequence number of the same side’s FIN: a FIN promises no more data.',
  },
};

export type Side = 'client' | 'server';

interface FindingBase {
  readonly kind: FindingKind;
  /** Frame the finding is attached to. */
  readonly frame: number;
  readonly stream: number;
  /** Which side sent the packet. */
  readonly by: Side;
}

export interface AckUnsentFinding extends FindingBase {
  readonly kind: 'ack_unsent';
  /** Relative ACK number sent, and the peer's highest relative sequence sent (next byte + FIN) at the time. */
  readonly ack: number;
  readonly peerNext: number;
  /** The raw ACK number (for matching repeats and evidence). */
  readonly rawAck: number;
  /** Packets the peer has sent since (internal bookkeeping for the challenge-ACK test). */
  peerPackets: number;
  /** The acknowledger's highest valid ACK before this one (raw, in the tracker's int32 form). */
  readonly validAckBefore: number;
  /** Bytes past what the peer had sent (1 for Ack=76 against 75). */
  readonly beyond: number;
  /** The acknowledger had already sent its FIN. */
  readonly afterOwnFin: boolean;
  /** The peer went on retransmitting data this ACK covered, or answered with a challenge ACK. Set by later packets. */
  rejected: boolean;
  /** Frame of the first packet that showed the rejection (0 until then). */
  rejectedBy: number;
  /** The capture shows a gap or reordering in the peer's direction that explains the ACK. */
  captureGap: boolean;
  /** How many more times the same side sent the same bad ACK. */
  repeats: number;
  /** `broken_peer`, `capture_gap` or `unconfirmed`: the conclusion from the evidence so far. */
  verdict: 'broken_peer' | 'capture_gap' | 'unconfirmed';
  /** One line for people. */
  explain: string;
}

export interface RealRetransmissionFinding extends FindingBase {
  readonly kind: 'real_retransmission';
  /** The bad ACK that made tshark call this spurious. */
  readonly badAckFrame: number;
  /** Relative sequence and length of the retransmitted data. */
  readonly seq: number;
  readonly len: number;
  readonly explain: string;
}

export interface RstAfterFinFinding extends FindingBase {
  readonly kind: 'rst_after_fin';
  /** Who had sent a FIN before the reset. */
  readonly halfClosedBy: Side | 'both';
  readonly resetBy: Side;
  /** Bytes the reset side's peer had sent beyond the highest point the reset side acknowledged. */
  readonly unackedBytes: number;
  readonly explain: string;
}

export interface DataAfterFinFinding extends FindingBase {
  readonly kind: 'data_after_fin';
  readonly bytes: number;
  readonly finFrame: number;
  readonly explain: string;
}

export type Finding = AckUnsentFinding | RealRetransmissionFinding | RstAfterFinFinding | DataAfterFinFinding;

/** Recompute the verdict and explanation of an ack_unsent finding after new evidence. */
export function settleAckUnsent(f: AckUnsentFinding): void {
  const peer = f.by === 'client' ? 'server' : 'client';
  if (f.rejected) {
    f.verdict = 'broken_peer';
    f.explain =
      `${f.by} acknowledged ${f.beyond} byte${f.beyond === 1 ? '' : 's'} the ${peer} never sent (Ack=${f.ack}, ${peer} had sent up to ${f.peerNext}); ` +
      `the ${peer} rejected it (frame ${f.rejectedBy})` +
      (f.afterOwnFin && f.beyond === 1
        ? `; sent after the ${f.by}'s own FIN, off by exactly one: its FIN's sequence number counted in the wrong direction, the signature of a broken NAT/proxy`
        : f.afterOwnFin
          ? `; sent after the ${f.by}'s own FIN`
          : '');
  } else if (f.captureGap) {
    f.verdict = 'capture_gap';
    f.explain = `Ack=${f.ack} is beyond what the capture saw the ${peer} send (${f.peerNext}), but the capture missed ${peer} packets: a capture gap, not a broken peer`;
  } else {
    f.verdict = 'unconfirmed';
    f.explain =
      `${f.by} acknowledged ${f.beyond} byte${f.beyond === 1 ? '' : 's'} beyond what the ${peer} sent (Ack=${f.ack} against ${f.peerNext})` +
      (f.afterOwnFin ? `, after its own FIN` : '') +
      '; no evidence yet whether the peer rejected it';
  }
}
