/**
 * JSON Lines records: one per TCP packet, per connection, and a final summary. Their form is
 * pinned by schema/ackscope-jsonl.schema.json; every record carries `v` ({@link JSONL_VERSION}).
 */
import { TcpOptionKind, type TcpOptions, type TcpPacket } from '../capture/tcp-packet.js';
import { FLAG_CATALOGUE, flagNameList } from '../analyze/flags.js';
import type { Finding } from '../analyze/findings.js';
import { dstAddr, srcAddr } from './line.js';
import type { ConnectionSummary } from '../analyze/summary.js';
import type { PacketResult } from '../analyze/tracker.js';
import { TCP_FLAG_NAMES } from '../capture/tcp-packet.js';
import { DeferredOutput, FINISHED } from './deferred.js';
import type { ConnectionEnd, FrameProblem, PacketView, RunEnd, Sink } from './sink.js';
import { encapJson } from '../capture/encap/hop.js';

export interface JsonOptions {
  mss?: number;
  ws?: number;
  sackPerm?: true;
  tsval?: number;
  tsecr?: number;
  /** SACK blocks as [left, right] raw sequence numbers. */
  sack?: [number, number][];
  /** Other options by kind, with their length. */
  other?: { kind: number }[];
  malformed?: string;
}

/** Version of the record format, in every record's `v`: raised by a change that can break a reader. */
export const JSONL_VERSION = 1;

export function optionsJson(o: TcpOptions): JsonOptions {
  const j: JsonOptions = {};
  for (let i = 0; i < o.count; i++) {
    const k = o.kinds[i]!;
    switch (k) {
      case TcpOptionKind.EOL:
      case TcpOptionKind.NOP:
        break;
      case TcpOptionKind.MSS:
        if (o.mss >= 0) j.mss = o.mss;
        break;
      case TcpOptionKind.WS:
        if (o.wscale >= 0) j.ws = o.wscale;
        break;
      case TcpOptionKind.SACK_PERM:
        j.sackPerm = true;
        break;
      case TcpOptionKind.TS:
        if (o.hasTs) {
          j.tsval = o.tsVal;
          j.tsecr = o.tsEcr;
        }
        break;
      case TcpOptionKind.SACK: {
        const blocks: [number, number][] = [];
        for (let b = 0; b < o.sackBlocks; b++) blocks.push([o.sack[b * 2]!, o.sack[b * 2 + 1]!]);
        j.sack = blocks;
        break;
      }
      default:
        (j.other ??= []).push({ kind: k });
    }
  }
  if (o.malformed) j.malformed = o.malformed;
  return j;
}

export function flagsJson(flags: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < TCP_FLAG_NAMES.length; i++) if (flags & (1 << i)) out.push(TCP_FLAG_NAMES[i]!);
  return out;
}

/** A finding as printed (internal bookkeeping fields left out). */
export function findingJson(f: Finding): Record<string, unknown> {
  if (f.kind === 'ack_unsent') {
    const { peerPackets: _p, validAckBefore: _v, ...rest } = f;
    return rest;
  }
  return { ...f };
}

/** The packet record: the capture layer's fields, then the analysis (when `r` is given). */
export function packetRecord(p: TcpPacket, time: number, o: TcpOptions, r: PacketResult | null, file?: string): Record<string, unknown> {
  const rec: Record<string, unknown> = file === undefined ? { v: JSONL_VERSION, type: 'packet' } : { v: JSONL_VERSION, type: 'packet', file };
  Object.assign(rec, {
    frame: p.frame,
    time: Math.round(time * 1e9) / 1e9,
    src: srcAddr(p),
    sport: p.sport,
    dst: dstAddr(p),
    dport: p.dport,
    seqRaw: p.seq,
    ackRaw: p.ack,
    len: p.len,
    flags: flagsJson(p.flags),
    win: p.win,
    frameLen: p.frameLen,
    options: optionsJson(o),
  });
  if (p.encapCount) rec.encap = encapJson(p);
  if (r) {
    rec.stream = r.stream;
    rec.seq = r.seq;
    rec.ack = r.ack;
    rec.winScaled = r.win;
    rec.side = r.side;
    rec.analysis = flagNameList(r.verdict.flags);
    if (r.verdict.dupAckNum) {
      rec.dupAckNum = r.verdict.dupAckNum;
      rec.dupAckFrame = r.verdict.dupAckFrame;
    }
    rec.findings = r.findings.slice();
    rec.state = { client: r.clientState, server: r.serverState };
  }
  return rec;
}

