/**
 * `--format html`: one self-contained page. The story recorder keeps the worst connections'
 * packets (bounded per connection and in number), the series collector an overview of every long
 * connection's graph, the table collector the capture's findings; at the end of input the page is
 * written in one go.
 */
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
}

export const DEFAULT_HTML: Omit<HtmlOptions, 'title'> = { maxConnections: 50, maxPacketsPerConnection: 3000 };
/** Arrows on one ladder page, points per graph panel: enough to read, few enough to draw at once. */
export const LADDER_ARROWS = 200;
export const GRAPH_POINTS = 1500;

export class HtmlSink implements Sink {
  readonly wantsPackets = true;
  private readonly recorder: StoryRecorder;
  private readonly series = new SeriesCollector();
  /** Overviews of ended connections whose packets did not all fit, by stream (pruned to the kept stories). */
  private readonly overviews = new Map<number, SeriesJson>();
  private readonly tables = new TableCollector(false);

  constructor(private readonly write: (s: string) => void, private readonly o: HtmlOptions) {
    const ro: RecorderOptions = { stream: o.stream, maxConnections: o.maxConnections, maxPacketsPerConnection: o.maxPacketsPerConnection };
    this.recorder = new StoryRecorder(ro);
  }

  packet(v: PacketView): void {
    if (this.o.stream !== undefined && v.r.stream !== this.o.stream) return;
    this.recorder.packet(v);
    this.series.packet(v);
  }

  connectionEnd(e: ConnectionEnd): void {
    this.tables.add(e);
    this.recorder.connectionEnd(e);
    const stream = e.conn.stream;
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
    const stories = this.recorder.stories.map((s) => storyJson(s, this.overviews.get(s.summary.stream) ?? null));
    const model = reportModel(this.o.title, run, stories, {
      ladder: LADDER_ARROWS,
      graphPoints: GRAPH_POINTS,
      packetsPerConnection: this.o.maxPacketsPerConnection,
    });
    this.write(renderPage(model, run, this.tables.findings.list));
  }
}
