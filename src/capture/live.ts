/**
 * Live capture from an interface through libpcap, with the `cap` binding (an optional native
 * dependency, loaded only here: see cap-binding.ts).
 *
 * Time stamps: cap's packet event carries no capture time (its callback drops the time stamp of
 * libpcap's pcap_pkthdr, and nothing else in cap exposes it), so each packet is stamped when it is
 * delivered to Node, on a clock anchored once to the wall clock (Date.now(), read at the instant its
 * millisecond ticks, so the anchor is good to a few microseconds) and advanced by the monotonic
 * clock (performance.now(), nanosecond resolution, no BigInt). Time stamps therefore never go
 * backwards, and a wall-clock step during the capture is not followed. cap opens libpcap in
 * immediate mode, so an idle machine delivers a packet tens of microseconds after the kernel
 * saw it; under load, packets read in one batch get times closer together than they arrived.
 *
 * Lengths: cap reports only how many bytes it copied (libpcap's snaplen is fixed at 65535 by cap;
 * `snaplen` here cuts the copy shorter). The length on the wire (origlen) is the larger of that
 * and the length the IP header declares plus the link header, which is exact for IPv4/IPv6 frames
 * on Ethernet, Linux cooked (SLL, SLL2), BSD loopback (NULL) and raw IP; for any other frame it is
 * the captured length.
 */
import { performance } from 'node:perf_hooks';
import { loadCap, tryOpen, linktypeFromCap, type CapHandle, type CapModule } from './cap-binding.js';
import { ExitCode, UserError } from './errors.js';
import { listInterfaces } from './interfaces.js';
import { newCapturedPacket, type CapturedPacket, type PacketSink, type PacketSource } from './packet.js';

export { listInterfaces, type InterfaceInfo } from './interfaces.js';

/** What `--help` and the README can quote about live time stamps and lengths. */
export const LIVE_CAPTURE_NOTE =
  'Live capture time stamps are taken when libpcap delivers each packet to ackscope (the cap binding does not pass on ' +
  "the kernel's time stamp): wall clock read once at the start, advanced by the monotonic clock, so they never go " +
  'backwards and lag the packet\'s arrival by microseconds on an idle machine, more under load. The length on the wire ' +
  'is taken from the IP header, since cap reports only the captured length.';

/** cap fixes libpcap's snaplen at this; a larger buffer would never fill. */
export const MAX_SNAPLEN = 65535;
const DEFAULT_BUFFER_SIZE = 16 * 1024 * 1024;

export interface LiveOptions {
  /** Interface name, as `ackscope interfaces` lists it (`any` for all). */
  iface: string;
  /** BPF filter expression (pcap-filter(7)); empty or absent: everything. */
  filter?: string | undefined;
  /** Bytes kept per packet, 1..65535 (default 65535). */
  snaplen?: number | undefined;
  /** Kernel capture buffer in bytes (default 16 MiB). */
  bufferSize?: number | undefined;
}

export interface LiveStats {
  /** Packets delivered to the sink. */
  received: number;
  /** Packets cut short by `snaplen`. */
  truncated: number;
  /** Packets the kernel dropped: cap does not expose pcap_stats, so never known (absent). */
  dropped?: number;
}

export interface LiveSource extends PacketSource {
  readonly iface: string;
  readonly filter: string;
  /** LINKTYPE_* of the interface (1 Ethernet, 113 Linux cooked for `any`, ...). */
  readonly linktype: number;
  readonly snaplen: number;
  /**
   * Ends the capture: no packet is delivered after it returns (if called from the sink, the
   * current packet is the last), the libpcap handle is closed and `run()` resolves. Safe to call
   * at any time, more than once, before `run()` too (which then resolves at once). Until it is
   * called the open handle keeps Node's event loop alive.
   */
  stop(): void;
  stats(): LiveStats;
}

const PERMISSION = /permission|not permitted|EPERM|EACCES|CAP_NET_RAW|maybe you need root/i;
const NO_DEVICE = /no such device|doesn't exist|does not exist|SIOCGIFINDEX/i;

export const SETCAP_LINE = 'setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))';

/**
 * Opens `opts.iface` for capture (libpcap immediate mode, promiscuous as cap always asks).
 * Rejects with a {@link UserError}: NoLibpcap (binding or libpcap missing), NoSuchInterface
 * (with the list of interfaces), NoPermission (with the setcap line), Usage (bad filter, with
 * libpcap's message; bad snaplen or buffer size), Failure (any other libpcap error).
 */