export function connectionRecord(s: ConnectionSummary, file?: string): Record<string, unknown> {
  const { details: _d, type, ...rest } = s;
  return file === undefined ? { v: JSONL_VERSION, type, ...rest } : { v: JSONL_VERSION, type, file, ...rest };
}

/**
 * The record as one JSON line, findings printed through {@link findingJson} (at print time: a
 * finding's verdict can still change until its line is printed). No replacer function: with one,
 * JSON.stringify leaves its fast path and calls it for every value (2.7 s of the 4.3 s of
 * `--format json` on the bench capture).
 */
export function stringifyRecord(rec: Record<string, unknown>): string {
  const f = rec.findings;
  if (Array.isArray(f) && f.length > 0) return JSON.stringify({ ...rec, findings: (f as Finding[]).map(findingJson) });
  return JSON.stringify(rec);
}

/**
 * `--format json`: JSON Lines. A `packet` record per shown TCP packet, a `truncated`/`malformed`
 * record per frame that could not be analysed, a `connection` record per connection as it ends, and
 * a closing `summary` record. Packet lines wait (deferred.ts) while a finding on them is unsettled.
 */
export class JsonSink implements Sink {
  readonly wantsPackets = true;
  private readonly deferred: DeferredOutput;

  constructor(private readonly write: (s: string) => void, horizon: number) {
    this.deferred = new DeferredOutput(write, horizon);
  }

  /** `{"v":1,"type":T[,"file":F]`: the start of a record written as text. */
  private head(type: string, file: string | undefined): string {
    return `{"v":${JSONL_VERSION},"type":"${type}"${file === undefined ? '' : `,"file":${JSON.stringify(file)}`}`;
  }

  packet(v: PacketView): void {
    const r = v.r;
    const rec = packetRecord(v.p, v.time, v.opts, r, v.file);
    this.deferred.add(v.time, r.conn, r.findings.length > 0 ? r.findings.slice() : NO_FINDINGS, () => stringifyRecord(rec));
  }

  frameProblem(f: FrameProblem): void {
    const rec = `${this.head(f.status, f.file)},"frame":${f.frame},"time":${Math.round(f.time * 1e9) / 1e9},"reason":${JSON.stringify(f.reason)}}`;
    this.deferred.add(f.time, FINISHED, NO_FINDINGS, () => rec);
  }

  connectionEnd(e: ConnectionEnd): void {
    const rec = stringifyRecord(connectionRecord(e.summary(), e.file));
    this.deferred.add(-Infinity, FINISHED, NO_FINDINGS, () => rec);
  }

  end(run: RunEnd): void {
    this.deferred.release(Infinity);
    const { counts, totals } = run;
    this.write(
      this.head('summary', run.file) + ',' + JSON.stringify({
        frames: counts.frames,
        tcpPackets: counts.tcp,
        otherFrames: counts.other,
        truncated: counts.truncated,
        malformed: counts.malformed,
        ...(counts.beyondSnaplen ? { beyondSnaplen: counts.beyondSnaplen } : {}),
        ...(counts.fragments ? { fragments: counts.fragments } : {}),
        ...(counts.otherLinkTypes && Object.keys(counts.otherLinkTypes).length ? { otherLinkTypes: counts.otherLinkTypes } : {}),
        connections: totals.connections,
        analysis: Object.fromEntries(FLAG_CATALOGUE.map((f, i) => [f.name, totals.flagCounts[i]!] as const).filter(([, n]) => n > 0)),
        findings: totals.findingCounts,
        health: run.health,
      }).slice(1),
    );
  }
}

const NO_FINDINGS: readonly Finding[] = [];
