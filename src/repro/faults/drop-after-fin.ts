/**
 * `drop-after-fin`: a stateful firewall or NAT that forgets (or stops forwarding for) a flow once
 * one side has sent its FIN, so data still flowing toward the half-closed side is lost: the sender
 * retransmits until it gives up (seen with middleboxes whose "FIN seen" timeout is short, or that
 * keep no half-closed state at all).
 */
import { TCP_FIN, TCP_SYN } from '../frame.js';
import { connKey } from './conn-key.js';
import { IsnBook, otherSide, usageError, type FaultModule, type Side } from './fault.js';

export const dropAfterFin: FaultModule = {
  name: 'drop-after-fin',
  usage: 'drop-after-fin',
  summary: 'a middlebox that stops forwarding data toward a side once that side has sent its FIN (the half-closed direction goes dark)',
  create(args) {
    if (args.length > 0) throw usageError(['drop-after-fin', ...args].join(':'), 'takes no options');
    const finBy = new Map<string, Set<Side>>();
    const book = new IsnBook();
    return {
      onFrame(frame, tcp, from, io) {
        if (!tcp) return io.emit(frame, from);
        book.see(tcp);
        const key = connKey(tcp, from);
        if (tcp.has(TCP_SYN)) finBy.delete(key);
        const fins = finBy.get(key);
        const toward = otherSide(from);
        if (fins?.has(toward) && tcp.payloadLen > 0) {
          io.log(`dropped ${from} data toward the half-closed ${toward} (Seq=${book.seq(tcp)} Len=${tcp.payloadLen})`);
          return;
        }
        if (tcp.has(TCP_FIN)) {
          if (fins) fins.add(from);
          else finBy.set(key, new Set([from]));
        }
        io.emit(frame, from);
      },
    };
  },
};
