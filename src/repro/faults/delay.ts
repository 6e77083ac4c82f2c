/** `delay:SIDE:N[,N...][:MS]`: the chosen data segments arrive MS later (default 300), the rest on time. */
import { DataCounter, describeSegment, IsnBook, parseIndexes, parseSide, usageError, type FaultModule } from './fault.js';

export const delay: FaultModule = {
  name: 'delay',
  usage: 'delay:SIDE:N[,N...][:MS]',
  summary: 'holds each chosen data segment of one side back MS milliseconds (default 300) while later ones pass',
  create(args) {
    const spec = ['delay', ...args].join(':');
    const side = parseSide(spec, args[0]);
    const which = parseIndexes(spec, args[1]);
    const msWord = args[2] ?? '300';
    if (!/^\d+$/.test(msWord) || Number(msWord) > 60_000) throw usageError(spec, `the delay is whole milliseconds up to 60000, not '${msWord}'`);
    const ms = Number(msWord);
    const count = new DataCounter(side);
    const book = new IsnBook();
    return {
      onFrame(frame, tcp, from, io) {
        if (tcp) book.see(tcp);
        const n = count.next(tcp, from);
        if (n > 0 && which.has(n)) {
          io.log(`delaying ${side} data segment #${n} (${describeSegment(tcp!, book)}) by ${ms} ms`);
          io.after(ms, () => io.emit(frame, from));
          return;
        }
        io.emit(frame, from);
      },
    };
  },
};
