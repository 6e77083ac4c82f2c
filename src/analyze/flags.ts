/**
 * The tshark-compatible analysis flags: one bit each, with tshark's field name
 * (`tcp.analysis.<name>`), the bracket label it prints, and its expert severity.
 * Names are stable: JSON output and tests use them.
 */
export const AFlag = {
  reused_ports: 1 << 0,
  retransmission: 1 << 1,
  fast_retransmission: 1 << 2,
  spurious_retransmission: 1 << 3,
  out_of_order: 1 << 4,
  lost_segment: 1 << 5,
  ack_lost_segment: 1 << 6,
  window_update: 1 << 7,
  window_full: 1 << 8,
  keep_alive: 1 << 9,
  keep_alive_ack: 1 << 10,
  duplicate_ack: 1 << 11,
  zero_window_probe: 1 << 12,
  zero_window: 1 << 13,
  zero_window_probe_ack: 1 << 14,
} as const;
export type AFlagName = keyof typeof AFlag;

export type Severity = 'chat' | 'note' | 'warn';

interface FlagInfo {
  readonly name: AFlagName;
  readonly bit: number;
  /** Text inside `[TCP …]`; the dup-ack label is built per packet. */
  readonly label: string;
  readonly severity: Severity;
  readonly description: string;
}

const info = (name: AFlagName, label: string, severity: Severity, description: string): FlagInfo => ({
  name,
  bit: AFlag[name],
  label,
  severity,
  description,
});

/**
 * In tshark's call order (reused, retransmission family, lost, window, keep-alive, dup, zero window).
 * tshark prepends each label, so on screen they appear in the reverse of this order.
 */
export const FLAG_CATALOGUE: readonly FlagInfo[] = [
  info('reused_ports', 'Port numbers reused', 'note', 'A SYN with a new ISN on a 4-tuple already seen: a new connection.'),
  info('retransmission', 'Retransmission', 'note', 'Data at a sequence number already sent.'),
  info('fast_retransmission', 'Fast Retransmission', 'note', 'A retransmission right after two or more duplicate ACKs asked for it.'),
  info('spurious_retransmission', 'Spurious Retransmission', 'note', 'Data the peer had already acknowledged, sent again.'),
  info('out_of_order', 'Out-Of-Order', 'warn', 'An earlier sequence number arriving shortly after later data.'),
  info('lost_segment', 'Previous segment not captured', 'warn', 'A gap in the sequence numbers: data this capture never saw.'),
  info('ack_lost_segment', 'ACKed unseen segment', 'warn', 'An ACK for data this capture never saw from the peer.'),
  info('window_update', 'Window Update', 'chat', 'A pure ACK whose only news is a changed window.'),
  info('window_full', 'Window Full', 'warn', "This segment fills the peer's advertised window exactly."),
  info('keep_alive', 'Keep-Alive', 'note', 'Zero or one byte at the sequence number just before the next one: a keep-alive.'),
  info('keep_alive_ack', 'Keep-Alive ACK', 'note', 'The answer to a keep-alive.'),
  info('duplicate_ack', 'Dup ACK', 'note', 'The same ACK again, with no data and the same window.'),
  info('zero_window_probe', 'ZeroWindowProbe', 'note', 'One byte sent into a zero window to see whether it reopened.'),
  info('zero_window', 'ZeroWindow', 'warn', 'The receiver advertises a zero window: the sender must stop.'),
  info('zero_window_probe_ack', 'ZeroWindowProbeAck', 'note', 'The answer to a zero-window probe.'),
];

export const FLAG_BY_NAME: Readonly<Record<AFlagName, FlagInfo>> = Object.fromEntries(
  FLAG_CATALOGUE.map((f) => [f.name, f]),
) as Record<AFlagName, FlagInfo>;

/** tshark's "Bad TCP" colouring rule: any flag but window update and keep-alives. */
export const BAD_TCP_MASK =
  Object.values(AFlag).reduce((a, b) => a | b, 0) & ~(AFlag.window_update | AFlag.keep_alive | AFlag.keep_alive_ack);

/** Flag names set in `bits`, in catalogue order. Allocates: for output only. */
export function flagNameList(bits: number): AFlagName[] {
  const out: AFlagName[] = [];
  for (const f of FLAG_CATALOGUE) if (bits & f.bit) out.push(f.name);
  return out;
}

/**
 * The `[TCP …]` prefix exactly as tshark 4.0 prints it (labels in reverse call order, each
 * followed by a space). `dupAckFrame`/`dupAckNum` fill `[TCP Dup ACK f#n]`.
 */
export function tsharkLabels(bits: number, dupAckFrame: number, dupAckNum: number): string[] {
  const out: string[] = [];
  for (let i = FLAG_CATALOGUE.length - 1; i >= 0; i--) {
    const f = FLAG_CATALOGUE[i]!;
    if (!(bits & f.bit)) continue;
    out.push(f.name === 'duplicate_ack' ? `TCP Dup ACK ${dupAckFrame}#${dupAckNum}` : `TCP ${f.label}`);
  }
  return out;
}
