/** `drop:SIDE:N[,N...]`: the chosen data segments of one side never arrive (a lossy link). */
import { DataCounter, describeSegment, IsnBook, parseIndexes, parseSide, type FaultModule } from './fault.js';

export const drop: FaultModule = {
  name: 'drop',
  usage: 'drop:SIDE:N[,N...]',
  summary: "loses the chosen data segments (1-based, counted per side, retransmissions included) of the client's or the server's",
  create(args) {
    const spec = ['drop', ...args].join(':');
    const side = parseSide(spec, args[0]);
    const which = parseIndexes(spec, args[1]);
    const count = new DataCounter(side);
    const book = new IsnBook();
    return {
      onFrame(frame, tcp, from, io) {
        if (tcp) book.see(tcp);
        const n = count.next(tcp, from);
        if (n > 0 && which.has(n)) {
          io.log(`dropped ${side} data segment #${n} (${describeSegment(tcp!, book)})`);
          return;
        }
        io.emit(frame, from);
      },
    };
  },
};
