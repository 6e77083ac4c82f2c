/**
 * Zeek's view of a TCP connection, rule for rule: the two observer endpoints of Zeek's
 * `TCPSessionAdapter` (states INACTIVE … RESET), its history string, `conn_state`, the
 * sequence-space sizes (`orig_bytes`/`resp_bytes`), content gaps (`missed_bytes`, `G`/`g`), the
 * ConnSize packet and IP-byte counters, `duration`, and the weirds it raises. Read from Zeek's
 * source (zeek/zeek: packet_analysis/protocol/tcp/TCPSessionAdapter.cc `Process` and the
 * `Update*State` functions, analyzer/protocol/tcp/TCP_Endpoint.cc, TCP_Reassembler.cc,
 * base/protocols/conn/main.zeek `conn_state`); where a rule is Zeek's, the comment names the
 * function it mirrors. Where ackscope cannot or does not follow Zeek, the README ("Zeek logs") says so.
 *
 * One {@link ZeekConn} per ackscope connection, recycled with it. `packet()` is called for every
 * segment in capture order; it allocates nothing on the ordinary path (letters and weirds are rare).
 * Sequence numbers arrive in the tracker's int32 form (seq.ts); positions inside an endpoint's
 * sequence space are kept as doubles relative to its initial sequence number, as Zeek's 64-bit
 * relative numbers are.
 */
import type { TcpFlag, TcpPacket } from '../capture/tcp-packet.js';
import { TIME_ZERO } from './connection.js';
import type { Segment } from './segment.js';
import { seqAdd, seqDiff } from './seq.js';

/**
 * The TCP flag bits (capture/tcp-packet.ts `TcpFlag`) as literals for the per-packet tests (a
 * const enum is inlined by tsc; a property of an imported object is a load and a check each time).
 */
const enum F {
  FIN = 0x001,
  SYN = 0x002,
  RST = 0x004,
  ACK = 0x010,
  URG = 0x020,
  /** The bits that decide which path a segment takes: SYN, FIN, RST and ACK. */
  CONTROL = SYN | FIN | RST | ACK,
}
/** tsc checks that the literals are TcpFlag's: this fails to compile if the two ever part. */
const flagsAreTcpFlags: [typeof TcpFlag.FIN, typeof TcpFlag.SYN, typeof TcpFlag.RST, typeof TcpFlag.ACK, typeof TcpFlag.URG] = [F.FIN, F.SYN, F.RST, F.ACK, F.URG];
void flagsAreTcpFlags;

/** The segment {@link ZeekConn.packet} is working on: where a weird reads its time. */
let current: Segment;

/**
 * Zeek's observer endpoint states (TCP_Endpoint.h `EndpointState`, same order and values as
 * TCP_ENDPOINT_INACTIVE … TCP_ENDPOINT_RESET); not the RFC host states. Small integers, so that the
 * per-packet state tests compare numbers.
 */
export const enum ZeekState {
  INACTIVE,
  SYN_SENT,
  SYN_ACK_SENT,
  PARTIAL,
  ESTABLISHED,
  CLOSED,
  RESET,
}

export type ZeekConnState = 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

/** Zeek's limits, as literals in the compiled code (a const enum is inlined by tsc). */
const enum Limit {
  /** TCPSessionAdapter.cc `TOO_LARGE_SEQ_DELTA`. */
  TOO_LARGE_SEQ_DELTA = 1048576,
  /** `tcp_storm_thresh`, `tcp_storm_interarrival_thresh` (init-bare.zeek). */
  STORM_THRESH = 1000,
  STORM_INTERARRIVAL = 1,
  /** `tcp_max_above_hole_without_any_acks`, `tcp_excessive_data_without_further_acks`. */
  MAX_ABOVE_HOLE_WITHOUT_ACKS = 16384,
  EXCESSIVE_DATA_WITHOUT_ACKS = 10 * 1024 * 1024,
}
/**
 * Every weird this model raises (Zeek's names). The value is the weird's bit in
 * `ZeekConn.weirdSeen`: each is logged once per connection, so a repeat (e.g. truncated_tcp_payload
 * on every data packet of a capture cut at the snaplen) costs one bit test.
 */
enum Weird {
  TCP_seq_underflow_or_misorder,
  TCP_christmas,
  baroque_SYN,
  SYN_with_data,
  FIN_storm,
  RST_storm,
  TCP_ack_underflow_or_misorder,
  truncated_tcp_payload,
  SYN_seq_jump,
  SYN_inside_connection,
  possible_split_routing,
  TCP_scale_range,
  window_recision,
  connection_originator_SYN_ack,
  bad_SYN_ack,
  simultaneous_open,
  unsolicited_SYN_response,
  spontaneous_FIN,
  spontaneous_RST,
  repeated_SYN_with_ack,
  repeated_SYN_reply_wo_ack,
  inappropriate_FIN,
  data_before_established,
  SYN_after_partial,
  SYN_after_close,
  FIN_advanced_last_seq,
  SYN_after_reset,
  FIN_after_reset,
  data_after_reset,
  above_hole_data_without_any_acks,
  excessive_data_without_further_acks,
}
/**
 * truncated_tcp_payload's bit in `weirdSeen` as a literal, for the test made on every data packet
 * of a capture cut at the snaplen (`Weird` is an object at run time: each `Weird.x` is a property
 * load). tsc checks the number: the declaration below fails to compile if the member moves.
 */
const enum WeirdBit {
  truncated_tcp_payload = 1 << 7,
}
const truncatedIs7: 7 = Weird.truncated_tcp_payload;
void truncatedIs7;

/** Weirds Zeek raises on the connection rather than through the TCP analyzer (empty source). */
const CONNECTION_WEIRDS: ReadonlySet<Weird> = new Set([Weird.SYN_seq_jump, Weird.SYN_inside_connection, Weird.possible_split_routing, Weird.window_recision]);

/** History once-only bits (TCP_Endpoint.h `HIST_*`); the responder's are shifted left by 16. */
const enum Hist {
  SYN_PKT = 0x1,
  FIN_PKT = 0x2,
  RST_PKT = 0x4,
  FIN_RST_PKT = 0x8,
  DATA_PKT = 0x10,
  ACK_PKT = 0x20,
  MULTI_FLAG_PKT = 0x40,
}

