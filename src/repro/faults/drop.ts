/** `drop:SIDE:N[,N...]`: the chosen data segments of one side never arrive (a lossy link). */
import { segmentFault, type FaultModule } from './fault.js';

export const drop: FaultModule = {
  name: 'drop',
  usage: 'drop:SIDE:N[,N...]',
  summary: "loses the chosen data segments (1-based, counted per side, retransmissions included) of the client's or the server's",
  create: (args) =>
    segmentFault('drop', args, (seg, frame, from, io) => {
      if (seg.chosen) io.log(`dropped ${seg.what}`);
      else io.emit(frame, from);
    }),
};
