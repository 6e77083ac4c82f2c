/** `duplicate:SIDE:N[,N...]`: the chosen data segments arrive twice, back to back. */
import { segmentFault, type FaultModule } from './fault.js';

export const duplicate: FaultModule = {
  name: 'duplicate',
  usage: 'duplicate:SIDE:N[,N...]',
  summary: 'delivers each chosen data segment of one side twice',
  create: (args) =>
    segmentFault('duplicate', args, (seg, frame, from, io) => {
      if (!seg.chosen) {
        io.emit(frame, from);
        return;
      }
      io.log(`duplicated ${seg.what}`);
      const copy = Buffer.from(frame); // taken first: the faults after this one may change the frame they get
      io.emit(frame, from);
      io.emit(copy, from);
    }),
};
