/**
 * What state each endpoint is in, as far as the capture shows, with RFC 9293 §3.3.2 names.
 *
 * A passive observer sees a segment when it is sent, and assumes it arrives. So every segment
 * is two events: the sender's `onSegmentSent` and the receiver's `onSegmentArrives` (named after
 * RFC 9293 §3.10.7, "SEGMENT ARRIVES"). Every change goes through {@link setState}; nothing else
 * writes `state`.
 */
import { TcpFlag } from '../capture/tcp-packet.js';

export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

export interface StateChange {
  readonly from: TcpState;
  readonly to: TcpState;
  /** The RFC event behind it, e.g. `FIN sent`, `ACK of FIN received`. */
  readonly why: string;
}

export class EndpointState implements StateChange {
  state: TcpState = 'CLOSED';
  /** Whether the packet being processed changed the state; then `from`, `to`, `why` describe it. */
  changed = false;
  from: TcpState = 'CLOSED';
  to: TcpState = 'CLOSED';
  why = '';

  beginPacket(): void {
    this.changed = false;
  }

  reset(): void {
    this.state = 'CLOSED';
    this.changed = false;
    this.from = 'CLOSED';
    this.to = 'CLOSED';
    this.why = '';
  }

  /** The change made by the packet being processed, or null (no allocation: valid until the next packet). */
  get change(): StateChange | null {
    return this.changed ? this : null;
  }
}

function setState(ep: EndpointState, to: TcpState, why: string): void {
  if (ep.state === to) return;
  if (!ep.changed) ep.from = ep.state;
  ep.changed = true;
  ep.to = to;
  ep.why = why;
  ep.state = to;
}

/** What the state machine needs to know about one segment. */
export interface SegmentFacts {
  flags: number;
  /** The segment's ACK covers the receiver's FIN (ack >= receiver's FIN seq + 1). */
  acksReceiverFin: boolean;
  /** The receiver has sent a FIN (whether or not this segment acknowledges it). */
  receiverFinSent: boolean;
}

/** The sender's side of a segment (RFC 9293 §3.10.4 CLOSE, §3.10.2 SEND; the observer's inference). */
export function onSegmentSent(ep: EndpointState, seg: SegmentFacts): void {
  const f = seg.flags;
  if (f & TcpFlag.RST) {
    setState(ep, 'CLOSED', 'RST sent');
    return;
  }
  const syn = (f & TcpFlag.SYN) !== 0;
  const ack = (f & TcpFlag.ACK) !== 0;
  const fin = (f & TcpFlag.FIN) !== 0;
  switch (ep.state) {
    case 'CLOSED':
    case 'LISTEN':
      if (syn && !ack) setState(ep, 'SYN-SENT', 'SYN sent (active OPEN)');
      else if (syn) setState(ep, 'SYN-RECEIVED', 'SYN received, SYN,ACK sent');
      // No SYN seen: the capture started mid-connection, so the connection was already open.
      else setState(ep, fin ? 'FIN-WAIT-1' : 'ESTABLISHED', fin ? 'FIN sent (capture began mid-connection)' : 'traffic seen without a handshake');
      return;
    case 'SYN-SENT':
      if (syn && ack) setState(ep, 'SYN-RECEIVED', 'SYN,ACK sent (simultaneous open)');
      else if (ack && !syn) setState(ep, fin ? 'FIN-WAIT-1' : 'ESTABLISHED', 'ACK of SYN sent');
      return;
    case 'SYN-RECEIVED':
    case 'ESTABLISHED':
      if (fin) setState(ep, 'FIN-WAIT-1', 'FIN sent (CLOSE)');
      return;
    case 'CLOSE-WAIT':
      // A host really in CLOSE-WAIT acknowledges the peer's FIN in everything it sends. A FIN that
      // does not was sent before that FIN arrived (the observer, near the peer, saw the peer's FIN
      // first): a simultaneous close, §3.6 case 3. The host was in FIN-WAIT-1 and is now CLOSING.
      if (fin && seg.receiverFinSent && !seg.acksReceiverFin) setState(ep, 'CLOSING', 'FIN sent before the peer’s FIN arrived (simultaneous close)');
      else if (fin) setState(ep, 'LAST-ACK', 'FIN sent (CLOSE)');
      return;
    case 'FIN-WAIT-1':
    case 'FIN-WAIT-2':
    case 'CLOSING':
    case 'LAST-ACK':
    case 'TIME-WAIT':
      return;
    default:
      assertNever(ep.state);
  }
}

/** The receiver's side of a segment (RFC 9293 §3.10.7 SEGMENT ARRIVES). */
export function onSegmentArrives(ep: EndpointState, seg: SegmentFacts): void {
  const f = seg.flags;
  if (f & TcpFlag.RST) {
    // §3.10.7.4 second check: an acceptable RST closes the connection in any synchronized state.
    if (ep.state !== 'CLOSED') setState(ep, 'CLOSED', 'RST received');
    return;
  }
  const syn = (f & TcpFlag.SYN) !== 0;
  const ack = (f & TcpFlag.ACK) !== 0;
  const fin = (f & TcpFlag.FIN) !== 0;
  switch (ep.state) {
    case 'CLOSED':
    case 'LISTEN':
      // §3.10.7.2 LISTEN: a SYN arrives. Whether the receiver was listening shows only in its answer
      // (a SYN,ACK moves it to SYN-RECEIVED in onSegmentSent; a RST leaves it CLOSED), so wait for it.
      if (!syn) setState(ep, fin ? 'CLOSE-WAIT' : 'ESTABLISHED', fin ? 'FIN received (capture began mid-connection)' : 'traffic seen without a handshake');
      return;
    case 'SYN-SENT':
      // §3.10.7.3: SYN,ACK acknowledging our SYN → ESTABLISHED; a bare SYN → simultaneous open.
      if (syn && ack) setState(ep, 'ESTABLISHED', 'SYN,ACK received');
      else if (syn) setState(ep, 'SYN-RECEIVED', 'SYN received (simultaneous open)');
      return;
    case 'SYN-RECEIVED':
      // §3.10.7.4 fifth check: an ACK of our SYN completes the handshake.
      if (ack && !syn) setState(ep, fin ? 'CLOSE-WAIT' : 'ESTABLISHED', fin ? 'ACK of SYN and FIN received' : 'ACK of SYN received');
      return;
    case 'ESTABLISHED':
      if (fin) setState(ep, 'CLOSE-WAIT', 'FIN received');
      return;
    case 'FIN-WAIT-1':
      if (seg.acksReceiverFin && fin) setState(ep, 'TIME-WAIT', 'FIN and ACK of FIN received');
      else if (seg.acksReceiverFin) setState(ep, 'FIN-WAIT-2', 'ACK of FIN received');
      else if (fin) setState(ep, 'CLOSING', 'FIN received (simultaneous close)');
      return;
    case 'FIN-WAIT-2':
      if (fin) setState(ep, 'TIME-WAIT', 'FIN received');
      return;
    case 'CLOSING':
      if (seg.acksReceiverFin) setState(ep, 'TIME-WAIT', 'ACK of FIN received');
      return;
    case 'LAST-ACK':
      if (seg.acksReceiverFin) setState(ep, 'CLOSED', 'ACK of FIN received');
      return;
    case 'CLOSE-WAIT':
    case 'TIME-WAIT':
      return;
    default:
      assertNever(ep.state);
  }
}

export function assertNever(x: never): never {
  throw new Error(`unreachable: ${String(x)}`);
}
