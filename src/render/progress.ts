/**
 * The progress line on stderr while a long capture file is read:
 *
 *   ackscope: big.pcap [██████░░░░░░░░░░]  38% | 49.6/130.4 MB | 412k pkt/s | 1204 open | ETA 4s
 *
 * Drawn by cli-progress, loaded only when a line is actually shown (it costs ~40 ms to load, which
 * a short run should not pay). The caller decides whether to show one at all (terminal, file size
 * known) and feeds it at chunk granularity, never per packet.
 */
import type { SingleBar } from 'cli-progress';

export interface ProgressState {
  /** Bytes of the file read so far, and its size. */
  bytes: number;
  size: number;
  /** Frames read so far. */
  frames: number;
  /** Connections open in the tracker. */
  open: number;
}

const MB = 1e6;

export class ProgressLine {
  private constructor(private readonly bar: SingleBar, private readonly t0: number) {}

  /** Load cli-progress and draw the first state on `stream`. `t0` is when reading started (performance.now()). */
  static async start(stream: NodeJS.WriteStream, name: string, s: ProgressState, t0: number): Promise<ProgressLine> {
    const { SingleBar } = (await import('cli-progress')).default;
    const bar = new SingleBar({
      stream,
      format: `ackscope: ${shortName(name)} [{bar}] {percentage}% | {mb} MB | {rate} pkt/s | {open} open | ETA {eta_formatted}`,
      barsize: 20,
      fps: 5,
      clearOnComplete: true,
      hideCursor: false,
      linewrap: false,
      etaBuffer: 50,
    });
    const line = new ProgressLine(bar, t0);
    bar.start(s.size, s.bytes, line.payload(s));
    return line;
  }

  update(s: ProgressState): void {
    this.bar.update(s.bytes, this.payload(s));
  }

  /** Erase the line (before the closing output is written). */
  stop(): void {
    this.bar.stop();
  }

  private payload(s: ProgressState): Record<string, string> {
    const secs = Math.max((performance.now() - this.t0) / 1000, 1e-3);
    return {
      mb: `${(s.bytes / MB).toFixed(1)}/${(s.size / MB).toFixed(1)}`,
      rate: rate(s.frames / secs),
      open: String(s.open),
    };
  }
}

function rate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}k`;
  return String(Math.round(n));
}

/** The file name, its directories dropped: the line must fit a terminal. */
function shortName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.length > 30 ? `…${base.slice(-29)}` : base;
}
