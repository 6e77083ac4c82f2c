/**
 * `vbox-nat[:rst]`: VirtualBox 4.3's NAT port forwarding on a host loopback address, as the seed
 * report traced it (VirtualBox tickets #13116 and #4925). Once the client's FIN has passed, every
 * ACK number the client sends toward the server arrives one too high: the NAT counts the client's
 * FIN in the server's sequence space. The server sees an ACK for a byte it never sent (Ack=76
 * after sending up to 75), discards it (RFC 9293 §3.10.7.4: an ACK of something not yet sent is
 * dropped), retransmits, and the client's duplicate ACKs carry the same wrong number.
 *
 * With `rst`, the NAT also ends the connection the way the seed's did: when the server's FIN
 * arrives, or the server's fourth retransmission after the bad ACK (a Linux server keeps its FIN
 * queued behind the unacknowledged data, so the seed's FIN-carrying fourth retransmission is a
 * plain one here), that frame goes no further; the server gets a RST from the client's address
 * (Seq = the client's next sequence number, Win=0, as in the seed's last frame) and the client a
 * RST from the server's.
 */
import { buildReply, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../frame.js';
import { connKey, seqDiff } from './conn-key.js';
import { IsnBook, usageError, type FaultModule } from './fault.js';

interface NatConn {
  clientFinPassed: boolean;
  /** Client's next sequence number (raw), and the last ACK it really sent (its RCV.NXT). */
  clientNext: number;
  clientRcvNext: number;
  /** End of the highest server sequence seen (raw); -1 before any. */
  serverHigh: number;
  retransmissions: number;
  reset: boolean;
}

const RESET_ON_RETRANSMISSION = 4;

export const vboxNat: FaultModule = {
  name: 'vbox-nat',
  usage: 'vbox-nat[:rst]',
  summary: "VirtualBox NAT port forwarding: after the client's FIN, its ACK numbers arrive +1 (the seed bug); :rst also resets both ends as the seed's NAT did",
  create(args) {
    if (args.length > 1 || (args.length === 1 && args[0] !== 'rst')) throw usageError(['vbox-nat', ...args].join(':'), "the only option is 'rst' (vbox-nat or vbox-nat:rst)");
    const rst = args[0] === 'rst';
    const conns = new Map<string, NatConn>();
    const book = new IsnBook();
    return {
      onFrame(frame, tcp, from, io) {
        if (!tcp) return io.emit(frame, from);
        book.see(tcp);
        const key = connKey(tcp, from);
        let c = conns.get(key);
        if (!c || tcp.has(TCP_SYN) && from === 'client' && !tcp.has(TCP_ACK)) {
          c = { clientFinPassed: false, clientNext: tcp.seq, clientRcvNext: 0, serverHigh: -1, retransmissions: 0, reset: false };
          conns.set(key, c);
        }
        if (c.reset) return io.emit(frame, from);
        if (from === 'client') {
          const end = (tcp.seq + tcp.seqLen) >>> 0;
          if (seqDiff(end, c.clientNext) > 0) c.clientNext = end;
          if (tcp.has(TCP_ACK)) {
            c.clientRcvNext = tcp.ack;
            if (c.clientFinPassed) {
              const was = book.ack(tcp);
              tcp.ack = tcp.ack + 1;
              tcp.fixChecksums();
              io.log(`client ACK rewritten: Ack=${was} -> Ack=${book.ack(tcp)} (after the client's FIN, counted in the wrong direction)`);
            }
          }
          if (tcp.has(TCP_FIN) && !c.clientFinPassed) {
            c.clientFinPassed = true;
            io.log(`client FIN passed (Seq=${book.seq(tcp)}): from now on its ACK numbers are one too high`);
          }
          return io.emit(frame, from);
        }
        // From the server.
        const end = (tcp.seq + tcp.seqLen) >>> 0;
        const isRetransmission = tcp.payloadLen > 0 && c.serverHigh !== -1 && seqDiff(end, c.serverHigh) <= 0;
        if (c.serverHigh === -1 || seqDiff(end, c.serverHigh) > 0) c.serverHigh = end;
        if (rst && c.clientFinPassed) {
          if (isRetransmission) c.retransmissions++;
          const why = tcp.has(TCP_FIN) ? "the server's FIN" : c.retransmissions >= RESET_ON_RETRANSMISSION ? `the server's retransmission #${c.retransmissions}` : null;
          if (why) {
            c.reset = true;
            io.log(`${why} (Seq=${book.seq(tcp)} Len=${tcp.payloadLen}) stopped at the NAT; resetting both ends`);
            io.emit(buildReply(tcp, true, c.clientNext, 0, TCP_RST, 0), 'client');
            io.emit(buildReply(tcp, false, c.clientRcvNext, c.clientNext, TCP_RST | TCP_ACK, 0), 'server');
            return;
          }
        }
        io.emit(frame, from);
      },
    };
  },
};
