/**
 * Turning a path, a stream or a buffer into a {@link PacketSource}: gzip is recognised by its magic
 * and decompressed on the fly (streamed), pcap and pcapng by theirs.
 *
 * Plain files are read with `FileHandle.read` into two reused 4 MiB buffers, the next read running
 * while the current chunk is parsed; frames are delivered straight out of those buffers. Memory
 * stays bounded by the buffers plus one maximal record, whatever the size of the file.
 *
 * Errors: a file that cannot be opened or read is a {@link UserError} (exit status NoInput), thrown
 * by {@link openCapture}; everything about the content (empty, not a capture, corrupt, truncated,
 * corrupt gzip) rejects `run()` with a {@link CaptureError}, after every frame before the problem has
 * been delivered.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ChunkFeeder, viewOf, type RecordParser } from './chunked.js';
import { CaptureError, ExitCode, UserError } from './errors.js';
import type { Pace, PacketSink, PacketSource } from './packet.js';
import { PcapParser, pcapMagic } from './pcap.js';
import { PCAPNG_SHB, PcapngParser } from './pcapng.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * Size of each read from a plain file. 1 MiB: 4 MiB read no faster (a 770 MB capture: 0.36-0.46 s
 * against 0.49 s, within this machine's noise) and held 4-6 MB more at peak.
 */
export const FILE_CHUNK = 1024 * 1024;
/**
 * Size of the pieces the gunzip stream produces. When zlib reports an error (corrupt data, failed
 * CRC), the output of its last step is dropped with it, so frames in up to this many bytes before a
 * gzip error are not delivered. A gzip file that merely ends early loses nothing.
 */
const GUNZIP_CHUNK = 64 * 1024;

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Push-based reader of an uncompressed capture stream: give it chunks in order, it recognises the
 * format from the first 4 bytes and delivers frames synchronously to `sink`.
 */
export class CaptureReader {
  format: CaptureFormat | undefined;
  private parser: PcapParser | PcapngParser | undefined;
  private feeder: ChunkFeeder | undefined;
  private readonly head = Buffer.alloc(4);
  private headLen = 0;

  constructor(
    readonly name: string,
    private readonly sink: PacketSink,
    /** What to say when the input holds no byte at all. */
    private readonly emptyMessage = 'empty file (no capture data)',
  ) {}

  /** Bytes pushed so far. */
  get bytesIn(): number {
    return this.feeder?.bytesIn ?? this.headLen;
  }

  /** Frames delivered so far. */
  get frames(): number {
    return this.parser?.frames ?? 0;
  }

  /** Parse what `chunk` completes. The caller may reuse `chunk` once this returns. */
  push(chunk: Buffer): void {
    if (this.feeder !== undefined) {
      this.feeder.push(chunk);
    } else if (this.headLen === 0 && chunk.length >= 4) {
      this.start(chunk).push(chunk);
    } else {
      const take = Math.min(4 - this.headLen, chunk.length);
      chunk.copy(this.head, this.headLen, 0, take);
      this.headLen += take;
      if (this.headLen < 4) return;
      const feeder = this.start(this.head);
      feeder.push(this.head);
      feeder.push(chunk.subarray(take));
    }
  }

  /** The input is over: throws if it ended inside a record, or never was a capture. */
  end(): void {
    if (this.feeder !== undefined) {
      this.feeder.end();
    } else if (this.headLen === 0) {
      throw new CaptureError(this.name, 0, 0, this.emptyMessage);
    } else {
      throw new CaptureError(this.name, 0, 0, `not a pcap or pcapng file (only ${this.headLen} bytes)`);
    }
  }

  private start(first: Buffer): ChunkFeeder {
    const view = viewOf(first);
    let parser: PcapParser | PcapngParser;
    if (pcapMagic(view, 0) !== undefined) {
      parser = new PcapParser(this.name, this.sink);
      this.format = 'pcap';
    } else if (view.getUint32(0, false) === PCAPNG_SHB) {
      parser = new PcapngParser(this.name, this.sink);
      this.format = 'pcapng';
    } else {
      throw new CaptureError(this.name, 0, 0,
        `not a pcap or pcapng file (magic 0x${view.getUint32(0, false).toString(16).padStart(8, '0')})`);
    }
    this.parser = parser;
    const feeder = new ChunkFeeder(parser satisfies RecordParser);
    this.feeder = feeder;
    return feeder;
  }
}

