/**
 * tcpdump's `-nn` lines, in the variants people paste: no time (`-t`), time of day (default),
 * epoch (`-tt`), delta (`-ttt`), date (`-tttt`), since first (`-ttttt`); `-S` absolute or the default
 * relative numbers; `-v`, whose IP header line is followed by the TCP line, indented:
 *   `16:05:35.483528 IP 10.77.0.2.5001 > 10.77.0.1.57608: Flags [S.], seq 2622729281, ack 972981739, win 65160, options [mss 1460,sackOK,TS val 735774268 ecr 3724923888,nop,wscale 10], length 0`
 * `-i any` adds the interface and direction (`lo    In  IP ...`), `-e` the link header; both are skipped.
 */
import { TcpFlag } from '../tcp-packet.js';
import { clip } from './tshark.js';
import { MAX_PAYLOAD, type Row, type TcpRow, U32 } from './rows.js';
import { parseTime, TIME_SOURCE, type TextTime } from './time.js';

const START = new RegExp(String.raw`^\s*(${TIME_SOURCE})?\s*(.*)$`);
/** The network-layer word that starts the packet description. */
const NET = /(?:^|\s)(IP6?)\s+(?=[(0-9a-fA-F:])/;
/** Other link-level protocols tcpdump names at the start of a line. */
const OTHER_START = /^(?:\S+\s+(?:In|Out|M|B|P)\s+)?(ARP|RARP|STP|LLDP|CDP|IPX|LLC|802\.1Q|vlan|ethertype|IP6?)\b/;
const ENDPOINTS = /^(\S+)\.(\d+) > (\S+)\.(\d+):\s*(.*)$/;
const HOSTS = /^(\S+) > (\S+):\s*(.*)$/;
const FLAG_LETTERS: Record<string, number> = {
  S: TcpFlag.SYN, F: TcpFlag.FIN, R: TcpFlag.RST, P: TcpFlag.PSH, '.': TcpFlag.ACK, U: TcpFlag.URG, E: TcpFlag.ECE, W: TcpFlag.CWR, e: TcpFlag.AE,
};

/** Does the line start like a tcpdump packet line? */
export function looksLikeTcpdump(line: string): boolean {
  const m = START.exec(line);
  if (!m) return false;
  const rest = m[2]!;
  if (m[1] === undefined && /^\s/.test(line)) return false;
  const net = NET.exec(rest);
  return (net !== null && (/ > /.test(rest))) || (m[1] !== undefined && OTHER_START.test(rest));
}

/** Strip a leading balanced `( ... )` (the -v IP header details). */
function skipParens(s: string): string {
  if (!s.startsWith('(')) return s;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) return s.slice(i + 1).trimStart();
  }
  return '';
}

/**
 * Reads a tcpdump text line by line; `push` returns the rows completed by the line (a -v header
 * waits for its indented TCP line).
 */
export class TcpdumpReader {
  private pending: { line: number; time: TextTime | null; net: string } | null = null;