/**
 * Ports in Zeek's `likely_server_ports` in a default `zeek -r` run: the TCP ports the analyzers
 * loaded by default register (base/protocols/*). A connection whose first packet is not a pure SYN
 * and comes *from* one of these is flipped at creation (`TCPAnalyzer::WantConnection`). The set is
 * Zeek 6/7's default scripts as read from their `register_for_ports` calls; a site's own scripts
 * change it.
 */
export const LIKELY_SERVER_PORTS: ReadonlySet<number> = new Set([
  21, 2811, // ftp
  22, // ssh
  23, 513, 514, 543, 544, // telnet, rlogin, rsh
  25, 587, // smtp
  53, // dns over tcp
  80, 81, 631, 1080, 3128, 8000, 8080, 8888, // http
  88, // kerberos
  110, // pop3
  111, 2049, // sun rpc, nfs
  135, 139, 445, // dce-rpc, smb
  143, // imap
  389, 3268, // ldap
  443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223, // tls
  502, // modbus
  1723, // pptp
  3306, // mysql
  3389, // rdp
  5060, 5061, // sip
  5432, // postgresql
  5900, 5901, 5902, 5903, 5904, 5905, 5906, 5907, // vnc
  6379, // redis
  6666, 6667, 6668, 6669, // irc
  20000, // dnp3
]);

/** One observed endpoint: what Zeek's `TCP_Endpoint` and its `TCP_Reassembler` keep. */
export class ZeekEndpoint {
  /** Capture direction this endpoint sends in (0: A, the first sender; 1: B); fixed, a flip swaps the roles. */
  readonly dir: 0 | 1 = 0;
  isOrig = true;
  state: ZeekState = ZeekState.INACTIVE;
  prevState: ZeekState = ZeekState.INACTIVE;
  /** Initial sequence number (raw, int32 form). */
  startSeq = 0;
  /** Highest sequence seen from this endpoint (seq + payload + SYN + FIN): raw, and relative to startSeq. */
  lastRaw = 0;
  lastRel = 0;
  /** Highest ACK the peer sent for this endpoint's data: raw and relative. */
  ackRaw = 0;
  ackRel = 0;
  finCnt = 0;
  /** Relative position just past the FIN. */
  finSeq = 0;
  rstCnt = 0;
  histLastSyn = 0;
  histLastFin = 0;
  histLastRst = 0;
  /** Scaled-history counters: retransmissions, zero windows, gaps (a letter at 1, 10, 100, ...). */
  rxmtCnt = 0;
  win0Cnt = 0;
  gapCnt = 0;
  windowScale = 0;
  window = 0;
  windowSeq = 0;
  windowAckSeq = 0;
  didClose = false;
  /** ConnectionClosed was put off while data was still pending (TCPSessionAdapter `close_deferred`). */
  closeDeferred = false;
  lastTime = TIME_ZERO;
  // The reassembler of this endpoint's data (TCP_Reassembler), in relative sequence numbers (data starts at 1).
  /** Next byte to deliver: everything below was delivered or declared a gap. */
  reassemLast = 1;
  /** Everything below was acknowledged and dropped. */
  trimSeq = 1;
  /** Data received above a hole: sorted, merged [lo, hi) pairs. Allocated at the first hole. */
  blocks: number[] | null = null;
  /** Reassembly given up (`skip_deliveries`). */
  skip = false;

  constructor(dir: 0 | 1) {
    this.dir = dir;
    this.isOrig = dir === 0;
  }

  reset(): void {
    this.isOrig = this.dir === 0;
    this.state = ZeekState.INACTIVE;
    this.prevState = ZeekState.INACTIVE;
    this.startSeq = 0;
    this.lastRaw = 0;
    this.lastRel = 0;
    this.ackRaw = 0;
    this.ackRel = 0;
    this.finCnt = 0;
    this.finSeq = 0;
    this.rstCnt = 0;
    this.histLastSyn = 0;
    this.histLastFin = 0;
    this.histLastRst = 0;
    this.rxmtCnt = 0;
    this.win0Cnt = 0;
    this.gapCnt = 0;
    this.windowScale = 0;
    this.window = 0;
    this.windowSeq = 0;
    this.windowAckSeq = 0;
    this.didClose = false;
    this.closeDeferred = false;
    this.lastTime = TIME_ZERO;
    this.reassemLast = 1;
    this.trimSeq = 1;
    this.blocks = null;
    this.skip = false;
  }

  setState(s: ZeekState): void {
    if (s === this.state) return;
    this.prevState = this.state;
    this.state = s;
  }

  /** InitStartSeq + InitAckSeq + InitLastSeq. */
  init(start: number, ack: number, last: number): void {
    this.startSeq = start;
    this.ackRaw = ack;
    this.ackRel = seqDiff(ack, start);
    this.lastRaw = last;
    this.lastRel = seqDiff(last, start);
  }

  /** `TCP_Endpoint::NoDataAcked`: the peer has acknowledged nothing past the SYN. */
  noDataAcked(): boolean {
    return this.ackRel === 0 || this.ackRel === 1;
  }

  /** `TCP_Endpoint::Size`: bytes in sequence space, SYN and FIN octets left out. */
  size(peer: ZeekEndpoint): number {
    if (this.prevState === ZeekState.SYN_SENT && this.state === ZeekState.RESET && peer.state === ZeekState.INACTIVE && !this.noDataAcked()) return 0;
    let size = Math.max(this.lastRel, this.ackRel);
    if (size < 0) return 0;
    if (size !== 0) size--;
    if (this.finCnt > 0 && size !== 0) size--;
    return size;
  }

  /** Data above the next byte to deliver (`TCP_Reassembler::DataPending`; a FIN's octet does not count). */
  dataPending(): boolean {
    return !this.skip && this.lastRel - this.reassemLast > 1;
  }
}

/** A weird as raised: when, which name, and the originator's direction at that moment. */
export interface ZeekWeird {
  time: number;
  name: string;
  addl: string;
  /** `TCP` for weirds raised through the analyzer, empty for those raised on the connection. */
  source: string;
  /** Capture direction of the originator when it was raised (ids are logged as they were then). */
  origDir: 0 | 1;
}

