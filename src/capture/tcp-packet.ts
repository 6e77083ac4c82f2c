/**
 * The decoded view of one frame, as a reused record (one per run, filled by the decoder for each
 * frame). Numbers only: addresses stay numeric until something prints them, options are parsed on
 * demand. Valid until the next frame is decoded into it.
 */

/** TCP flag bits as they sit in the 9 low bits of bytes 12-13 of the header. */
export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  AE: 0x100,
} as const;
export type TcpFlagName = keyof typeof TcpFlag;
/** Bit order used by tshark when it names flags: FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE. */
export const TCP_FLAG_NAMES: readonly TcpFlagName[] = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE'];

/**
 * - `tcp`: a TCP segment; every TCP field below is valid.
 * - `other`: not TCP (ARP, UDP, ICMP, a non-first IP fragment, an unknown link type); counted and skipped.
 * - `truncated`: TCP, but the capture cut the frame before the end of the TCP header (snaplen). Not corruption.
 * - `malformed`: an IP or TCP header that cannot be right (bad version, header length < 20, ...). `reason` says what.
 */
export type DecodeStatus = 'tcp' | 'other' | 'truncated' | 'malformed';

const EMPTY = Buffer.alloc(0);

export class TcpPacket {
  status: DecodeStatus = 'other';
  /** For `other` / `truncated` / `malformed`: a short human reason, e.g. `TCP data offset 3 < 5`. */
  reason = '';

  /** Frame number, copied from the captured packet. */
  frame = 0;
  /** Length of the frame on the wire (what tshark prints after `TCP`). */
  frameLen = 0;
  /**
   * Seconds since the first frame this decoder saw, as tshark's relative time (exact to the
   * nanosecond for spans under 100 days). -0 so that V8 keeps the field a double from the start.
   */
  time = -0;

  ipVersion: 4 | 6 = 4;
  /** IPv4 addresses as unsigned 32-bit numbers (ipVersion 4). */
  src4 = 0;
  dst4 = 0;
  /** IPv6 addresses as four big-endian 32-bit words (ipVersion 6). */
  readonly src6 = new Uint32Array(4);
  readonly dst6 = new Uint32Array(4);

  sport = 0;
  dport = 0;
  /** Raw (absolute) sequence number, 0..2^32-1. */
  seq = 0;
  /** Raw acknowledgement number, 0..2^32-1 (meaningful only with the ACK flag). */
  ack = 0;
  /** TCP header length in bytes (data offset * 4). */
  headerLen = 0;
  /** Flag bits, see {@link TcpFlag} (includes AE, bit 8). */
  flags = 0;
  /** Raw 16-bit window, unscaled. */
  win = 0;
  urg = 0;
  checksum = 0;
  /** The IP packet's length as Zeek's ConnSize counts it: IPv4 total length; IPv6 payload length + 40. */
  ipLen = 0;
  /** TCP payload length from the IP length (not from the captured length; Ethernet padding ignored). */
  len = 0;

  /** Where the TCP header starts in the captured packet's buffer. */
  tcpOffset = 0;
  /** Where the options start and how many bytes of options the header declares. */
  optOffset = 0;
  optLen = 0;
  /** How many option bytes were actually captured (may be < optLen on a snaplen cut). */
  optCaptured = 0;
  /** Where the payload starts and how many of its bytes were captured. */
  payloadOffset = 0;
  payloadCaptured = 0;

  /**
   * The buffer every offset above refers to: the captured packet's bytes, or the datagram rebuilt
   * from IP fragments when this frame completed one.
   */
  data: Buffer = EMPTY;
  /**
   * Outer layers the TCP segment was found in, outermost first (VLAN tags, tunnels: see
   * encap/hop.ts); `encapCount` may exceed the 16 recorded. `encapId` -1: no identifier.
   */
  encapCount = 0;
  readonly encapKind = new Uint8Array(16);
  readonly encapId = new Float64Array(16);
  /**
   * The virtual network the conversation lives in (0: none): the innermost VXLAN/Geneve/VXLAN-GPE
   * network identifier, which keeps equal inner addresses in two overlay networks apart.
   */
  net = 0;
}

/** TCP option kinds we name. */
export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WS: 3,
  SACK_PERM: 4,
  SACK: 5,
  TS: 8,
} as const;

/**
 * Parsed TCP options, a reused record. `kinds[0..count)` lists every option kind in header order
 * (NOP and EOL included) so a renderer can print them in order.
 */
export class TcpOptions {
  count = 0;
  readonly kinds = new Uint8Array(40);
  /** -1 when absent. */
  mss = -1;
  /** Window-scale shift count; -1 when absent. */
  wscale = -1;
  sackPerm = false;
  hasTs = false;
  tsVal = 0;
  tsEcr = 0;
  /** Number of SACK blocks (0..4) in `sack` as [left0, right0, left1, right1, ...], raw sequence numbers. */
  sackBlocks = 0;
  readonly sack = new Uint32Array(8);
  /** Set when an option's length byte is impossible (< 2 or past the header); parsing stopped there. */
  malformed = '';
}
