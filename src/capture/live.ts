/**
 * Live capture through libpcap with the `cap` binding (an optional native dependency, loaded only
 * when live capture is asked for, so file analysis works without it).
 *
 * Time stamps: `cap`'s packet event carries no capture time (its callback drops libpcap's
 * pcap_pkthdr timestamp), so each packet is timed when libpcap delivers it to us, on a clock
 * anchored once to wall time (Date.now()) and advanced by the monotonic performance.now(). cap
 * opens with immediate mode, so delivery follows arrival closely; under load packets delivered in
 * one batch get times microseconds apart instead of their true spacing.
 *
 * Lengths: cap reports only the bytes it copied (libpcap's caplen, snaplen 65535), so origlen is
 * reported equal to it; TCP Len comes from the IP header and is exact either way.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { ExitCode, UserError } from './errors.js';
import { newCapturedPacket, type PacketSink, type PacketSource } from './packet.js';

interface CapDevice {
  name: string;
  description?: string;
  addresses?: { addr?: string }[];
  flags?: string;
}
interface CapInstance {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
  setMinBytes?: (n: number) => void;
}
interface CapModule {
  Cap: (new () => CapInstance) & { deviceList(): CapDevice[] };
}

/** Loads `cap`; ACKSCOPE_CAP_MODULE names another module path to load instead (tests use it to simulate a missing binding). */
function loadCap(): CapModule {
  const req = createRequire(import.meta.url);
  try {
    return req(process.env.ACKSCOPE_CAP_MODULE || 'cap') as CapModule;
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    throw new UserError(
      `live capture needs libpcap and the cap binding, which could not be loaded (${why}): install them with \`apt-get install libpcap-dev\` and \`npm rebuild cap\``,
      ExitCode.NoLibpcap,
    );
  }
}

const LINKTYPES: Record<string, number> = { NULL: 0, ETHERNET: 1, IEEE802_11_RADIO: 127, LINKTYPE_LINUX_SLL: 113, RAW: 101 };

function linktypeOf(name: string): number {
  const known = LINKTYPES[name];
  if (known !== undefined) return known;
  const m = /Unknown linktype (\d+)/.exec(name);
  return m ? Number(m[1]) : -1;
}

export interface InterfaceInfo {
  name: string;
  description?: string;
  addresses: string[];
  loopback: boolean;
}

export function listInterfaces(): InterfaceInfo[] {
  const cap = loadCap();
  return cap.Cap.deviceList().map((d) => ({
    name: d.name,
    ...(d.description ? { description: d.description } : {}),
    addresses: (d.addresses ?? []).map((a) => a.addr).filter((a): a is string => typeof a === 'string'),
    loopback: d.flags === 'PCAP_IF_LOOPBACK',
  }));
}

export interface LiveOptions {
  iface: string;
  filter?: string | undefined;
  /** Kernel buffer size in bytes (default 16 MiB). */
  bufferSize?: number;
}

export interface LiveSource extends PacketSource {
  /** Ends `run()` after the packet being delivered, if any. Safe to call more than once. */
  stop(): void;
  stats(): { received: number; dropped: number };
  readonly linktype: number;
}

function classify(iface: string, message: string, filter: string | undefined): UserError {
  if (/permission|not permitted|EPERM|operation not permitted/i.test(message)) {
    return new UserError(
      `no permission to capture on ${iface} (${message}): run as root, or give node the capability: setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))`,
      ExitCode.NoPermission,
    );
  }
  if (/no such device|doesn't exist|not found|SIOCGIF/i.test(message)) {
    let names = '';
    try {
      names = listInterfaces().map((i) => i.name).join(', ');
    } catch {
      names = '(could not list them)';
    }
    return new UserError(`no such interface: ${iface} (interfaces here: ${names})`, ExitCode.NoSuchInterface);
  }
  if (filter !== undefined && /syntax|filter|expression|parse|unknown/i.test(message)) {
    return new UserError(`bad capture filter '${filter}': ${message}`, ExitCode.Usage);
  }
  return new UserError(`cannot capture on ${iface}: ${message}`, ExitCode.NoPermission);
}

export async function openLive(opts: LiveOptions): Promise<LiveSource> {
  const cap = loadCap();
  // Check the name first: for an unknown device cap prints a libpcap warning of its own to stderr.
  const known = cap.Cap.deviceList().map((d) => d.name);
  if (!known.includes(opts.iface)) {
    throw new UserError(`no such interface: ${opts.iface} (interfaces here: ${known.join(', ')})`, ExitCode.NoSuchInterface);
  }
  const c = new cap.Cap();
  const buffer = Buffer.alloc(65535);
  let linkName: string;
  try {
    linkName = c.open(opts.iface, opts.filter ?? '', opts.bufferSize ?? 16 * 1024 * 1024, buffer);
  } catch (e) {
    throw classify(opts.iface, (e as Error).message, opts.filter);
  }
  c.setMinBytes?.(0);
  const linktype = linktypeOf(linkName);
  let stopped = false;
  let received = 0;
  let finish: (() => void) | null = null;
  const pkt = newCapturedPacket();
  pkt.data = buffer;
  pkt.linktype = linktype;
  const wall0 = Date.now();
  const mono0 = performance.now();

  return {
    name: `iface:${opts.iface}`,
    linktype,
    stats: () => ({ received, dropped: 0 }),
    stop(): void {
      if (stopped) return;
      stopped = true;
      try {
        c.close();
      } catch {
        /* already closed */
      }
      finish?.();
    },
    run(sink: PacketSink): Promise<void> {
      return new Promise<void>((resolve) => {
        finish = resolve;
        if (stopped) {
          resolve();
          return;
        }
        c.on('packet', (nbytes: number) => {
          if (stopped) return;
          const ms = wall0 + (performance.now() - mono0);
          const sec = Math.floor(ms / 1000);
          received++;
          pkt.frame = received;
          pkt.offset = 0;
          pkt.caplen = nbytes;
          pkt.origlen = nbytes;
          pkt.tsSec = sec;
          pkt.tsNsec = Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6));
          sink(pkt);
        });
      });
    },
  };
}
