/**
 * The segment being analysed, as the tracker's rules read it: one reused record filled once per
 * packet, so that the rules take one argument instead of eight and the capture time is read from
 * a field rather than passed (a double passed to a function is boxed on the heap).
 */
import type { TcpPacket } from '../capture/tcp-packet.js';
import { TIME_ZERO } from './connection.js';
import { seq32 } from './seq.js';

export class Segment {
  frame = 0;
  /** Seconds since the first packet of the capture. */
  time = TIME_ZERO;
  /** Raw sequence and acknowledgement numbers in the tracker's int32 form (seq.ts). */
  seq = 0;
  ack = 0;
  /** Payload length. */
  len = 0;
  /** TCP flag bits. */
  flags = 0;
  /** Raw (unscaled) window. */
  win = 0;
  frameLen = 0;
  /** The sender's previous acknowledgement number (int32 form), set by the tracker for the diagnosis. */
  prevAck = 0;

  fill(p: TcpPacket): void {
    this.frame = p.frame;
    this.time = p.time;
    this.seq = seq32(p.seq);
    this.ack = seq32(p.ack);
    this.len = p.len;
    this.flags = p.flags;
    this.win = p.win;
    this.frameLen = p.frameLen;
  }
}
