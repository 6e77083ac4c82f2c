/**
 * `--output FILE`: the Output all stdout sinks write to, on a file instead. The file is opened
 * before any reading, so that an unwritable path fails at once, with one line and exit 73.
 */
import { createWriteStream, openSync } from 'node:fs';
import { ExitCode, UserError } from '../capture/errors.js';
import { Output } from '../render/output.js';

export interface OutputFile {
  output: Output;
  /** Flush and close; a write error surfaces here as exit 73. */
  close(): Promise<void>;
}

export function openOutputFile(path: string): OutputFile {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw new UserError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, ExitCode.CantCreate);
  }
  const file = createWriteStream('', { fd });
  return {
    output: new Output(file),
    close: () =>
      new Promise<void>((resolve, reject) => {
        file.once('error', reject);
        file.end(resolve);
      }).catch((e: NodeJS.ErrnoException) => {
        throw new UserError(`cannot write ${path}: ${e.code ?? String(e)}`, ExitCode.CantCreate);
      }),
  };
}
