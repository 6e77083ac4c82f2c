/**
 * `reorder:SIDE:N[,N...]`: each chosen data segment is held back and sent right after the next
 * data segment of the same side (or after 200 ms if none follows), as a link with two paths does.
 */
import { DataCounter, describeSegment, IsnBook, parseIndexes, parseSide, type FaultModule } from './fault.js';

const RELEASE_MS = 200;

export const reorder: FaultModule = {
  name: 'reorder',
  usage: 'reorder:SIDE:N[,N...]',
  summary: 'swaps each chosen data segment of one side with the next one (held at most 200 ms)',
  create(args) {
    const spec = ['reorder', ...args].join(':');
    const side = parseSide(spec, args[0]);
    const which = parseIndexes(spec, args[1]);
    const count = new DataCounter(side);
    const book = new IsnBook();
    let held: Buffer | null = null;
    let heldGen = 0;
    return {
      onFrame(frame, tcp, from, io) {
        if (tcp) book.see(tcp);
        const n = count.next(tcp, from);
        if (n === 0) {
          io.emit(frame, from);
          return;
        }
        const release = held;
        held = null;
        if (which.has(n)) {
          held = frame;
          const gen = ++heldGen;
          io.log(`holding ${side} data segment #${n} (${describeSegment(tcp!, book)}) until the next one has passed`);
          io.after(RELEASE_MS, () => {
            if (held !== null && gen === heldGen) {
              const f = held;
              held = null;
              io.log(`released ${side} data segment #${n} after ${RELEASE_MS} ms (nothing followed it)`);
              io.emit(f, side);
            }
          });
        } else io.emit(frame, from);
        if (release) io.emit(release, side);
      },
    };
  },
};
