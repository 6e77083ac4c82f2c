/**
 * The two-stage pipeline's main-thread side: a {@link DecodedSource} whose frames are read and
 * decoded by a worker thread (decode-worker.ts) and come back as records from a shared ring
 * (record-ring.ts), turned into one reused TcpPacket each. The main thread stays free to track and
 * render: it drains the ring in batches, releases slots as it goes, waits with Atomics.waitAsync
 * when the ring is empty (so stdout can drain meanwhile), and asks `pace` between batches.
 *
 * {@link pipelined} hands a capture already opened to the pipeline (`--threads 2`; the default is one
 * thread, see {@link Threads}). Only regular files go to the worker (it opens the file again by its
 * path): standard input, pipes and text traces stay on one thread.
 */
import { setFlagsFromString } from 'node:v8';
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
 * Slots in the ring (256 bytes each: 1 MiB). 8192 (2 MiB) held 1 MB more at peak for nothing: the
 * worker decodes several times faster than this thread tracks, so the ring is full nearly always.
 */
const RING_SLOTS = 4096;
/**
 * Each semi-space of the worker's young generation, in MB. The worker allocates next to nothing per
 * frame. resourceLimits.maxYoungGenerationSizeMb cannot say this: V8 lets a --max-semi-space-size
 * flag (the #! line's 4) override an isolate's constraints, so the worker had a 2 x 4 MB new space
 * whatever its limit said. The flag is read when an isolate is made, so it is set just before the
 * worker starts; the main thread's heap, made long before, keeps its own (measured with
 * v8.getHeapSpaceStatistics: main new space still 8 MB at peak, the worker's 2 MB instead of 4).
 */
const WORKER_SEMI_SPACE_MB = 1;
/**
 * How far the old generation may grow past what survived the last full collection, in percent,
 * once the pipeline runs (cli.ts sets 30 for one thread). The worker costs about 10 MB of RSS that
 * one thread does not have (a bare Node worker alone: 10.4 MB), and the main thread's heap, the
 * tracker's connections (57 MB live on bulk.pcap), is the only part that can give it back. At 15
 * V8 grows by about its minimum step (8 MB plus the new space) anyway. Measured on bulk-x10.pcap:
 * peak 152-155 MB at 30, 148-149 MB at 20, 144-145 MB at 15; the price, 14 full collections
 * instead of 9 and 0.67-0.76 s of main-thread GC (pauses + incremental steps, --trace-gc)
 * instead of 0.45-0.52 s in a 20 s run: about 1 %, below this machine's noise.
 */
const PIPELINE_HEAP_GROWING_PERCENT = 15;
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
    // A small young generation keeps the worker's heap, and the process's peak RSS, down. Not
    // restored afterwards: the worker's isolate is made on its own thread, later; no other follows.
    setFlagsFromString(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
    this.worker = new Worker(new URL('./decode-worker.js', import.meta.url), { workerData, stdin: false });
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
 * `--threads`: 2 the pipeline, 1 one thread. `auto` (the default) is one thread: on this project's
 * 2-core machine the pipeline did not pay (README, Speed). Taking a record from the ring costs the
 * main thread about what decoding the frame in place costs (the record's cache lines are written on
 * the other core), so the main thread, which tracks and renders and is the critical path, does as
 * much CPU work either way (measured per thread: 1.3-1.8 s on bench.pcap both ways), and the
 * worker adds its start (40-150 ms) and 0.3-0.45 s of CPU on a core other work may want.
 */
export type Threads = 'auto' | 1 | 2;

/**
 * The capture `src` (just opened, not run) read by a decoding worker when it is a regular file (the
 * file is closed here and opened again there); otherwise `src` as it is.
 */
export async function pipelined(src: CaptureSource, timeOrigin?: TimeOrigin): Promise<CaptureSource | DecodedSource> {
  const size = src.size;
  if (size === undefined || src.discard === undefined) return src;
  await src.discard();
  setFlagsFromString(`--heap-growing-percent=${PIPELINE_HEAP_GROWING_PERCENT}`);
  return new PipelinedSource(src.name, { size, ...(timeOrigin ? { timeOrigin } : {}) });
}
