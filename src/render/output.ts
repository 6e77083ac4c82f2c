/**
 * Batched stdout: strings are gathered and written in large chunks. A closed pipe (`| head`) ends
 * output quietly instead of raising EPIPE.
 */
import type { Pace } from '../capture/packet.js';

export class Output {
  private parts: string[] = [];
  private size = 0;
  closed = false;
  /** True after a write the stream could not take at once; `drain()` waits for it. */
  private congested = false;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout, private readonly chunk = 1 << 16) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true;
      else throw e;
    });
  }

  line(s: string): void {
    if (this.closed) return;
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= this.chunk) this.flush();
  }

  flush(): void {
    if (this.size === 0 || this.closed) return;
    const ok = this.stream.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
    if (!ok) this.congested = true;
  }

  /** Resolves when the stream can take more (call between input chunks). */
  async drain(): Promise<void> {
    if (!this.congested || this.closed) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.once('drain', done);
      this.stream.once('close', done);
    });
    this.congested = false;
  }

  /**
   * For a capture source between input chunks: stop once the reader of our output is gone, wait
   * while it is behind, so that output buffered in memory stays bounded whatever the input size.
   */
  readonly pace: Pace = () => {
    if (this.closed) return 'stop';
    return this.congested ? this.drain() : undefined;
  };

  async end(): Promise<void> {
    this.flush();
    await this.drain();
  }
}
