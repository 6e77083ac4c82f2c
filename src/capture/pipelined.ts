/**
 * The two-stage pipeline's main-thread side: a {@link DecodedSource} whose frames are read and
 * decoded by a worker thread (decode-worker.ts) and come back as records from a shared ring
 * (record-ring.ts), turned into one reused TcpPacket each. The main thread stays free to track and
 * render: it drains the ring in batches, releases slots as it goes, waits with Atomics.waitAsync
 * when the ring is empty (so stdout can drain meanwhile), and asks `pace` between batches.
 *
 * {@link pipelined} chooses, for a capture already opened: the pipeline when `threads` is 2, or when
 * it is `auto` and the pipeline pays ({@link pipelinePays}); the source as it is (decoded on this
 * thread) otherwise. Only regular files go to the worker (it opens the file again by its path):
 * standard input, pipes and text traces stay on one thread.
 */
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TimeOrigin } from './decode.js';
import type { DecodedSink, DecodedSource } from './decoded.js';
import type { DecodeWorkerData, DecodeWorkerEnd, DecodeWorkerReason } from './decode-worker.js';
import { CaptureError, UserError, type ExitCode } from './errors.js';
import type { CaptureSource } from './open.js';
import { newCapturedPacket, type CapturedPacket, type Pace } from './packet.js';
import { allocateRing, C, RingReader } from './record-ring.js';
import { TcpPacket } from './tcp-packet.js';

/** Atomics.waitAsync (Node 16+), not in the ES2022 library typings. */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, timeout?: number): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}).waitAsync;

/**
 * Files smaller than this are decoded on the main thread (unless `threads` says otherwise). On this
 * project's machine a record costs the main thread more to take from the ring (its cache line
 * comes from the other core) than decoding the frame in place, so the pipeline gains only where
 * reading itself is heavy: none on the 130 MB bench file of 128-byte records, 4-6 % on the 770 MB
 * capture of whole frames; and the worker costs 40-150 ms to start.
 */
export const PIPELINE_MIN_BYTES = 256 * 1024 * 1024;
/** Slots in the ring (256 bytes each: 2 MiB). */
const RING_SLOTS = 8192;
/** Young generation of the worker's heap. */
const WORKER_YOUNG_MB = 4;
/** Records between two releases of ring slots to the writer. */
const RELEASE_EVERY = 1024;
/** Records between two calls of `pace`. */
const PACE_EVERY = 2048;

/**
 * The worker and what it has said: reasons from the side channel, its end message, its failure.
 * Started as soon as the source is made, so that the worker boots while the main thread loads the
 * analyser; unref'd until `run`, so a source never run does not keep the process alive.
 */
class WorkerLink {
  readonly reader: RingReader;
  readonly worker: Worker;
  readonly reasons: string[] = [];
  end: DecodeWorkerEnd | null = null;
  failure: Error | null = null;
  private waiter: (() => void) | null = null;

  constructor(input: string, slots: number, timeOrigin: TimeOrigin | undefined) {
    const ring = allocateRing(slots);
    this.reader = new RingReader(ring);
    const workerData: DecodeWorkerData = { input, ring, ...(timeOrigin ? { timeOrigin } : {}) };
    // The worker allocates next to nothing per frame: a small young generation keeps its heap, and
    // the process's peak RSS, down (the default let the pipeline pass 150 MB on a 1.3 GB file).
    this.worker = new Worker(new URL('./decode-worker.js', import.meta.url), { workerData, stdin: false, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } });
    this.worker.unref();
    this.worker.on('message', (m: DecodeWorkerEnd | DecodeWorkerReason) => {
      if (m.type === 'reason') this.reasons.push(m.reason);
      else this.end = m;
      this.waiter?.();
    });
    this.worker.on('error', (e) => {
      this.failure = e;
      this.wake();
    });
    this.worker.on('exit', (code) => {
      if (this.end === null && this.failure === null) this.failure = new Error(`the decoding worker stopped (exit ${code})`);
      this.wake();
    });
  }

  /** Wake whatever waits: a message waiter, and the ring waiter (Atomics.waitAsync on HEAD). */
  private wake(): void {
    this.waiter?.();
    Atomics.notify(this.reader.ctl, C.HEAD);
  }

  /** Resolves at the next message or failure. */
  async message(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    await new Promise<void>((resolve) => (this.waiter = resolve));
    this.waiter = null;
  }

  async sideReason(): Promise<string> {
    while (this.reasons.length === 0) await this.message();
    return this.reasons.shift()!;
  }

  async ended(): Promise<DecodeWorkerEnd> {
    while (this.end === null) await this.message();
    return this.end;
  }

  stop(): void {
    Atomics.store(this.reader.ctl, C.STOP, 1);
    Atomics.notify(this.reader.ctl, C.TAIL);
    void this.worker.terminate();
  }
}

export class PipelinedSource implements DecodedSource {
  fragmentsHeld = 0;
  otherLinkTypes = new Map<number, number>();
  private started = false;
  private readonly link: WorkerLink;

  constructor(
    /** The capture file's path. */
    readonly name: string,
    o: {
      /** Its size in bytes (for the progress line). */
      size?: number;
      /** Slots in the ring (a power of two; tests use a few to exercise waiting on both sides). */
      slots?: number;
      /** A time origin shared with other decoders, as `new Decoder(timeOrigin)` takes it. */
      timeOrigin?: TimeOrigin;
    } = {},
  ) {
    this.size = o.size;
    this.link = new WorkerLink(name, o.slots ?? RING_SLOTS, o.timeOrigin);
  }

