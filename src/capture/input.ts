/**
 * What `analyze FILE|-` and `convert` read: a capture (pcap, pcapng, gzip: see open.ts) or a text
 * trace (tshark or tcpdump lines: see text/trace.ts), recognised by content or forced.
 *
 * A capture is streamed as before. A text is read whole (at most {@link MAX_TEXT} bytes) and
 * becomes one or more packet sources.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ExitCode, UserError } from './errors.js';
import { captureFromStream, openCapture, type CaptureSource } from './open.js';
import { pcapMagic } from './pcap.js';
import { PCAPNG_SHB } from './pcapng.js';
import { readTextTrace, sniffDialect, type Dialect, type TextInput } from './text/trace.js';
import { clip } from './text/tshark.js';

export type InputKind = 'auto' | 'capture' | 'tshark-text' | 'tcpdump-text';
export const INPUT_KINDS: readonly InputKind[] = ['auto', 'capture', 'tshark-text', 'tcpdump-text'];

export type Input = { kind: 'capture'; source: CaptureSource } | { kind: 'text'; name: string; text: TextInput };

/** Largest text trace read (a text is held in memory whole). */
export const MAX_TEXT = 256 * 1024 * 1024;

function isCaptureHead(b: Buffer): boolean {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return true;
  if (b.length < 4) return false;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return pcapMagic(v, 0) !== undefined || v.getUint32(0, false) === PCAPNG_SHB;
}

/** Text if no NUL and few control bytes in the first 64 KiB. */
function looksLikeText(b: Buffer): boolean {
  const n = Math.min(b.length, 65536);
  let ctl = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0) return false;
    if (c < 9 || (c > 13 && c < 32)) ctl++;
  }
  return ctl * 100 <= n;
}

function textInput(name: string, bytes: Buffer, force: Dialect | undefined): Input {
  const text = bytes.toString('utf8');
  const got = readTextTrace(name, text, force);
  if (got === null) {
    const first = text.split('\n').find((l) => l.trim() !== '') ?? '';
    throw new UserError(
      `${name}: not a pcap or pcapng file, and no line reads as tshark or tcpdump output (first line: "${clip(first.trim(), 60)}"); see ackscope analyze --help`,
      ExitCode.BadInput,
    );
  }
  return { kind: 'text', name, text: got };
}

const forced = (kind: InputKind): Dialect | undefined => (kind === 'tshark-text' ? 'tshark' : kind === 'tcpdump-text' ? 'tcpdump' : undefined);

/** Open `path` (`-`: standard input) as a capture or a text trace. */
export async function openInput(path: string, kind: InputKind = 'auto'): Promise<Input> {
  if (kind === 'capture') return { kind: 'capture', source: await openCapture(path) };
  if (path === '-') return openStdin(kind);
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
  } catch {
    return { kind: 'capture', source: await openCapture(path) }; // its error message
  }
  let head: Buffer;
  try {
    const st = await fh.stat();
    if (!st.isFile() && !st.isFIFO()) return { kind: 'capture', source: await openCapture(path) };
    if (st.isFIFO()) {
      // A pipe cannot be read twice: sniff its first bytes, then stream on; the stream closes the file.
      const stream = fh.createReadStream({ autoClose: true });
      fh = undefined;
      return await fromStream(path, stream, kind);
    }
    head = Buffer.alloc(Math.min(65536, st.size));
    await fh.read(head, 0, head.length, 0);
    if (kind === 'auto' && (isCaptureHead(head) || !looksLikeText(head))) return { kind: 'capture', source: await openCapture(path) };
    if (st.size > MAX_TEXT) throw new UserError(`${path}: a text trace larger than ${MAX_TEXT >> 20} MiB is not read (convert it with tshark first)`, ExitCode.BadInput);
    const all = Buffer.alloc(st.size);
    await fh.read(all, 0, st.size, 0);
    return textInput(path, all, forced(kind));
  } finally {
    await fh?.close();
  }
}

async function fromStream(name: string, stream: AsyncIterable<Uint8Array>, kind: InputKind): Promise<Input> {
  const it = stream[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < 4) {
    const r = await it.next();
    if (r.done === true) {
      done = true;
      break;
    }
    first.push(Buffer.from(r.value));
    size += r.value.length;
  }
  const head = Buffer.concat(first);
  if (kind === 'auto' && (head.length === 0 || isCaptureHead(head) || !looksLikeText(head))) {
    const rest = async function* (): AsyncGenerator<Uint8Array> {
      if (head.length) yield head;
      if (done) return;
      for (let r = await it.next(); r.done !== true; r = await it.next()) yield r.value;
    };
    return { kind: 'capture', source: captureFromStream(name, rest()) };
  }
  const parts = [head];
  while (!done) {
    const r = await it.next();
    if (r.done === true) break;
    parts.push(Buffer.from(r.value));
    size += r.value.length;
    if (size > MAX_TEXT) throw new UserError(`${name === '-' ? 'standard input' : name}: a text trace larger than ${MAX_TEXT >> 20} MiB is not read`, ExitCode.BadInput);
  }
  return textInput(name, Buffer.concat(parts), forced(kind));
}

function openStdin(kind: InputKind): Promise<Input> {
  return fromStream('-', process.stdin, kind);
}

export { sniffDialect };
