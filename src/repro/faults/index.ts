/** Every fault the wire knows, by name, and the `--fault NAME[:ARGS]` parser. */
import { ExitCode, UserError } from '../../capture/errors.js';
import { delay } from './delay.js';
import { drop } from './drop.js';
import { dropAfterFin } from './drop-after-fin.js';
import { duplicate } from './duplicate.js';
import { latency } from './latency.js';
import type { Fault, FaultModule } from './fault.js';
import { reorder } from './reorder.js';
import { resetOnFin } from './reset-on-fin.js';
import { vboxNat } from './vbox-nat.js';

export type { Fault, FaultIO, FaultModule, Side } from './fault.js';
export { otherSide } from './fault.js';

export const FAULTS: readonly FaultModule[] = [vboxNat, drop, reorder, duplicate, delay, latency, resetOnFin, dropAfterFin];

/** `none` is the wire with no fault: frames pass as on a cable. */
export const NO_FAULT = 'none';

/** Creates the fault a `--fault` value names; throws a UserError (Usage) for an unknown name or bad arguments. */
export function createFault(spec: string): Fault {
  const [name = '', ...args] = spec.split(':');
  if (name === NO_FAULT && args.length === 0) return { onFrame: (f, _t, from, io) => io.emit(f, from) };
  const m = FAULTS.find((f) => f.name === name);
  if (!m) throw new UserError(`unknown fault '${name}' (ackscope repro faults lists them: ${[NO_FAULT, ...FAULTS.map((f) => f.name)].join(', ')})`, ExitCode.Usage);
  return m.create(args);
}
