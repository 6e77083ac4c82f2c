/** `delay:SIDE:N[,N...][:MS]`: the chosen data segments arrive MS later (default 300), the rest on time. */
import { segmentFault, usageError, type FaultModule } from './fault.js';

export const delay: FaultModule = {
  name: 'delay',
  usage: 'delay:SIDE:N[,N...][:MS]',
  summary: 'holds each chosen data segment of one side back MS milliseconds (default 300) while later ones pass',
  create(args) {
    const msWord = args[2] ?? '300';
    if (!/^\d+$/.test(msWord) || Number(msWord) > 60_000) throw usageError(['delay', ...args].join(':'), `the delay is whole milliseconds up to 60000, not '${msWord}'`);
    const ms = Number(msWord);
    return segmentFault('delay', args, (seg, frame, from, io) => {
      if (!seg.chosen) {
        io.emit(frame, from);
        return;
      }
      io.log(`delaying ${seg.what} by ${ms} ms`);
      io.after(ms, () => io.emit(frame, from));
    });
  },
};
