/** `duplicate:SIDE:N[,N...]`: the chosen data segments arrive twice, back to back. */
import { DataCounter, describeSegment, IsnBook, parseIndexes, parseSide, type FaultModule } from './fault.js';

export const duplicate: FaultModule = {
  name: 'duplicate',
  usage: 'duplicate:SIDE:N[,N...]',
  summary: 'delivers each chosen data segment of one side twice',
  create(args) {
    const spec = ['duplicate', ...args].join(':');
    const side = parseSide(spec, args[0]);
    const which = parseIndexes(spec, args[1]);
    const count = new DataCounter(side);
    const book = new IsnBook();
    return {
      onFrame(frame, tcp, from, io) {
        if (tcp) book.see(tcp);
        const n = count.next(tcp, from);
        if (n > 0 && which.has(n)) {
          io.log(`duplicated ${side} data segment #${n} (${describeSegment(tcp!, book)})`);
          const copy = Buffer.from(frame); // the faults after this one may change the first
          io.emit(frame, from);
          io.emit(copy, from);
          return;
        }
        io.emit(frame, from);
      },
    };
  },
};