/** A {@link PacketSource} reading a capture (maybe gzip-compressed) from a file or a stream. */
export interface CaptureSource extends PacketSource {
  /** Known once `run` has seen the first bytes. */
  readonly format: CaptureFormat | undefined;
  /** Whether the input was gzip-compressed; known once `run` has seen the first bytes. */
  readonly compressed: boolean;
  /** Size in bytes of a regular file (undefined for stdin, pipes and other streams). */
  readonly size: number | undefined;
  /** Bytes of the input consumed so far (of the compressed file, for gzip): progress against `size`. */
  readonly position: number;
  /** Close the input without reading it (a source that will not be run: another thread reads the file). */
  discard?(): Promise<void>;
}

function describeErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    case 'ENOTDIR': return 'a component of the path is not a directory';
    case 'ELOOP': return 'too many symbolic links';
    case 'ENAMETOOLONG': return 'file name too long';
    default: return e instanceof Error ? e.message.split('\n')[0] ?? String(e) : String(e);
  }
}

function readFailure(name: string, e: unknown): UserError {
  return new UserError(`cannot read ${name === '-' ? 'standard input' : name}: ${describeErrno(e)}`, ExitCode.NoInput);
}

function isZlibError(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** Thrown through the reading machinery when `pace()` says stop; `run()` resolves on it. */
class StopReading extends Error {}

/** Wait or stop as the consumer's `pace` says, between two input chunks. */
async function paced(pace: Pace | undefined): Promise<void> {
  const w = pace?.();
  if (w === 'stop') throw new StopReading();
  if (w !== undefined) await w;
}

/**
 * Bytes pushed between two calls of `pace`: what the consumer writes for them (JSON is about four
 * times the capture's size) is what may pile up before it is asked to wait.
 */
export const PACE_SLICE = 256 * 1024;

/** Push `b` to the reader in slices, asking `pace` after each (one push when there is no pace). */
async function pushPaced(reader: CaptureReader, b: Buffer, pace: Pace | undefined): Promise<void> {
  if (pace === undefined) {
    reader.push(b);
    return;
  }
  for (let o = 0; o < b.length; o += PACE_SLICE) {
    reader.push(b.subarray(o, o + PACE_SLICE));
    await paced(pace);
  }
}

/** Decompress `raw` into `reader`, then end it. */
async function gunzipInto(raw: Readable, reader: CaptureReader, pace: Pace | undefined): Promise<void> {
  let consumerError: unknown;
  try {
    await pipeline(raw, createGunzip({ chunkSize: GUNZIP_CHUNK }), async (source: AsyncIterable<Buffer>) => {
      try {
        for await (const chunk of source) await pushPaced(reader, chunk, pace);
      } catch (e) {
        consumerError = e;
        throw e;
      }
    });
  } catch (e) {
    if (consumerError !== undefined) throw consumerError;
    if (e instanceof CaptureError || e instanceof UserError) throw e;
    if (isZlibError(e)) {
      const detail = e instanceof Error ? e.message : String(e);
      throw new CaptureError(reader.name, reader.bytesIn, reader.frames + 1, `corrupt or truncated gzip data (${detail})`);
    }
    throw readFailure(reader.name, e);
  }
  reader.end();
}

class FileCapture implements CaptureSource {
  compressed = false;
  private reader: CaptureReader | undefined;
  /** Bytes read from the file (ahead of what was parsed by up to one chunk). */
  private rawRead = 0;

  constructor(
    readonly name: string,
    private readonly fh: FileHandle,
    private readonly chunkSize: number,
    readonly size: number | undefined,
  ) {}

  get position(): number {
    return this.compressed ? this.rawRead : (this.reader?.bytesIn ?? 0);
  }

  async discard(): Promise<void> {
    this.reader ??= new CaptureReader(this.name, () => {});
    await this.fh.close();
  }

  get format(): CaptureFormat | undefined {
    return this.reader?.format;
  }

  async run(sink: PacketSink, pace?: Pace): Promise<void> {
    if (this.reader !== undefined) throw new Error(`${this.name}: a capture source can only be run once`);
    const reader = new CaptureReader(this.name, sink);
    this.reader = reader;
    try {
      await this.read(reader, pace);
    } catch (e) {
      if (!(e instanceof StopReading)) throw e;
    } finally {
      await this.fh.close();
    }
  }

  private async read(reader: CaptureReader, pace: Pace | undefined): Promise<void> {
    let cur = Buffer.allocUnsafe(this.chunkSize);
    let next = Buffer.allocUnsafe(this.chunkSize);
    let n = await this.fill(cur, 0);
    if (n === 1 && cur[0] === 0x1f) n += await this.fill(cur, 1);
    if (isGzip(cur.subarray(0, n))) {
      this.compressed = true;
      // Continue from what was read rather than seek back: the path may be a pipe.
      const first = Buffer.from(cur.subarray(0, n));
      const rest = async function* (self: FileCapture): AsyncGenerator<Buffer> {
        yield first;
        for (;;) {
          const b = Buffer.allocUnsafe(self.chunkSize);
          const k = await self.fill(b, 0);
          if (k === 0) return;
          yield b.subarray(0, k);
        }
      };
      await gunzipInto(Readable.from(rest(this), { objectMode: false }), reader, pace);
      return;
    }
    while (n > 0) {
      const pending = this.fill(next, 0);
      try {
        await pushPaced(reader, cur.subarray(0, n), pace);
      } catch (e) {
        await pending.catch(() => 0);
        throw e;
      }
      n = await pending;
      [cur, next] = [next, cur];
    }
    reader.end();
  }

  private async fill(buf: Buffer, at: number): Promise<number> {
    try {
      const n = (await this.fh.read(buf, at, buf.length - at, null)).bytesRead;
      this.rawRead += n;
      return n;
    } catch (e) {
      throw readFailure(this.name, e);
    }
  }
}

class StreamCapture implements CaptureSource {
  compressed = false;
  readonly size = undefined;
  private reader: CaptureReader | undefined;

  get position(): number {
    return this.reader?.bytesIn ?? 0;
  }

  constructor(
    readonly name: string,
    private readonly stream: AsyncIterable<Uint8Array>,
    private readonly emptyMessage: string,
  ) {}

  get format(): CaptureFormat | undefined {
    return this.reader?.format;
  }

  async run(sink: PacketSink, pace?: Pace): Promise<void> {
    if (this.reader !== undefined) throw new Error(`${this.name}: a capture source can only be run once`);
    const reader = new CaptureReader(this.name, sink, this.emptyMessage);
    this.reader = reader;
    const it = this.stream[Symbol.asyncIterator]();
    let finished = false;
    const pull = async (): Promise<Buffer | undefined> => {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await it.next();
      } catch (e) {
        throw readFailure(this.name, e);
      }
      if (r.done === true) {
        finished = true;
        return undefined;
      }
      const v = r.value;
      return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    };
    try {
      const first: Buffer[] = [];
      let total = 0;
      while (total < 2) {
        const b = await pull();
        if (b === undefined) break;
        first.push(b);
        total += b.length;
      }
      const head = first.length === 1 ? first[0]! : Buffer.concat(first);
      if (isGzip(head)) {
        this.compressed = true;
        const rest = async function* (): AsyncGenerator<Buffer> {
          yield head;
          for (let b = await pull(); b !== undefined; b = await pull()) yield b;
        };
        await gunzipInto(Readable.from(rest(), { objectMode: false }), reader, pace);
      } else {
        await pushPaced(reader, head, pace);
        for (let b = await pull(); b !== undefined; b = await pull()) await pushPaced(reader, b, pace);
        reader.end();
      }
    } catch (e) {
      if (!(e instanceof StopReading)) throw e;
    } finally {
      if (!finished) await it.return?.();
    }
  }
}

