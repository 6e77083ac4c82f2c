/**
 * The `cap` native binding (libpcap for Node), an optional dependency: loaded lazily, only when
 * live capture or the interface list is asked for, so everything else works without it.
 *
 * `ACKSCOPE_CAP_MODULE=PATH` loads that module instead of `cap` (the tests point it at a path that
 * does not exist to see the "not installed" error; it can also name a cap built elsewhere).
 */
import { createRequire } from 'node:module';
import { ExitCode, UserError } from './errors.js';

/** One entry of `Cap.deviceList()` (libpcap's pcap_findalldevs). */
export interface CapDevice {
  name: string;
  description?: string;
  addresses?: { addr?: string; netmask?: string; broadaddr?: string; dstaddr?: string }[];
  /** cap sets only `PCAP_IF_LOOPBACK`, and only on loopback devices. */
  flags?: string;
}

export interface CapHandle {
  /** Returns the link type name (`ETHERNET`, `LINKTYPE_LINUX_SLL`, ... or `Unknown linktype N`). Throws libpcap's message. */
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  /** pcap_sendpacket: sends the first `size` bytes of `buffer` as a frame. Throws libpcap's message. */
  send(buffer: Buffer, size?: number): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): this;
  removeAllListeners(event?: string): this;
}

export interface CapModule {
  Cap: (new () => CapHandle) & { deviceList(): CapDevice[] };
}

/** The install hint every "cannot load" message ends with. */
export const INSTALL_HINT = "install libpcap with 'apt-get install libpcap-dev' (or your system's libpcap development package), then build the binding with 'npm rebuild cap'";

/** Loads the binding, or throws a {@link UserError} (NoLibpcap) saying why and how to fix it. */
export function loadCap(): CapModule {
  const spec = process.env.ACKSCOPE_CAP_MODULE || 'cap';
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)(spec);
  } catch (e) {
    throw new UserError(`live capture needs libpcap and the cap binding, which could not be loaded (${loadFailure(spec, e)}): ${INSTALL_HINT}`, ExitCode.NoLibpcap);
  }
  const cap = (mod as Partial<CapModule> | null)?.Cap;
  if (typeof cap !== 'function' || typeof cap.deviceList !== 'function') {
    throw new UserError(`live capture needs the cap binding, but '${spec}' is not it (no Cap class): ${INSTALL_HINT}`, ExitCode.NoLibpcap);
  }
  return mod as CapModule;
}

function loadFailure(spec: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const first = String(err?.message ?? e).split('\n')[0] ?? '';
  if (err?.code === 'MODULE_NOT_FOUND' && first.includes(`'${spec}'`)) return `${spec} is not installed`;
  if (err?.code === 'MODULE_NOT_FOUND' && first.includes('cap.node')) return 'cap is installed but was never built';
  return first;
}

/**
 * Every cap handle is kept reachable for the life of the process: cap's native destructor is not
 * safe to run. After a failed `open()` it stops a libuv poll handle that was never started (a
 * libuv assertion aborts the process), and after a successful one it emits an async-hooks destroy
 * event from inside V8's garbage collector (a segfault, seen in the tests). Each handle is a few
 * hundred bytes; packet buffers are not retained (cap drops its pointer on close).
 */
const retained: CapHandle[] = [];

/** `new Cap().open(...)`: the open handle and its link type name, or libpcap's message (never close a failed handle). */
export function tryOpen(cap: CapModule, device: string, filter: string, bufSize: number, buffer: Buffer): { handle: CapHandle; linkName: string } | { error: string } {
  const handle = new cap.Cap();
  retained.push(handle);
  try {
    return { handle, linkName: handle.open(device, filter, bufSize, buffer) };
  } catch (e) {
    return { error: String((e as Error)?.message ?? e) };
  }
}

/** cap's names for the link types it knows, as LINKTYPE_* numbers (the values pcap and pcapng files store). */
const LINK_NAMES: Readonly<Record<string, number>> = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LINKTYPE_LINUX_SLL: 113,
  IEEE802_11_RADIO: 127,
};

/**
 * LINKTYPE_* number for the string cap's `open()` returns. cap names five link types and reports
 * any other as `Unknown linktype N` with libpcap's DLT_* value N, which is the LINKTYPE_* value
 * except for a few low DLT numbers (Linux values, libpcap's pcap-common.c table).
 * Returns -1 if the string is neither.
 */
export function linktypeFromCap(name: string): number {
  const known = LINK_NAMES[name];
  if (known !== undefined) return known;
  const m = /^Unknown linktype (\d+)$/.exec(name);
  if (!m) return -1;
  const dlt = Number(m[1]);
  return DLT_TO_LINKTYPE[dlt] ?? dlt;
}

const DLT_TO_LINKTYPE: Readonly<Record<number, number>> = {
  11: 100, // ATM_RFC1483
  12: 101, // RAW
  15: 102, // SLIP_BSDOS
  16: 103, // PPP_BSDOS
  18: 246, // PFSYNC
  19: 106, // ATM_CLIP
};