export async function openLive(opts: LiveOptions): Promise<LiveSource> {
  const snaplen = opts.snaplen ?? MAX_SNAPLEN;
  if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > MAX_SNAPLEN) {
    throw new UserError(`snaplen must be a whole number of bytes from 1 to ${MAX_SNAPLEN}, not ${snaplen}`, ExitCode.Usage);
  }
  const bufferSize = opts.bufferSize ?? DEFAULT_BUFFER_SIZE;
  if (!Number.isInteger(bufferSize) || bufferSize < 1 || bufferSize > 0x7fffffff) {
    throw new UserError(`capture buffer size must be a whole number of bytes from 1 to 2147483647, not ${bufferSize}`, ExitCode.Usage);
  }
  if (opts.iface === '') throw new UserError('no interface given (ackscope interfaces lists them)', ExitCode.Usage);
  const filter = opts.filter ?? '';
  const cap = loadCap();
  // Checked first: libpcap would print a warning of its own on stderr for an unknown name.
  const names = interfaceNames();
  if (names !== null && !names.includes(opts.iface)) throw noSuchInterface(opts.iface, names);

  const buffer = Buffer.alloc(snaplen);
  const opened = tryOpen(cap, opts.iface, filter, bufferSize, buffer);
  if ('error' in opened) throw explainOpenFailure(cap, opts.iface, filter, bufferSize, opened.error);
  const linktype = linktypeFromCap(opened.linkName);
  if (linktype < 0) {
    opened.handle.close();
    throw new UserError(`cannot capture on ${opts.iface}: link type '${opened.linkName}' is not one ackscope knows`, ExitCode.Failure);
  }
  return new Live(opts.iface, filter, snaplen, linktype, opened.handle, buffer);
}

class Live implements LiveSource {
  readonly name: string;
  private readonly pkt: CapturedPacket = newCapturedPacket();
  private readonly clock = new DeliveryClock();
  private stopped = false;
  private running = false;
  private received = 0;
  private truncated = 0;
  private settle: ((error?: unknown) => void) | null = null;

  constructor(
    readonly iface: string,
    readonly filter: string,
    readonly snaplen: number,
    readonly linktype: number,
    private readonly handle: CapHandle,
    buffer: Buffer,
  ) {
    this.name = `iface:${iface}`;
    this.pkt.data = buffer;
    this.pkt.linktype = linktype;
  }

  stats(): LiveStats {
    return { received: this.received, truncated: this.truncated };
  }

  stop(): void {
    this.end(undefined);
  }

  run(sink: PacketSink): Promise<void> {
    if (this.running) return Promise.reject(new Error(`${this.name}: run() was already called`));
    this.running = true;
    return new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(error));
      if (this.stopped) {
        resolve();
        return;
      }
      const pkt = this.pkt;
      const buf = pkt.data;
      this.handle.on('packet', (nbytes: number, truncated: boolean) => {
        if (this.stopped) return;
        this.clock.stamp(pkt);
        this.received++;
        if (truncated) this.truncated++;
        pkt.frame = this.received;
        pkt.caplen = nbytes;
        pkt.origlen = wireLength(buf, nbytes, this.linktype);
        try {
          sink(pkt);
        } catch (e) {
          this.end(e);
        }
      });
    });
  }

  private end(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.handle.removeAllListeners('packet');
    this.handle.close();
    const settle = this.settle;
    this.settle = null;
    settle?.(error);
  }
}

/**
 * Wall-clock time at delivery: (sec0, ns0) is the wall clock at monotonic time mono0 (ms); each
 * stamp adds the monotonic delta in whole nanoseconds. All numbers stay below 2^53, so exact.
 */
class DeliveryClock {
  private readonly sec0: number;
  private readonly ns0: number;
  private readonly mono0: number;

  constructor() {
    // Date.now() has millisecond resolution: find the monotonic instant its millisecond ticks.
    // The tick falls between the monotonic reading before the last unchanged Date.now() and the
    // one after the changed Date.now(); a bracket wider than 10 µs (the thread was preempted) is
    // not trusted and the next tick is tried, for at most 50 ms.
    let best = { width: Infinity, wall: 0, mono: 0 };
    let prevBefore = performance.now();
    let prevWall = Date.now();
    const giveUp = prevBefore + 50;
    for (;;) {
      const before = performance.now();
      const wall = Date.now();
      const after = performance.now();
      if (wall !== prevWall) {
        const width = after - prevBefore;
        if (width < best.width) best = { width, wall, mono: (prevBefore + after) / 2 };
        if (width < 0.01 || after > giveUp) break;
      }
      prevBefore = before;
      prevWall = wall;
    }
    this.mono0 = best.mono;
    this.sec0 = Math.floor(best.wall / 1000);
    this.ns0 = (best.wall - this.sec0 * 1000) * 1_000_000;
  }

