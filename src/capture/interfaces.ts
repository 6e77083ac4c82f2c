/**
 * The interfaces libpcap can capture on (pcap_findalldevs through cap's `deviceList`), for
 * `ackscope interfaces` and for the "no such interface" message.
 */
import { loadCap } from './cap-binding.js';
import { ExitCode, UserError } from './errors.js';

export interface InterfaceInfo {
  name: string;
  /** libpcap's description, for pseudo-devices (`any`, `nflog`, ...). */
  description?: string;
  /** IPv4 and IPv6 addresses, as text. */
  addresses: string[];
  /** `PCAP_IF_LOOPBACK` on loopback devices (the only flag cap reports). */
  flags?: string;
  /** Same information as `flags`, as a boolean. */
  loopback: boolean;
}

/**
 * Lists the capture interfaces in libpcap's order. Throws a {@link UserError}: NoLibpcap if the
 * binding cannot be loaded, Failure if libpcap cannot list devices.
 */
export function listInterfaces(): InterfaceInfo[] {
  const cap = loadCap();
  let devices;
  try {
    devices = cap.Cap.deviceList();
  } catch (e) {
    throw new UserError(`cannot list capture interfaces: ${String((e as Error)?.message ?? e)}`, ExitCode.Failure);
  }
  return devices.map((d) => {
    const info: InterfaceInfo = {
      name: d.name,
      addresses: (d.addresses ?? []).map((a) => a.addr).filter((a): a is string => typeof a === 'string'),
      loopback: d.flags === 'PCAP_IF_LOOPBACK',
    };
    if (d.description) info.description = d.description;
    if (d.flags) info.flags = d.flags;
    return info;
  });
}