export class ZeekConn {
  /** The endpoints by capture direction: `a` sends A→B, `b` B→A. */
  private readonly a = new ZeekEndpoint(0);
  private readonly b = new ZeekEndpoint(1);
  /** The originator and responder endpoints (`a` and `b` unless flipped). */
  orig = this.a;
  resp = this.b;
  /**
   * The history letters as 7-bit character codes, appended in place: a string grown by one letter
   * at a time is a new string per letter, and with thousands of connections alive for the close
   * linger those strings outlive a young-generation collection and become old-space garbage (the
   * largest source of it: 27 MB on bulk.pcap). The first eight letters (a whole ordinary history,
   * `ShADadfF`) are packed four to a small integer in `hist0` and `hist1`, which costs a field store
   * per letter and nothing to reset; letters after those go to the array `hist`. `histLen` counts
   * all of them.
   */
  private hist0 = 0;
  private hist1 = 0;
  private histLen = 0;
  private readonly hist: number[] = [];
  private histSeen = 0;
  /**
   * Both endpoints ESTABLISHED and both seen (`firstSeen` 3): the state in which an ACK without
   * SYN, FIN or RST takes {@link established}. Set at the end of {@link process}, the only place the
   * endpoint states or `firstSeen` change (a flip swaps `firstSeen`'s bits, which leaves 3 alone).
   */
  private steady = false;
  /** ConnSize counters, by role (swapped on a flip). */
  origPkts = 0;
  origIpBytes = 0;
  respPkts = 0;
  respIpBytes = 0;
  missedBytes = 0;
  startTime = TIME_ZERO;
  lastTime = TIME_ZERO;
  /** `TCPSessionAdapter::is_partial` and `first_packet_seen`. */
  private isPartial = false;
  private firstSeen = 0;
  /** One bit per {@link Weird} raised so far (Zeek's `did_weird` is any bit set). */
  private weirdSeen = 0;
  /** First raise of each weird name (bounded); null until one. */
  weirds: ZeekWeird[] | null = null;

  reset(): void {
    this.orig = this.a;
    this.resp = this.b;
    this.a.reset();
    this.b.reset();
    this.hist0 = 0;
    this.hist1 = 0;
    this.histLen = 0;
    if (this.hist.length !== 0) this.hist.length = 0;
    this.histSeen = 0;
    this.steady = false;
    this.origPkts = 0;
    this.origIpBytes = 0;
    this.respPkts = 0;
    this.respIpBytes = 0;
    this.missedBytes = 0;
    this.startTime = TIME_ZERO;
    this.lastTime = TIME_ZERO;
    this.isPartial = false;
    this.firstSeen = 0;
    this.weirdSeen = 0;
    this.weirds = null;
  }

  /** Capture direction of the originator (0 unless flipped). */
  get origDir(): 0 | 1 {
    return this.orig.dir;
  }

  /**
   * The first packet of the connection, before {@link packet}: Zeek's `IPBasedAnalyzer::NewConn`,
   * which flips the roles when the packet is not a pure SYN and comes from a likely server port.
   */
  begin(p: TcpPacket): void {
    const { flags, sport, dport } = p;
    this.startTime = p.time;
    this.lastTime = p.time;
    const syn = (flags & F.SYN) !== 0;
    const ack = (flags & F.ACK) !== 0;
    if (syn && !ack) return;
    if (!LIKELY_SERVER_PORTS.has(sport)) return;
    const flip = LIKELY_SERVER_PORTS.has(dport) ? !syn && sport < dport : true;
    if (flip) this.flipRoles();
  }

  /**
   * One segment from capture direction `dir` (`TCPSessionAdapter::Process`, then ConnSize); its
   * numbers are read from the tracker's reused {@link Segment} (raw sequence numbers in int32 form,
   * the time as a field: a double argument would be boxed per call). `captured` is how much of the payload
   * the capture holds; `wscale` the window-scale option of a SYN (-1 when absent); `ipLen` the IP
   * length Zeek's ConnSize counts.
   */
  packet(dir: 0 | 1, s: Segment, captured: number, wscale: number, ipLen: number): void {
    // Small on purpose: the tracker's per-packet function inlines this, and its inlining budget is shared.
    if (this.steady && (s.flags & F.CONTROL) === F.ACK) this.established(dir, s, captured, ipLen);
    else this.process(dir, s, captured, wscale, ipLen);
  }