  stamp(pkt: CapturedPacket): void {
    const ns = this.ns0 + Math.round((performance.now() - this.mono0) * 1_000_000);
    const carry = Math.floor(ns / 1_000_000_000);
    pkt.tsSec = this.sec0 + carry;
    pkt.tsNsec = ns - carry * 1_000_000_000;
  }
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;

/**
 * Length on the wire: the captured length, or more if the IP header says the packet was longer
 * (the copy was cut by snaplen). Reads at most a few header bytes, all checked against `caplen`.
 */
export function wireLength(buf: Buffer, caplen: number, linktype: number): number {
  let off: number;
  let type: number;
  switch (linktype) {
    case 1: // Ethernet, maybe one 802.1Q tag
      if (caplen < 14) return caplen;
      type = (buf[12]! << 8) | buf[13]!;
      off = 14;
      if (type === ETH_VLAN) {
        if (caplen < 18) return caplen;
        type = (buf[16]! << 8) | buf[17]!;
        off = 18;
      }
      break;
    case 113: // Linux cooked (SLL): protocol at 14
      if (caplen < 16) return caplen;
      type = (buf[14]! << 8) | buf[15]!;
      off = 16;
      break;
    case 276: // Linux cooked v2 (SLL2): protocol at 0, 20-byte header
      if (caplen < 20) return caplen;
      type = (buf[0]! << 8) | buf[1]!;
      off = 20;
      break;
    case 0: // BSD loopback: 4-byte address family, then IP
    case 101: // raw IP
      off = linktype === 0 ? 4 : 0;
      if (caplen <= off) return caplen;
      type = buf[off]! >> 4 === 4 ? ETH_IPV4 : buf[off]! >> 4 === 6 ? ETH_IPV6 : 0;
      break;
    default:
      return caplen;
  }
  if (type === ETH_IPV4) {
    if (caplen < off + 4) return caplen;
    return Math.max(caplen, off + ((buf[off + 2]! << 8) | buf[off + 3]!));
  }
  if (type === ETH_IPV6) {
    if (caplen < off + 6) return caplen;
    const payload = (buf[off + 4]! << 8) | buf[off + 5]!;
    return payload === 0 ? caplen : Math.max(caplen, off + 40 + payload); // 0: jumbogram, length unknown here
  }
  return caplen;
}

/** Names libpcap lists, or null if it cannot list them (then libpcap's own error decides). */
function interfaceNames(): string[] | null {
  try {
    return listInterfaces().map((i) => i.name);
  } catch {
    return null;
  }
}

function noSuchInterface(iface: string, names: string[] | null): UserError {
  const list = names === null ? 'libpcap cannot list them' : names.length === 0 ? 'libpcap lists none' : `interfaces here: ${names.join(', ')}`;
  return new UserError(`no such interface: ${iface} (${list})`, ExitCode.NoSuchInterface);
}

/**
 * Turns a failed open into the user's error. With a filter, the open is retried without it on a
 * scratch handle: if that works, the filter was the problem (whatever words libpcap used).
 */
function explainOpenFailure(cap: CapModule, iface: string, filter: string, bufferSize: number, message: string): UserError {
  let reason = message;
  if (filter !== '' && !PERMISSION.test(message)) {
    const probe = tryOpen(cap, iface, '', bufferSize, Buffer.alloc(64));
    if ('handle' in probe) {
      probe.handle.close();
      return new UserError(`bad capture filter '${filter}': ${message}`, ExitCode.Usage);
    }
    reason = probe.error;
  }
  if (PERMISSION.test(reason)) {
    return new UserError(
      `no permission to capture on ${iface} (${reason}): run as root, or let node capture with: sudo ${SETCAP_LINE}`,
      ExitCode.NoPermission,
    );
  }
  if (NO_DEVICE.test(reason)) return noSuchInterface(iface, interfaceNames());
  return new UserError(`cannot capture on ${iface}: ${reason}`, ExitCode.Failure);
}
