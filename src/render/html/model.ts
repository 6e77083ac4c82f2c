/**
 * What the report's page script draws from: plain JSON built from the recorded stories. Packets
 * are arrays rather than objects (a long connection is thousands of them: keys would double the
 * file), and the trace line is kept whole because hovering an arrow shows it.
 */
import { FINDING_CATALOGUE, type Finding } from '../../analyze/findings.js';
import { FLAG_CATALOGUE } from '../../analyze/flags.js';
import type { ConnectionSummary } from '../../analyze/summary.js';
import { explainStory } from '../explain.js';
import type { ConnectionStory, StoryPacket } from '../recorder.js';
import type { RunEnd } from '../sink.js';
import { marksOf, type SeriesJson } from './series.js';

/**
 * One packet: [frame, time, side (0 client, 1 server), tcpFlags, seq, ack, len, win, marks,
 * labels, findings [kind, explain][], clientState, serverState, clientChange, serverChange, line],
 * a change being [from, to, why] or 0.
 */
export type PacketJson = [
  number, number, 0 | 1, number, number, number, number, number, number,
  string[], [string, string][], string, string, [string, string, string] | 0, [string, string, string] | 0, string,
];

export interface StoryJson {
  summary: Omit<ConnectionSummary, 'details'>;
  findings: { kind: string; frame: number; by: string; explain: string }[];
  explain: string[];
  packets: PacketJson[];
  /** Packets of the connection not kept in `packets` (beyond the per-connection cap). */
  dropped: number;
  /** The whole connection's graph overview, when `packets` does not hold all of it. */
  series: SeriesJson | null;
}

export interface ReportModel {
  title: string;
  /** Connections in the capture (after the filters), and how many are in `stories`. */
  connections: number;
  stories: StoryJson[];
  /** tshark flag labels and ackscope finding kinds with their descriptions, for the legend. */
  flagInfo: { label: string; description: string }[];
  findingInfo: { kind: string; title: string; description: string }[];
  /** Most arrows the ladder draws at once, most points per graph panel. */
  limits: { ladder: number; graphPoints: number; packetsPerConnection: number };
}

const change = (c: StoryPacket['clientChange']): [string, string, string] | 0 => (c ? [c.from, c.to, c.why] : 0);
const r6 = (t: number): number => Math.round(t * 1e6) / 1e6;

export function packetJson(p: StoryPacket): PacketJson {
  return [
    p.frame, r6(p.time), p.from === 'client' ? 0 : 1, p.flags, p.seq, p.ack, p.len, p.win,
    marksOf(p.flags, p.analysis, p.findings.length > 0),
    p.labels, p.findings.map((f: Finding) => [f.kind, f.explain] as [string, string]),
    p.clientState, p.serverState, change(p.clientChange), change(p.serverChange), p.line,
  ];
}

export function storyJson(story: ConnectionStory, series: SeriesJson | null): StoryJson {
  const { details, ...summary } = story.summary;
  return {
    summary,
    findings: details.map((f) => ({ kind: f.kind, frame: f.frame, by: f.by, explain: f.explain })),
    explain: explainStory(story),
    packets: story.packets.map(packetJson),
    dropped: story.dropped,
    series: story.dropped > 0 ? series : null,
  };
}

export function reportModel(title: string, run: RunEnd, stories: StoryJson[], limits: ReportModel['limits']): ReportModel {
  return {
    title,
    connections: run.connections,
    stories,
    flagInfo: FLAG_CATALOGUE.map((f) => ({ label: f.label, description: f.description })),
    findingInfo: Object.entries(FINDING_CATALOGUE).map(([kind, f]) => ({ kind, title: f.title, description: f.description })),
    limits,
  };
}

/** JSON that is safe inside a `<script type="application/json">` element (no `</script>`, no `<!--`). */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