  /**
   * {@link packet} for the usual segment: a pure ACK or data with ACK between two ESTABLISHED
   * endpoints, both already seen. It does what {@link process} does for such a segment, in the same
   * order (weirds are raised in the same order), without the steps that cannot apply: no partial
   * status or numbering (both sides are seen and numbered), no SYN/FIN/RST rule, no state change
   * (the state machine leaves ESTABLISHED alone without SYN, FIN or RST), no close: an ESTABLISHED
   * endpoint has never been closed (CLOSED and RESET are never left for ESTABLISHED), so neither
   * side has `didClose` or `closeDeferred` set and the FIN count is 0.
   */
  private established(dir: 0 | 1, s: Segment, captured: number, ipLen: number): void {
    current = s;
    const ep = dir === 0 ? this.a : this.b;
    const peer = dir === 0 ? this.b : this.a;
    const wasOrig = ep.isOrig;
    const seq = s.seq;
    const ack = s.ack;
    const len = s.len;
    const relSeq = ep.lastRel + seqDiff(seq, ep.lastRaw);
    if (relSeq < 0) this.weird(Weird.TCP_seq_underflow_or_misorder);
    // update_history: the A or D letter, the first time only.
    const mask = len > 0 ? Hist.DATA_PKT : Hist.ACK_PKT;
    if ((this.histSeen & (wasOrig ? mask : mask << 16)) === 0) this.checkHistory(ep, mask, len > 0 ? Ch.D : Ch.A);
    // update_window, neither side CLOSED or RESET and no SYN, FIN or RST.
    const window = s.win * (1 << ep.windowScale);
    if (window === 0) this.scaled(ep, Ch.W, 1);
    this.advanceWindow(ep, s, window);
    this.lastTime = s.time;
    // update_ack_seq (the peer is established, so its space is numbered).
    const d = seqDiff(ack, peer.ackRaw);
    let relAck = peer.ackRel + d;
    if (relAck < 0) {
      relAck = 0;
      this.weird(Weird.TCP_ack_underflow_or_misorder);
    } else if (d > 0 && !(ack === 0 && d > Limit.TOO_LARGE_SEQ_DELTA)) {
      peer.ackRaw = ack;
      peer.ackRel = relAck;
    }
    // update_last_seq without SYN, FIN or RST on an established endpoint.
    const end = seqAdd(seq, len);
    const delta = seqDiff(end, ep.lastRaw);
    if (delta > 0) {
      ep.lastRaw = end;
      ep.lastRel += delta;
    } else if (len > 0) {
      this.scaled(ep, Ch.T, 0);
    }
    ep.lastTime = s.time;
    // AckReceived does nothing unless the ACK moves past the trim point (a FIN could only lower it).
    if (relAck > peer.trimSeq) {
      if (peer.blocks === null && !peer.skip && !(relAck <= 2 && this.isPartial)) {
        // AckReceived + Undelivered with nothing held above a hole: whatever the ACK covers beyond
        // the delivery point is one gap, and both sides are established, so it counts.
        const missing = relAck - peer.reassemLast;
        if (missing > 0) {
          this.scaled(peer, Ch.G, 2);
          this.missedBytes += missing;
          peer.reassemLast = relAck;
        }
        peer.trimSeq = relAck;
      } else this.ackReceived(peer, relAck);
    }
    if (len > 0 && relSeq >= 0 && !ep.skip) {
      if (captured < len) {
        if ((this.weirdSeen & WeirdBit.truncated_tcp_payload) === 0) this.weird(Weird.truncated_tcp_payload);
      } else this.dataSent(ep, relSeq, len);
    }
    this.countSize(wasOrig, ipLen);
  }

  /** TCPSessionAdapter::Process for any segment (see {@link established} for the usual one), then ConnSize. */
  private process(dir: 0 | 1, s: Segment, captured: number, wscale: number, ipLen: number): void {
    current = s;
    const ep = dir === 0 ? this.a : this.b;
    const peer = dir === 0 ? this.b : this.a;
    const wasOrig = ep.isOrig;
    const time = s.time;
    const flags = s.flags;
    const seq = s.seq;
    const ack = s.ack;
    const len = s.len;
    const syn = (flags & F.SYN) !== 0;
    const fin = (flags & F.FIN) !== 0;
    const rst = (flags & F.RST) !== 0;
    const ackFlag = (flags & F.ACK) !== 0;

    this.setPartialStatus(syn, ackFlag, ep.isOrig);
    // get_segment_len: SYN and FIN take an octet each; a RST's payload is not stream data.
    const segLen = rst ? (syn ? 1 : 0) + (fin ? 1 : 0) : len + (syn ? 1 : 0) + (fin ? 1 : 0);
    const end = seqAdd(seq, segLen);
    this.initEndpoint(ep, peer, syn, seq, end);

    const relSeq = ep.lastRel + seqDiff(seq, ep.lastRaw);
    const seqUnderflow = relSeq < 0;
    if (seqUnderflow && !rst) this.weird(Weird.TCP_seq_underflow_or_misorder);

    this.updateHistory(flags, ep, relSeq, len);
    this.updateWindow(ep, peer, s);

    if (!this.orig.didClose || !this.resp.didClose) this.lastTime = time;

    if (syn) {
      if (rst) this.weird(Weird.TCP_christmas);
      if (flags & F.URG) this.weird(Weird.baroque_SYN);
      if (len > 0) this.weird(Weird.SYN_with_data);
      this.initWindow(ep, peer, ackFlag, wscale, seq, ack);
    }
    if (fin) {
      ep.finCnt++;
      if (ep.finCnt >= Limit.STORM_THRESH && time < ep.lastTime + Limit.STORM_INTERARRIVAL) this.weird(Weird.FIN_storm);
      ep.finSeq = relSeq + segLen;
    }
    if (rst) {
      ep.rstCnt++;
      if (ep.rstCnt >= Limit.STORM_THRESH && time < ep.lastTime + Limit.STORM_INTERARRIVAL) this.weird(Weird.RST_storm);
    }

    let relAck = 0;
    if (ackFlag) {
      if (peer.state === ZeekState.INACTIVE) {
        relAck = 1;
        this.initPeer(peer, ep, syn || fin || rst, ack);
      } else {
        relAck = peer.ackRel + seqDiff(ack, peer.ackRaw);
        if (relAck < 0) {
          relAck = 0;
          this.weird(Weird.TCP_ack_underflow_or_misorder);
        } else if (!rst) {
          // update_ack_seq: an ACK of 0 far ahead is more likely broken than a wrap.
          const d = seqDiff(ack, peer.ackRaw);
          if (!(ack === 0 && d > Limit.TOO_LARGE_SEQ_DELTA) && d > 0) {
            peer.ackRaw = ack;
            peer.ackRel += d;
          }
        }
      }
    }

    const deltaLast = this.updateLastSeq(ep, end, syn, fin, rst, len);
    ep.lastTime = time;

    const close = this.updateStateMachine(ep, peer, seq, ack, len, deltaLast, syn, fin, rst, ackFlag);

    // After the state machine, so that a gap revealed by the ACK in a FIN or RST is judged by the new states.
    if (ackFlag) this.ackReceived(peer, relAck);

    if (len > 0 && !rst && !ep.skip && !seqUnderflow) {
      if (captured < len) {
        if ((this.weirdSeen & WeirdBit.truncated_tcp_payload) === 0) this.weird(Weird.truncated_tcp_payload);
      } else this.dataSent(ep, syn ? relSeq + 1 : relSeq, len);
    }
    this.firstSeen |= ep.isOrig ? 1 : 2;

    if (close) this.connectionClosed(ep);
    if (ep.closeDeferred && !ep.dataPending()) this.connectionClosed(ep);
    if (peer.closeDeferred && !peer.dataPending()) this.connectionClosed(peer);
    this.steady = this.a.state === ZeekState.ESTABLISHED && this.b.state === ZeekState.ESTABLISHED && this.firstSeen === 3;

    this.countSize(wasOrig, ipLen);
  }

