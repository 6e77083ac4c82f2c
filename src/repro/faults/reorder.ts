/**
 * `reorder:SIDE:N[,N...]`: each chosen data segment is held back and sent right after the next
 * data segment of the same side (or after 200 ms if none follows), as a link with two paths does.
 */
import { segmentFault, type FaultModule } from './fault.js';

const RELEASE_MS = 200;

export const reorder: FaultModule = {
  name: 'reorder',
  usage: 'reorder:SIDE:N[,N...]',
  summary: 'swaps each chosen data segment of one side with the next one (held at most 200 ms)',
  create(args) {
    let held: Buffer | null = null;
    let heldGen = 0;
    const fault = segmentFault('reorder', args, (seg, frame, from, io) => {
      const release = held;
      held = null;
      if (seg.chosen) {
        held = frame;
        const gen = ++heldGen;
        const n = seg.n;
        io.log(`holding ${seg.what} until the next one has passed`);
        io.after(RELEASE_MS, () => {
          if (held !== null && gen === heldGen) {
            const f = held;
            held = null;
            io.log(`released ${fault.side} data segment #${n} after ${RELEASE_MS} ms (nothing followed it)`);
            io.emit(f, fault.side);
          }
        });
      } else io.emit(frame, from);
      if (release) io.emit(release, fault.side);
    });
    return fault;
  },
};