  /** The size of the file, as its CaptureSource said. */
  readonly size: number | undefined;

  /** Bytes of the file the worker has read (the progress line's position). */
  get position(): number {
    return this.link.reader.position;
  }

  get origin(): { sec: number; nsec: number } | null {
    return this.link.reader.origin;
  }

  async run(sink: DecodedSink, pace?: Pace): Promise<void> {
    if (this.started) throw new Error(`${this.name}: a capture source can only be run once`);
    this.started = true;
    const link = this.link;
    link.worker.ref();
    const reader = link.reader;
    const ctl = reader.ctl;
    const p = new TcpPacket();
    const pkt = newCapturedPacket();
    pkt.data = reader.bytes;
    let tail = 0;
    let stopped = false;
    let finished = false;
    try {
      let sincePace = 0;
      for (;;) {
        let head = Atomics.load(ctl, C.HEAD) >>> 0;
        if (tail === head) {
          if (link.failure !== null) throw link.failure;
          if (Atomics.load(ctl, C.DONE) !== 0 && Atomics.load(ctl, C.HEAD) >>> 0 === tail) break;
          const w = waitAsync(ctl, C.HEAD, head | 0, 1000);
          if (w.async) await w.value;
          continue;
        }
        // A batch is at most PACE_EVERY records: whole-ring batches let 8 MB of JSON pile up in stdout
        // between two paces, and the process grew to 300 MB.
        if (((head - tail) >>> 0) > PACE_EVERY) head = (tail + PACE_EVERY) >>> 0;
        const batchStart = tail;
        for (;;) {
          tail = drain(reader, tail, head, p, pkt, sink);
          if (tail === head) break;
          // Record `tail` waits for its reason from the side channel.
          p.reason = await link.sideReason();
          sink(p, pkt);
          tail = (tail + 1) >>> 0;
        }
        Atomics.store(ctl, C.TAIL, tail | 0);
        Atomics.notify(ctl, C.TAIL);
        sincePace += (tail - batchStart) >>> 0;
        if (pace !== undefined && sincePace >= PACE_EVERY) {
          sincePace = 0;
          const w = pace();
          if (w === 'stop') {
            stopped = true;
            return;
          }
          if (w !== undefined) await w;
        }
      }
      finished = true;
    } finally {
      // Stopped by the consumer, or failed: the worker may be waiting for room.
      if (!finished) link.stop();
    }
    if (stopped) return;
    const e = await link.ended();
    this.fragmentsHeld = e.fragmentsHeld;
    this.otherLinkTypes = new Map(e.otherLinkTypes);
    const err = e.error;
    if (err === null) return;
    if (err.kind === 'capture') throw new CaptureError(err.file, err.offset, err.frame, err.reason, err.exitCode as ExitCode);
    if (err.kind === 'user') throw new UserError(err.message, err.exitCode as ExitCode);
    const bug = new Error(err.message);
    bug.stack = err.stack;
    throw bug;
  }
}

/**
 * Hand records [tail, head) to `sink`, releasing slots to the writer as it goes; stops early at a
 * record whose reason is on the side channel (filled but not handed over). Returns where it stopped.
 * Synchronous, so that the hot loop is optimised apart from the async waiting around it.
 */
function drain(reader: RingReader, tail: number, head: number, p: TcpPacket, pkt: CapturedPacket, sink: DecodedSink): number {
  const ctl = reader.ctl;
  let released = tail;
  while (tail !== head) {
    if (reader.read(tail, p, pkt) !== 0) break;
    sink(p, pkt);
    tail = (tail + 1) >>> 0;
    if (((tail - released) >>> 0) >= RELEASE_EVERY) {
      released = tail;
      Atomics.store(ctl, C.TAIL, tail | 0);
      Atomics.notify(ctl, C.TAIL);
    }
  }
  Atomics.store(ctl, C.TAIL, tail | 0);
  Atomics.notify(ctl, C.TAIL);
  return tail;
}

/**
 * Whether a core is free for the worker: at least two, and the load average leaves one idle. On a
 * busy machine the worker only competes with the main thread (measured here at a load of 6 on 2
 * cores: the bulk capture took 3.05 s pipelined against 2.13 s on one thread).
 */
export function coreToSpare(): boolean {
  return availableParallelism() - loadavg()[0]! >= 1;
}

/** `--threads`: `auto` lets {@link pipelinePays} decide. */
export type Threads = 'auto' | 1 | 2;
export const THREADS: readonly string[] = ['auto', '1', '2'];

/**
 * The default (`--threads auto`): whether the pipeline pays for a regular file of `size` bytes.
 * Measured on this project's 2-core machine it never did (see README, Speed): taking a record from
 * the ring costs the main thread about as much as decoding the frame in place, so the main thread's
 * work hardly shrinks and the worker's start is added. `auto` therefore means one thread; the
 * threshold stays a named constant so that a machine where it pays can lower it.
 */
export function pipelinePays(size: number): boolean {
  return size >= PIPELINE_MIN_BYTES && coreToSpare();
}

/**
 * The capture `src` (just opened, not run) as the analysis should read it: handed to a decoding
 * worker (the file is closed here and opened again there), or left as it is.
 */
export async function pipelined(src: CaptureSource, threads: Threads, timeOrigin?: TimeOrigin): Promise<CaptureSource | DecodedSource> {
  const size = src.size;
  if (size === undefined || src.discard === undefined || threads === 1) return src;
  if (threads === 'auto' && !pipelinePays(size)) return src;
  await src.discard();
  return new PipelinedSource(src.name, { size, ...(timeOrigin ? { timeOrigin } : {}) });
}