  /** ConnSize, after the adapter (which may have flipped the roles), by the role the sender had when the packet came in. */
  private countSize(wasOrig: boolean, ipLen: number): void {
    if (wasOrig) {
      this.origPkts++;
      this.origIpBytes += ipLen;
    } else {
      this.respPkts++;
      this.respIpBytes += ipLen;
    }
  }

  /** Zeek's history string (`^` marks a flip of the roles). */
  get history(): string {
    const codes: number[] = [];
    const packed = Math.min(this.histLen, 8);
    for (let i = 0; i < packed; i++) codes.push(((i < 4 ? this.hist0 : this.hist1) >> (7 * (i & 3))) & 0x7f);
    const h = this.hist;
    let out = String.fromCharCode.apply(null, codes);
    for (let i = 0; i < h.length; i += 4096) out += String.fromCharCode.apply(null, h.slice(i, i + 4096));
    return out;
  }

  /** Zeek's `conn_state()` (base/protocols/conn/main.zeek) on the final endpoint states. */
  connState(): ZeekConnState {
    // zeekConnState reads the history only when the originator was reset.
    return zeekConnState(this.orig.state, this.resp.state, this.orig.size(this.resp), this.resp.size(this.orig), this.orig.state === ZeekState.RESET ? this.history : '');
  }

  /** conn.log `duration`: last time before both sides closed, minus the first packet's time. */
  get duration(): number {
    return this.lastTime - this.startTime;
  }

  // --- TCPSessionAdapter --------------------------------------------------------------------

  private setPartialStatus(syn: boolean, ack: boolean, isOrig: boolean): void {
    if (isOrig) {
      if (!(this.firstSeen & 1)) this.isPartial = !syn || ack;
    } else if (!(this.firstSeen & 2) && !this.isPartial) {
      this.isPartial = !syn;
    }
  }

  /** init_endpoint: set up (or rebase) the sequence space from this endpoint's packet. */
  private initEndpoint(ep: ZeekEndpoint, peer: ZeekEndpoint, syn: boolean, seq: number, end: number): void {
    switch (ep.state) {
      case ZeekState.INACTIVE:
        // A partial connection is numbered as though a SYN had been seen; its first packet is not a repeat.
        if (syn) ep.init(seq, seq, end);
        else ep.init(seqAdd(seq, -1), seqAdd(seq, -1), seq);
        return;
      case ZeekState.SYN_SENT:
      case ZeekState.SYN_ACK_SENT:
        if (syn && seq !== ep.startSeq) {
          this.weird(Weird.SYN_seq_jump);
          ep.init(seq, seq, end);
        }
        return;
      case ZeekState.ESTABLISHED:
      case ZeekState.PARTIAL:
        if (syn) {
          if (ep.size(peer) > 0) this.weird(Weird.SYN_inside_connection);
          if (seq !== ep.startSeq) this.weird(Weird.SYN_seq_jump);
          ep.init(seq, seq, end);
        }
        return;
      case ZeekState.RESET:
        // Numbers set up by a RST (perhaps injected) give way to a real SYN.
        if (syn && ep.prevState === ZeekState.INACTIVE) ep.init(seq, seq, end);
        return;
      case ZeekState.CLOSED:
        return;
    }
  }

  /** init_peer: number the silent peer's space from this ACK, as though its SYN had been seen. */
  private initPeer(peer: ZeekEndpoint, ep: ZeekEndpoint, control: boolean, ack: number): void {
    if (!control && (ep.state === ZeekState.SYN_SENT || ep.state === ZeekState.SYN_ACK_SENT || ep.state === ZeekState.ESTABLISHED)) {
      // We sent a SYN and never heard the other side, yet we are acking its data.
      if (this.weirdSeen === 0) this.weird(Weird.possible_split_routing);
    }
    const a = seqAdd(ack, -1);
    peer.init(a, a, a);
  }

  /** init_window: window scaling is in use only if the SYN offered it (and the SYN-ACK did too, once seen). */
  private initWindow(ep: ZeekEndpoint, peer: ZeekEndpoint, ack: boolean, scale: number, seq: number, ackSeq: number): void {
    if (scale < 0) {
      ep.windowScale = 0;
      if (ack) peer.windowScale = 0;
      return;
    }
    if (scale > 14) {
      if (this.weirdSeen === 0) this.weird(Weird.TCP_scale_range, String(scale));
      scale = 14;
    }
    ep.windowScale = scale;
    ep.windowSeq = seq;
    ep.windowAckSeq = ackSeq;
    peer.windowSeq = ackSeq;
    peer.windowAckSeq = seq;
  }

  /** update_last_seq; returns how far the segment's end moved this endpoint's highest sequence. */
  private updateLastSeq(ep: ZeekEndpoint, end: number, syn: boolean, fin: boolean, rst: boolean, len: number): number {
    const delta = seqDiff(end, ep.lastRaw);
    if ((syn || rst) && (delta > Limit.TOO_LARGE_SEQ_DELTA || delta < -Limit.TOO_LARGE_SEQ_DELTA)) {
      // An outlandish SYN or RST sequence number is not trusted.
    } else if (fin && ep.lastRel === 1) {
      // Only the SYN and now a FIN: take the FIN's word even backwards (connections over 2 GB).
      ep.lastRaw = end;
      ep.lastRel += delta;
    } else if (ep.state === ZeekState.RESET) {
      // Nothing after a RST is trusted.
    } else if (delta > 0) {
      ep.lastRaw = end;
      ep.lastRel += delta;
    } else if (len > 0) {
      // Payload that does not advance the highest sequence: a retransmission (or reordering).
      this.scaled(ep, Ch.T, 0);
    }
    return delta;
  }

