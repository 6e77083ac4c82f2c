/**
 * When to show the progress line (src/render/progress.ts): only for a regular file (its size is
 * known), only once reading has taken more than {@link PROGRESS_AFTER_MS}, updated between input
 * chunks. Whether stderr is a terminal is the command's decision (see analyze-command.ts).
 */
import type { PacketSource } from '../capture/packet.js';
import type { ProgressLine } from '../render/progress.js';
import type { ReadWatcher } from './analyze.js';

/**
 * A line appears only for a read that takes longer than this. ACKSCOPE_PROGRESS_AFTER_MS changes it
 * (tests use 0 to see the line on a file that a fast machine reads in under a second).
 */
export const PROGRESS_AFTER_MS = envMs(process.env.ACKSCOPE_PROGRESS_AFTER_MS) ?? 1000;

function envMs(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

interface Sized {
  readonly name: string;
  readonly size: number | undefined;
  readonly position: number;
}

/** What progress needs of a source: its name, and (a regular file's) size and read position. */
type Named = Pick<PacketSource, 'name'>;

function isSized(s: Named): s is Named & Sized {
  const size = (s as Partial<Sized>).size;
  return typeof size === 'number' && size > 0;
}

/** A watcher drawing progress for `src` on stderr, or undefined when its size is unknown (stdin, a pipe). */
export function readProgress(src: Named): ReadWatcher | undefined {
  return isSized(src) ? new ReadProgress(src) : undefined;
}

class ReadProgress implements ReadWatcher {
  private readonly t0 = performance.now();
  private line: ProgressLine | null = null;
  private starting = false;
  private stopped = false;

  constructor(private readonly src: Named & Sized) {}

  tick(frames: number, open: number): Promise<void> | undefined {
    const state = { bytes: this.src.position, size: this.src.size!, frames, open };
    if (this.line !== null) {
      this.line.update(state);
      return undefined;
    }
    if (this.starting || performance.now() - this.t0 < PROGRESS_AFTER_MS) return undefined;
    this.starting = true;
    return import('../render/progress.js')
      .then(({ ProgressLine }) => ProgressLine.start(process.stderr, this.src.name, state, this.t0))
      .then((line) => {
        if (this.stopped) line.stop();
        else this.line = line;
      });
  }

  done(): void {
    this.stopped = true;
    this.line?.stop();
    this.line = null;
  }
}
