/**
 * `latency:MS`: every frame, both ways, arrives MS milliseconds late, in the order it was sent: a
 * long path. Used to make two FINs cross (a simultaneous close) however the two hosts are scheduled.
 */
import { usageError, type FaultModule } from './fault.js';

export const latency: FaultModule = {
  name: 'latency',
  usage: 'latency:MS',
  summary: 'delays every frame, both ways, by MS milliseconds (order kept): a long path, e.g. to make two FINs cross',
  create(args) {
    const spec = ['latency', ...args].join(':');
    const word = args[0] ?? '';
    if (args.length !== 1 || !/^\d+$/.test(word) || Number(word) > 60_000) throw usageError(spec, `the latency is whole milliseconds up to 60000, not '${args.join(':')}'`);
    const ms = Number(word);
    // Timers of equal delay fire in the order they were set, so frames keep their order.
    return { onFrame: (frame, _tcp, from, io) => io.after(ms, () => io.emit(frame, from)) };
  },
};
