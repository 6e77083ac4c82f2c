/**
 * `reset-on-fin`: a NAT or proxy that takes the first FIN for the end of the whole connection and
 * tears its mapping down with a reset to both ends, so a half-close never gets a half-open
 * connection (seen with proxies and NATs that only track full closes; the TCP spec, RFC 9293
 * §3.6, lets a half-closed connection carry data in the other direction indefinitely).
 */
import { buildReply, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../frame.js';
import { connKey } from './conn-key.js';
import { IsnBook, otherSide, usageError, type FaultModule } from './fault.js';

export const resetOnFin: FaultModule = {
  name: 'reset-on-fin',
  usage: 'reset-on-fin',
  summary: 'a NAT that treats the first FIN as the end of the connection: the FIN goes no further and both ends get a RST',
  create(args) {
    if (args.length > 0) throw usageError(['reset-on-fin', ...args].join(':'), 'takes no options');
    const done = new Set<string>();
    const book = new IsnBook();
    return {
      onFrame(frame, tcp, from, io) {
        if (!tcp) return io.emit(frame, from);
        book.see(tcp);
        const key = connKey(tcp, from);
        if (tcp.has(TCP_SYN)) done.delete(key);
        if (!tcp.has(TCP_FIN) || done.has(key)) return io.emit(frame, from);
        done.add(key);
        io.log(`${from} FIN (Seq=${book.seq(tcp)}) stopped at the NAT; resetting both ends`);
        // To the FIN's sender: Seq is what it expects next from its peer (its Ack), so it is accepted.
        io.emit(buildReply(tcp, true, tcp.ack, 0, TCP_RST, 0), otherSide(from));
        // To its peer: Seq is the FIN's own sequence number, the peer's RCV.NXT if nothing is missing.
        io.emit(buildReply(tcp, false, tcp.seq, tcp.ack, TCP_RST | TCP_ACK, 0), from);
      },
    };
  },
};