  /** update_history: the flag letters S H F R I Q D A (once-only, or again when the sequence moved). */
  private updateHistory(flags: number, ep: ZeekEndpoint, relSeq: number, len: number): void {
    const syn = (flags & F.SYN) !== 0;
    const fin = (flags & F.FIN) !== 0;
    const rst = (flags & F.RST) !== 0;
    const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bits > 1) {
      if (fin && rst) this.checkHistory(ep, Hist.FIN_RST_PKT, Ch.I);
      else this.checkHistory(ep, Hist.MULTI_FLAG_PKT, Ch.Q);
    } else if (bits === 1) {
      if (syn) {
        const code = flags & F.ACK ? Ch.H : Ch.S;
        if (this.checkHistory(ep, Hist.SYN_PKT, code) && relSeq !== ep.histLastSyn) this.addHistory(ep, code);
        ep.histLastSyn = relSeq;
      }
      if (fin) {
        // A FIN's sequence number counts at the end of its data.
        if (this.checkHistory(ep, Hist.FIN_PKT, Ch.F) && relSeq + len !== ep.histLastFin) this.addHistory(ep, Ch.F);
        ep.histLastFin = relSeq + len;
      }
      if (rst) {
        if (this.checkHistory(ep, Hist.RST_PKT, Ch.R) && relSeq !== ep.histLastRst) this.addHistory(ep, Ch.R);
        ep.histLastRst = relSeq;
      }
    } else if (len > 0) {
      this.checkHistory(ep, Hist.DATA_PKT, Ch.D);
    } else if (flags & F.ACK) {
      this.checkHistory(ep, Hist.ACK_PKT, Ch.A);
    }
  }

  /**
   * TCP_Endpoint::CheckHistory + Session::CheckHistory: record a once-only letter; true when it was
   * already recorded. A connection whose only letter is an unflipped `H` (first seen at the SYN-ACK)
   * is flipped when the first A or D arrives, and its history becomes `^h`.
   */
  private checkHistory(ep: ZeekEndpoint, mask: number, code: Ch): boolean {
    if ((code === Ch.A || code === Ch.D) && this.histLen === 1 && this.hist0 === Ch.H) {
      this.flipRoles();
      this.hist0 = Ch.FLIP | ((Ch.H | Ch.LOWER) << 7);
      this.histLen = 2;
    }
    if (!ep.isOrig) mask <<= 16;
    if ((this.histSeen & mask) !== 0) return true;
    this.histSeen |= mask;
    this.addHistory(ep, code);
    return false;
  }

  /** Append `code` (an upper-case letter), in lower case for the responder. */
  private addHistory(ep: ZeekEndpoint, code: Ch): void {
    this.addLetter(ep.isOrig ? code : code | Ch.LOWER);
  }

  private addLetter(c: number): void {
    const n = this.histLen++;
    if (n < 4) this.hist0 |= c << (7 * n);
    else if (n < 8) this.hist1 |= c << (7 * (n - 4));
    else this.hist.push(c);
  }

  /**
   * Session::ScaledHistoryEntry: the letter at the 1st, 10th, 100th ... occurrence. `kind` 0 is
   * retransmission (T), 1 zero window (W), 2 content gap (G).
   */
  private scaled(ep: ZeekEndpoint, code: Ch.T | Ch.W | Ch.G, kind: 0 | 1 | 2): void {
    const n = kind === 0 ? ++ep.rxmtCnt : kind === 1 ? ++ep.win0Cnt : ++ep.gapCnt;
    if (n === 1 || (n % 10 === 0 && isPowerOf10(n))) this.addHistory(ep, code);
  }

  /** update_window: zero windows (W) and window recisions. */
  private updateWindow(ep: ZeekEndpoint, peer: ZeekEndpoint, s: Segment): void {
    const flags = s.flags;
    const window = s.win * (1 << ep.windowScale);
    const rst = (flags & F.RST) !== 0;
    // A zero window is news unless it comes with or after a RST, or after the peer's FIN.
    if (window === 0 && !rst && peer.state !== ZeekState.CLOSED && ep.state !== ZeekState.RESET) this.scaled(ep, Ch.W, 1);
    if (flags & (F.SYN | F.FIN | F.RST) || ep.state === ZeekState.CLOSED || ep.state === ZeekState.RESET) return;
    this.advanceWindow(ep, s, window);
  }

  /**
   * The end of update_window: a segment not older than the last window update moves the window;
   * shrinking its right edge is a recision. Sequence numbers are read from the segment, as
   * everywhere in this model.
   */
  private advanceWindow(ep: ZeekEndpoint, s: Segment, window: number): void {
    const seq = s.seq;
    const ack = s.ack;
    if (seqDiff(seq, ep.windowSeq) >= 0 && seqDiff(ack, ep.windowAckSeq) >= 0) {
      const advance = seqDiff(seqAdd(ack, window), seqAdd(ep.windowAckSeq, ep.window));
      // Some slop for the granularity of scaling.
      if (advance < 0 && -advance >= 1 << ep.windowScale) this.weird(Weird.window_recision);
      ep.window = window;
      ep.windowAckSeq = ack;
      ep.windowSeq = seq;
    }
  }

  /** UpdateStateMachine: dispatch on the sender's state. Returns whether to report the sender closed. */
  private updateStateMachine(ep: ZeekEndpoint, peer: ZeekEndpoint, seq: number, ack: number, len: number, deltaLast: number, syn: boolean, fin: boolean, rst: boolean, ackFlag: boolean): boolean {
    let close = false;
    switch (ep.state) {
      case ZeekState.INACTIVE: {
        const isOrig = ep.isOrig;
        if (syn) {
          if (isOrig) {
            if (ackFlag) {
              this.weird(Weird.connection_originator_SYN_ack);
              ep.setState(ZeekState.SYN_ACK_SENT);
            } else ep.setState(ZeekState.SYN_SENT);
          } else {
            if (ackFlag) {
              if (peer.state !== ZeekState.INACTIVE && peer.state !== ZeekState.PARTIAL && !seqBetween(ack, peer.startSeq, peer.lastRaw)) this.weird(Weird.bad_SYN_ack);
            } else if (peer.state === ZeekState.SYN_ACK_SENT && seq === ep.startSeq) {
              // SYN and SYN-ACK seen in reverse order: flip and establish.
              this.isPartial = false;
              this.flipRoles();
              peer.setState(ZeekState.ESTABLISHED);
              this.firstSeen |= 1;
            } else this.weird(Weird.simultaneous_open);
            if (peer.state === ZeekState.SYN_SENT) peer.setState(ZeekState.ESTABLISHED);
            else if (peer.state === ZeekState.INACTIVE) this.weird(Weird.unsolicited_SYN_response);
            ep.setState(ZeekState.ESTABLISHED);
          }
        }
        if (fin) {
          ep.setState(ZeekState.CLOSED);
          close = true;
          if (peer.state !== ZeekState.PARTIAL && !syn) this.weird(Weird.spontaneous_FIN);
        }
        if (rst) {
          ep.setState(ZeekState.RESET);
          const reject = isOrig ? peer.state === ZeekState.ESTABLISHED : peer.state === ZeekState.SYN_SENT || peer.state === ZeekState.SYN_ACK_SENT;
          close = true;
          if (!reject && peer.state === ZeekState.INACTIVE) this.weird(Weird.spontaneous_RST);
        }
        if (ep.state === ZeekState.INACTIVE) {
          if (!isOrig && len === 0 && this.orig.state === ZeekState.SYN_SENT) {
            // Some TCPs ack a SYN before answering it: not a partial connection.
          } else if (ackFlag && peer.state === ZeekState.ESTABLISHED) {
            // The SYN-ACK was seen but the SYN missed: established, not partial.
            ep.setState(ZeekState.ESTABLISHED);
            this.isPartial = false;
            this.firstSeen |= isOrig ? 1 : 2;
          } else ep.setState(ZeekState.PARTIAL);
        }
        return close;
      }
      case ZeekState.SYN_SENT:
      case ZeekState.SYN_ACK_SENT:
        if (syn) {
          if (ep.isOrig) {
            if (ackFlag && !fin && !rst && ep.state !== ZeekState.SYN_ACK_SENT) this.weird(Weird.repeated_SYN_with_ack);
          } else if (!ackFlag && ep.state !== ZeekState.SYN_SENT) this.weird(Weird.repeated_SYN_reply_wo_ack);
        }
        if (fin) {
          if (peer.state === ZeekState.INACTIVE || peer.state === ZeekState.SYN_SENT) this.weird(Weird.inappropriate_FIN);
          ep.setState(ZeekState.CLOSED);
          close = true;
        }
        if (rst) {
          ep.setState(ZeekState.RESET);
          close = true;
        } else if (len > 0) this.weird(Weird.data_before_established);
        return close;
      case ZeekState.ESTABLISHED:
      case ZeekState.PARTIAL:
        if (syn && ep.state === ZeekState.PARTIAL && peer.state === ZeekState.INACTIVE && !ackFlag) {
          this.weird(Weird.SYN_after_partial);
          ep.setState(ZeekState.SYN_SENT);
        }
        if (fin && !rst) {
          ep.setState(ZeekState.CLOSED);
          // The peer sent FIN then RST: that was a normal close after all.
          if (peer.state === ZeekState.RESET && peer.prevState === ZeekState.CLOSED) peer.setState(ZeekState.CLOSED);
          close = true;
        }
        if (rst) {
          ep.setState(ZeekState.RESET);
          close = true;
        }
        return close;
      case ZeekState.CLOSED:
        if (syn) this.weird(Weird.SYN_after_close);
        if (fin && deltaLast > 0) this.weird(Weird.FIN_advanced_last_seq);
        // After a FIN exchange a RST changes nothing: the connection already closed normally.
        if (rst && peer.state !== ZeekState.CLOSED) {
          ep.setState(ZeekState.RESET);
          if (!ep.didClose) close = true;
        }
        return close;
      case ZeekState.RESET:
        if (syn) this.weird(Weird.SYN_after_reset);
        if (fin) this.weird(Weird.FIN_after_reset);
        if (len > 0 && !rst) this.weird(Weird.data_after_reset);
        return false;
    }
  }

  /** ConnectionClosed: put off while the closing side still has undelivered data. */
  private connectionClosed(ep: ZeekEndpoint): void {
    if (ep.dataPending()) {
      ep.closeDeferred = true;
      return;
    }
    ep.closeDeferred = false;
    ep.didClose = true;
  }

  /** TCPSessionAdapter::FlipRoles + Connection::FlipRoles (+ ConnSize's). */
  private flipRoles(): void {
    const o = this.orig;
    this.orig = this.resp;
    this.resp = o;
    this.orig.isOrig = true;
    this.resp.isOrig = false;
    let t = this.origPkts;
    this.origPkts = this.respPkts;
    this.respPkts = t;
    t = this.origIpBytes;
    this.origIpBytes = this.respIpBytes;
    this.respIpBytes = t;
    this.firstSeen = (this.firstSeen & 1 ? 2 : 0) | (this.firstSeen & 2 ? 1 : 0);
    this.isPartial = false;
    this.addLetter(Ch.FLIP);
  }

  // --- TCP_Reassembler of each endpoint's data -----------------------------------------------

  /** TCP_Reassembler::DataSent: payload at relative `s`. */
  private dataSent(ep: ZeekEndpoint, s: number, len: number): void {
    const upper = s + len;
    const ack = ep.ackRel;
    if (s < ack) {
      if (upper <= ack) return;
      s = ack;
    }
    // Reassembler::NewBlock
    if (upper <= ep.trimSeq) return;
    if (s < ep.trimSeq) s = ep.trimSeq;
    if (s <= ep.reassemLast) {
      if (upper > ep.reassemLast) {
        ep.reassemLast = upper;
        this.deliverBlocks(ep);
      }
    } else {
      insertBlock(ep, s, upper);
    }
    const above = ep.blocks === null ? 0 : blockBytes(ep.blocks);
    if (ep.noDataAcked() && above > Limit.MAX_ABOVE_HOLE_WITHOUT_ACKS) {
      this.weird(Weird.above_hole_data_without_any_acks);
      ep.blocks = null;
      ep.skip = true;
    } else if (ep.reassemLast - ep.trimSeq + above > Limit.EXCESSIVE_DATA_WITHOUT_ACKS) {
      this.weird(Weird.excessive_data_without_further_acks);
      ep.blocks = null;
      ep.skip = true;
    }
  }

  /** Move the delivery point over blocks that now touch it. */
  private deliverBlocks(ep: ZeekEndpoint): void {
    const b = ep.blocks;
    if (b === null) return;
    let i = 0;
    while (i < b.length && b[i]! <= ep.reassemLast) {
      if (b[i + 1]! > ep.reassemLast) ep.reassemLast = b[i + 1]!;
      i += 2;
    }
    if (i > 0) b.splice(0, i);
    if (b.length === 0) ep.blocks = null;
  }

  /** TCP_Reassembler::AckReceived on `ep`'s data: an ACK past undelivered bytes declares them a gap. */
  private ackReceived(ep: ZeekEndpoint, s: number): void {
    // The ACK of a FIN acknowledges no data.
    if (ep.finCnt > 0 && s >= ep.finSeq) s = ep.finSeq - 1;
    if (s <= ep.trimSeq) return;
    if (s > ep.reassemLast) this.undelivered(ep, s);
    ep.trimSeq = s;
    const b = ep.blocks;
    if (b !== null) {
      let i = 0;
      while (i < b.length && b[i + 1]! <= s) i += 2;
      if (i > 0) b.splice(0, i);
      if (b.length > 0 && b[0]! < s) b[0] = s;
      if (b.length === 0) ep.blocks = null;
    }
  }

  /** TCP_Reassembler::Undelivered: every hole below `upTo` becomes a content gap. */
  private undelivered(ep: ZeekEndpoint, upTo: number): void {
    // A partial connection's made-up ISN: a missing first octet or two is not a gap.
    if (upTo <= 2 && this.isPartial) return;
    if (!ep.skip) {
      const b = ep.blocks;
      while (b !== null && b.length > 0 && b[0]! < upTo) {
        this.gap(ep, b[0]! - ep.reassemLast);
        ep.reassemLast = b[0]!;
        this.deliverBlocks(ep);
        if (ep.blocks === null) break;
      }
      if (upTo > ep.reassemLast) this.gap(ep, upTo - ep.reassemLast);
    }
    if (upTo > ep.reassemLast) ep.reassemLast = upTo;
  }

  /** TCP_Reassembler::Gap: counted (G/g, missed_bytes) only while both sides are established or closing cleanly. */
  private gap(ep: ZeekEndpoint, len: number): void {
    if (len <= 0) return;
    if (!isClean(ep) || !isClean(ep === this.orig ? this.resp : this.orig)) return;
    this.scaled(ep, Ch.G, 2);
    this.missedBytes += len;
  }

  /** Raise weird `w` (Reporter::Weird): kept at its first raise in this connection only. */
  private weird(w: Weird, addl = ''): void {
    if ((this.weirdSeen & (1 << w)) !== 0) return;
    this.weirdSeen |= 1 << w;
    (this.weirds ??= []).push({ time: current.time, name: Weird[w]!, addl, source: CONNECTION_WEIRDS.has(w) ? '' : 'TCP', origDir: this.orig.dir });
  }
}