/**
 * A capture read from `stream` (stdin, a socket, a test's Readable): chunks of bytes, gzip or not.
 * `name` is used in messages (`-` for standard input).
 */
export function captureFromStream(name: string, stream: AsyncIterable<Uint8Array>): CaptureSource {
  const empty = name === '-' ? 'no data on standard input' : 'empty input (no capture data)';
  return new StreamCapture(name, stream, empty);
}

/** A capture held in memory (gzip or not), read as one chunk. */
export function captureFromBuffer(name: string, bytes: Uint8Array): CaptureSource {
  return new StreamCapture(name, (async function* () {
    yield bytes;
  })(), 'empty file (no capture data)');
}

export interface OpenOptions {
  /** Bytes per read from a plain file (default {@link FILE_CHUNK}; at least 2). */
  chunkSize?: number;
}

/**
 * Opens the capture at `path` (`-`: standard input). Rejects with a {@link UserError} (NoInput) if the
 * file cannot be opened; the file is read, and closed, by `run()`.
 */
export async function openCapture(path: string, options: OpenOptions = {}): Promise<CaptureSource> {
  const chunkSize = Math.max(2, Math.floor(options.chunkSize ?? FILE_CHUNK));
  if (path === '-') return captureFromStream('-', process.stdin);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new UserError(`cannot open ${path}: ${describeErrno(e)}`, ExitCode.NoInput);
  }
  let size: number | undefined;
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new UserError(`cannot read ${path}: is a directory`, ExitCode.NoInput);
    if (st.isFile()) size = st.size;
  } catch (e) {
    await fh.close();
    throw e instanceof UserError ? e : new UserError(`cannot read ${path}: ${describeErrno(e)}`, ExitCode.NoInput);
  }
  return new FileCapture(path, fh, chunkSize, size);
}