  push(text: string, line: number): Row[] {
    const out: Row[] = [];
    if (this.pending !== null) {
      const p = this.pending;
      this.pending = null;
      if (/^\s+\S/.test(text)) {
        out.push(this.packet(text.trim(), p.line, p.time, p.net));
        return out;
      }
      out.push({ kind: 'bad', line: p.line, frame: null, reason: 'an IP header line (tcpdump -v) without the packet line that should follow it' });
    }
    const m = START.exec(text);
    if (!m) return out;
    const time = m[1] !== undefined ? parseTime(m[1]) : null;
    if (m[1] === undefined && /^\s/.test(text)) return out; // hex dumps, wrapped details of other packets
    const rest = m[2]!;
    const net = NET.exec(rest);
    if (net === null || !/ > |^\(|\s\(/.test(rest.slice(net.index))) {
      if (m[1] !== undefined && OTHER_START.test(rest)) {
        out.push({ kind: 'other', line, frame: null, time, proto: rest.split(/[\s,]/)[0] ?? '?', src: '', dst: '' });
      }
      return out;
    }
    let body = rest.slice(net.index + net[0].length).trimStart();
    if (body.startsWith('(')) {
      body = skipParens(body);
      if (body === '') {
        this.pending = { line, time, net: net[1]! };
        return out;
      }
    }
    out.push(this.packet(body, line, time, net[1]!));
    return out;
  }

  /** The text is over. */
  end(): Row[] {
    if (this.pending === null) return [];
    const p = this.pending;
    this.pending = null;
    return [{ kind: 'bad', line: p.line, frame: null, reason: 'the text ends after an IP header line (tcpdump -v) without its packet line' }];
  }

  private packet(body: string, line: number, time: TextTime | null, net: string): Row {
    const e = ENDPOINTS.exec(body);
    if (!e) {
      const h = HOSTS.exec(body);
      return { kind: 'other', line, frame: null, time, proto: h ? (h[3]!.split(/[\s,]/)[0] ?? net) : net, src: h?.[1] ?? '', dst: h?.[2] ?? '' };
    }
    const [src, dst] = [e[1]!, e[3]!];
    const sport = Number(e[2]);
    const dport = Number(e[4]);
    const rest = e[5]!;
    if (!rest.startsWith('Flags [')) return { kind: 'other', line, frame: null, time, proto: rest.split(/[\s,]/)[0] || net, src, dst };
    if (sport > 65535 || dport > 65535) return { kind: 'bad', line, frame: null, reason: `port ${Math.max(sport, dport)} is out of range` };
    const close = rest.indexOf(']');
    if (close < 0) return { kind: 'bad', line, frame: null, reason: 'Flags [ without ]' };
    let flags = 0;
    const letters = rest.slice(7, close);
    if (letters !== 'none') {
      for (const c of letters) {
        const bit = FLAG_LETTERS[c];
        if (bit === undefined) return { kind: 'bad', line, frame: null, reason: `unknown TCP flag letter "${clip(c)}" in Flags [${clip(letters)}]` };
        flags |= bit;
      }
    }
    let tail = rest.slice(close + 1);
    if (tail.includes('[|tcp]')) return { kind: 'bad', line, frame: null, reason: 'tcpdump could not print the whole TCP header ([|tcp]: cut by the snapshot length)' };
    // Options may hold ", " inside their brackets: take them out first.
    const options: TcpRow['options'] = {};
    const o = /, options \[([^\]]*)\]/.exec(tail);
    if (o) {
      tail = tail.slice(0, o.index) + tail.slice(o.index + o[0].length);
      const bad = parseOptions(o[1]!, options);
      if (bad) return { kind: 'bad', line, frame: null, reason: bad };
    }
    const num = (re: RegExp, what: string): number | null | string => {
      const x = re.exec(tail);
      if (!x) return null;
      const n = Number(x[1]);
      return n > U32 ? `${what} ${clip(x[1]!)} does not fit in 32 bits` : n;
    };
    const seqM = /(?:^|, )seq (\d+)(?::(\d+))?/.exec(tail);
    const ack = num(/, ack (\d+)/, 'ack');
    const win = num(/, win (\d+)/, 'win');
    const len = num(/, length (\d+)/, 'length');
    for (const v of [ack, win, len]) if (typeof v === 'string') return { kind: 'bad', line, frame: null, reason: v };
    if (win === null) return { kind: 'bad', line, frame: null, reason: 'no "win N" on a TCP line' };
    if (len === null) return { kind: 'bad', line, frame: null, reason: 'no "length N" on a TCP line' };
    if ((len as number) > MAX_PAYLOAD) return { kind: 'bad', line, frame: null, reason: `length ${len} is more than one IP packet can carry` };
    let seq: number | null = null;
    if (seqM) {
      seq = Number(seqM[1]);
      if (seq > U32) return { kind: 'bad', line, frame: null, reason: `seq ${clip(seqM[1]!)} does not fit in 32 bits` };
    }
    if ((win as number) > 0xffff) return { kind: 'bad', line, frame: null, reason: `win ${win} does not fit in 16 bits` };
    return {
      kind: 'tcp', line, frame: null, time, src, dst, sport, dport, flags, seq,
      ack: flags & TcpFlag.ACK ? (ack as number | null) : null,
      win: win as number, len: len as number, frameLen: null, options, labels: [], dropped: [],
    };
  }
}

/** tcpdump's option list: `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 10,sack 1 {1:2}`; a reason on error. */
function parseOptions(s: string, o: TcpRow['options']): string | null {
  for (const item of s.split(',')) {
    const t = item.trim();
    let m: RegExpExecArray | null;
    if ((m = /^mss (\d+)$/.exec(t))) o.mss = Number(m[1]) & 0xffff;
    else if ((m = /^wscale (\d+)$/.exec(t))) o.wsShift = Math.min(14, Number(m[1]));
    else if (t === 'sackOK') o.sackPerm = true;
    else if ((m = /^TS val (\d+) ecr (\d+)$/.exec(t))) {
      const [v, e] = [Number(m[1]), Number(m[2])];
      if (v > U32 || e > U32) return `TS val/ecr ${clip(t)} does not fit in 32 bits`;
      o.tsval = v;
      o.tsecr = e;
    } else if ((m = /^sack \d+ ((?:\{\d+:\d+\})+)$/.exec(t))) {
      for (const b of m[1]!.matchAll(/\{(\d+):(\d+)\}/g)) {
        const [l, r] = [Number(b[1]), Number(b[2])];
        if (l > U32 || r > U32) return `SACK block ${clip(b[0])} does not fit in 32 bits`;
        (o.sack ??= []).push([l, r]);
      }
    }
  }
  return null;
}