const isClean = (e: ZeekEndpoint): boolean => e.state === ZeekState.ESTABLISHED || (e.state === ZeekState.CLOSED && e.prevState === ZeekState.ESTABLISHED);

/** seq_between: `a` within [lo, hi] in sequence space. */
const seqBetween = (a: number, lo: number, hi: number): boolean => seqDiff(a, lo) >= 0 && seqDiff(hi, a) >= 0;

function insertBlock(ep: ZeekEndpoint, lo: number, hi: number): void {
  const b = (ep.blocks ??= []);
  let i = 0;
  while (i < b.length && b[i + 1]! < lo) i += 2;
  // Merge with every block it touches.
  let j = i;
  while (j < b.length && b[j]! <= hi) {
    lo = Math.min(lo, b[j]!);
    hi = Math.max(hi, b[j + 1]!);
    j += 2;
  }
  b.splice(i, j - i, lo, hi);
}

function blockBytes(b: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < b.length; i += 2) n += b[i + 1]! - b[i]!;
  return n;
}

/** Zeek's `conn_state()` (base/protocols/conn/main.zeek), evaluated in its order. */
export function zeekConnState(orig: ZeekState, resp: ZeekState, origBytes: number, respBytes: number, history: string): ZeekConnState {
  const oInactive = orig === ZeekState.INACTIVE || orig === ZeekState.PARTIAL;
  const rInactive = resp === ZeekState.INACTIVE || resp === ZeekState.PARTIAL;
  if (resp === ZeekState.RESET) {
    if (orig === ZeekState.SYN_SENT || orig === ZeekState.SYN_ACK_SENT || (orig === ZeekState.RESET && origBytes === 0 && respBytes === 0)) return 'REJ';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (orig === ZeekState.RESET) {
    // Zeek's `pattern == string` is a whole-string match.
    if (rInactive) return /^\^?S[^HAFGIQ]*R.*$/.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (resp === ZeekState.CLOSED && orig === ZeekState.CLOSED) return 'SF';
  if (orig === ZeekState.CLOSED) return rInactive ? 'SH' : 'S2';
  if (resp === ZeekState.CLOSED) return oInactive ? 'SHR' : 'S3';
  if (orig === ZeekState.SYN_SENT && resp === ZeekState.INACTIVE) return 'S0';
  if (orig === ZeekState.ESTABLISHED && resp === ZeekState.ESTABLISHED) return 'S1';
  return 'OTH';
}

/** The threshold test of Session::ScaledHistoryEntry: 1, 10, 100, ... (the threshold grows tenfold at each hit). */
function isPowerOf10(n: number): boolean {
  let t = 1;
  while (t < n) t *= 10;
  return t === n;
}

/** Character codes of the history letters (upper case: the originator's), `^`, and the bit that makes an ASCII capital lower case. */
const enum Ch {
  A = 65,
  D = 68,
  F = 70,
  G = 71,
  H = 72,
  I = 73,
  Q = 81,
  R = 82,
  S = 83,
  T = 84,
  W = 87,
  FLIP = 94,
  LOWER = 0x20,
}
