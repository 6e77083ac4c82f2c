/**
 * The two-stage pipeline's main-thread side: a {@link DecodedSource} whose frames are read and
 * decoded by a worker thread (decode-worker.ts) and come back as records from a shared ring
 * (record-ring.ts), turned into one reused TcpPacket each. The main thread stays free to track and
 * render: it drains the ring in batches, releases slots as it goes, waits with Atomics.waitAsync
 * when the ring is empty (so stdout can drain meanwhile), and asks `pace` between batches.
 *
 * {@link openDecoded} chooses, when a core is free ({@link coreToSpare}): the pipeline for regular
 * files of at least {@link PIPELINE_MIN_BYTES} and for standard input that has not ended within
 * its first {@link STDIN_DECIDE_BYTES} (or 250 ms); decoding on this thread otherwise, or as
 * `threads` forces.
 */
import { read } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DecodingSource, type DecodedSink, type DecodedSource } from './decoded.js';
import type { DecodeWorkerData, DecodeWorkerEnd, DecodeWorkerReason } from './decode-worker.js';
import { CaptureError, ExitCode, UserError } from './errors.js';
import { captureFromStream, openCapture } from './open.js';
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
/** Standard input is read this far before choosing (it is held in memory meanwhile). */
export const STDIN_DECIDE_BYTES = 8 * 1024 * 1024;
/** Slots in the ring (256 bytes each: 2 MiB). */
const RING_SLOTS = 8192;
/** Young generation of the worker's heap. */
const WORKER_YOUNG_MB = 4;
/** Records between two releases of ring slots to the writer. */
const RELEASE_EVERY = 1024;
/** Records between two calls of `pace`. */
const PACE_EVERY = 2048;
/** How long standard input may take to show it is large before the pipeline is used anyway. */
const STDIN_DECIDE_MS = 250;

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

  constructor(input: string, stdinHead: Uint8Array | undefined, slots: number) {
    const ring = allocateRing(slots);
    this.reader = new RingReader(ring);
    const workerData: DecodeWorkerData = { input, ring, ...(stdinHead ? { head: stdinHead } : {}) };
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
    readonly name: string,
    /** Standard input: the bytes already read from it. */
    stdinHead?: Uint8Array,
    /** Slots in the ring (a power of two; tests use a few to exercise waiting on both sides). */
    slots = RING_SLOTS,
  ) {
    this.link = new WorkerLink(name, stdinHead, slots);
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

/** Read up to `limit` bytes of standard input; `eof` when it ended before that. */
async function readStdinHead(limit: number, maxMs: number): Promise<{ head: Buffer; eof: boolean }> {
  const buf = Buffer.allocUnsafe(limit);
  let n = 0;
  const t0 = Date.now();
  while (n < limit) {
    const k = await new Promise<number>((resolve, reject) => {
      const attempt = (): void =>
        read(0, buf, n, limit - n, null, (err, got) => {
          if (err && (err as NodeJS.ErrnoException).code === 'EAGAIN') setTimeout(attempt, 2);
          else if (err) reject(err);
          else resolve(got);
        });
      attempt();
    });
    if (k === 0) return { head: buf.subarray(0, n), eof: true };
    n += k;
    // A slow stream (a live capture piped in) goes to the pipeline rather than wait to be large.
    if (Date.now() - t0 > maxMs) break;
  }
  return { head: buf.subarray(0, n), eof: false };
}

/**
 * Whether a core is free for the worker: at least two, and the load average leaves one idle. On a
 * busy machine the worker only competes with the main thread (measured here at a load of 6 on 2
 * cores: the bulk capture took 3.05 s pipelined against 2.13 s on one thread).
 */
export function coreToSpare(): boolean {
  return availableParallelism() - loadavg()[0]! >= 1;
}

export interface OpenDecodedOptions {
  /** 1: decode on this thread; 2: always the pipeline; undefined: by size. */
  threads?: 1 | 2;
}

/**
 * Open `path` (`-`: standard input) for analysis: a pipelined source when the input is large (or
 * `threads` is 2), a source decoded on this thread otherwise. Errors opening the file are thrown
 * here, as by {@link openCapture}.
 */
export async function openDecoded(path: string, o: OpenDecodedOptions = {}): Promise<DecodedSource> {
  if (path === '-') {
    if (o.threads === 1) return new DecodingSource(captureFromStream('-', process.stdin));
    if (o.threads === undefined && !coreToSpare()) return new DecodingSource(captureFromStream('-', process.stdin));
    let got: { head: Buffer; eof: boolean };
    try {
      got = o.threads === 2 ? { head: Buffer.alloc(0), eof: false } : await readStdinHead(STDIN_DECIDE_BYTES, STDIN_DECIDE_MS);
    } catch (e) {
      throw new UserError(`cannot read standard input: ${(e as Error).message}`, ExitCode.NoInput);
    }
    if (got.eof) {
      const head = got.head;
      return new DecodingSource(captureFromStream('-', (async function* () {
        if (head.length) yield head;
      })()));
    }
    return new PipelinedSource('-', got.head);
  }
  const src = await openCapture(path);
  const size = src.size;
  if (o.threads === 2 ? size !== undefined : o.threads === undefined && size !== undefined && size >= PIPELINE_MIN_BYTES && coreToSpare()) {
    await src.discard?.();
    return new PipelinedSource(path);
  }
  return new DecodingSource(src);
}
