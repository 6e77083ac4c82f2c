/**
 * `--format html`: one self-contained page. The story recorder keeps the worst connections'
 * packets (bounded per connection and in number), the series collector an overview of every long
 * connection's graph, the table collector the capture's findings; at the end of input the page is
 * written in one go.
 */
import { AFlag, BAD_TCP_MASK } from '../../analyze/flags.js';
import { StoryRecorder, type RecorderOptions } from '../recorder.js';
import type { ConnectionEnd, PacketView, RunEnd, Sink } from '../sink.js';
import { TableCollector } from '../table-collector.js';
import { reportModel, storyJson } from './model.js';
import { renderPage } from './page.js';
import { SeriesCollector, type SeriesJson } from './series.js';

export interface HtmlOptions {
  /** Shown as the page title: usually the capture's file name. */
  title: string;
  stream?: number | undefined;
  /** Connections drawn (the worst first), packets kept per connection. */
  maxConnections: number;
  maxPacketsPerConnection: number;
  /**
   * Packets held for open connections before only troubled ones (a tshark "Bad TCP" flag or a
   * finding so far) are recorded: a capture of many short connections (the bench: 25 000 open at
   * once during the close linger) would otherwise hold a record of every packet in flight.
   */
  maxOpenPackets: number;
}

export const DEFAULT_HTML: Omit<HtmlOptions, 'title'> = { maxConnections: 50, maxPacketsPerConnection: 3000, maxOpenPackets: 50_000 };
/** Arrows on one ladder page, points per graph panel: enough to read, few enough to draw at once. */
export const LADDER_ARROWS = 200;
export const GRAPH_POINTS = 1500;

/** "Bad TCP" flags but port reuse: a new connection on a recycled port is not trouble (the bench has 46 000). */
const TROUBLE = BAD_TCP_MASK & ~AFlag.reused_ports;

export class HtmlSink implements Sink {
  readonly wantsPackets = true;
  private readonly recorder: StoryRecorder;
  private readonly series = new SeriesCollector();
  /** Overviews of ended connections whose packets did not all fit, by stream (pruned to the kept stories). */
  private readonly overviews = new Map<number, SeriesJson>();
  private readonly tables = new TableCollector(false);
  /** Packets recorded per open connection, their sum, and the open connections with trouble so far. */
  private readonly recorded = new Map<number, number>();
  private held = 0;
  private readonly troubled = new Set<number>();

  constructor(private readonly write: (s: string) => void, private readonly o: HtmlOptions) {
    const ro: RecorderOptions = { stream: o.stream, maxConnections: o.maxConnections, maxPacketsPerConnection: o.maxPacketsPerConnection };
    this.recorder = new StoryRecorder(ro);
  }

  packet(v: PacketView): void {
    const r = v.r;
    if (this.o.stream !== undefined && r.stream !== this.o.stream) return;
    this.series.packet(v);
    if (r.findings.length > 0 || r.verdict.flags & TROUBLE) this.troubled.add(r.stream);
    const n = this.recorded.get(r.stream) ?? 0;
    if (this.held >= this.o.maxOpenPackets && !this.troubled.has(r.stream)) return;
    this.recorder.packet(v);
    if (n < this.o.maxPacketsPerConnection) {
      this.recorded.set(r.stream, n + 1);
      this.held++;
    }
  }

  connectionEnd(e: ConnectionEnd): void {
    this.tables.add(e);
    this.recorder.connectionEnd(e);
    const stream = e.conn.stream;
    this.held -= this.recorded.get(stream) ?? 0;
    this.recorded.delete(stream);
    this.troubled.delete(stream);
    if (this.series.packets(stream) <= this.o.maxPacketsPerConnection) {
      this.series.drop(stream);
      return;
    }
    const s = this.series.take(stream);
    if (s) this.overviews.set(stream, s);
    if (this.overviews.size > 2 * this.o.maxConnections) this.prune();
  }

  /** Forget overviews of connections the recorder no longer keeps. */
  private prune(): void {
    const kept = new Set(this.recorder.stories.map((s) => s.summary.stream));
    for (const k of this.overviews.keys()) if (!kept.has(k)) this.overviews.delete(k);
  }

  end(run: RunEnd): void {
    const stories = this.recorder.stories.map((s) => {
      // Packets left out while memory was short count as not kept, like those beyond the cap.
      const seen = s.summary.client.packets + s.summary.server.packets;
      const story = { ...s, dropped: Math.max(s.dropped, seen - s.packets.length) };
      return storyJson(story, this.overviews.get(s.summary.stream) ?? null);
    });
    const model = reportModel(this.o.title, run, stories, {
      ladder: LADDER_ARROWS,
      graphPoints: GRAPH_POINTS,
      packetsPerConnection: this.o.maxPacketsPerConnection,
    });
    this.write(renderPage(model, run, this.tables.findings.list));
  }
}
