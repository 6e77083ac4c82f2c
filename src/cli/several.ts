/**
 * `ackscope analyze A B …`: several captures in one run. Without --merge each is analysed in turn,
 * its results headed by its name (JSON records carry `file`). With --merge they are analysed as one
 * capture in time-stamp order (capture/merge.ts, as mergecap merges), each capture by its own
 * decoder and tracker so that a packet seen at both ends is not taken for a retransmission, on one
 * time line; then each capture's tables, and each connection seen in two consecutive captures side
 * by side (render/side-by-side.ts). Wiring only: rendering lives in src/render.
 */
import { CaptureError, ExitCode, UserError } from '../capture/errors.js';
import { runMerged } from '../capture/merge.js';
import { openCapture, type CaptureSource } from '../capture/open.js';
import type { Pace, PacketSink, PacketSource } from '../capture/packet.js';
import { captureTags, fileHeading, mergeLegend } from '../render/heading.js';
import { JsonSink } from '../render/json.js';
import { Output } from '../render/output.js';
import { DEFAULT_RECORDER, StoryRecorder } from '../render/recorder.js';
import { sideBySide } from '../render/side-by-side.js';
import type { RunEnd, Sink } from '../render/sink.js';
import { makeStyle } from '../render/style.js';
import { TablesSink } from '../render/tables.js';
import { TraceSink } from '../render/trace.js';
import { analyzeSource, FailOnCheck, runPipeline, type AnalyzeOptions } from './analyze.js';

/** The exit status of several results: the first error's, else 3 if a check failed, else 0. */
function combine(codes: readonly number[]): number {
  const err = codes.find((c) => c !== ExitCode.Ok && c !== ExitCode.Verdict);
  if (err !== undefined) return err;
  return codes.includes(ExitCode.Verdict) ? ExitCode.Verdict : ExitCode.Ok;
}

function report(e: unknown): number {
  if (e instanceof UserError || e instanceof CaptureError) {
    process.stderr.write(`ackscope: ${e.message}\n`);
    return e.exitCode;
  }
  throw e;
}

/** Each capture in turn, headed by its name. A capture that cannot be opened is reported and skipped. */
export async function analyzeInTurn(paths: readonly string[], o: AnalyzeOptions): Promise<number> {
  const out = new Output();
  const style = await makeStyle(o.color);
  const codes: number[] = [];
  for (const path of paths) {
    let src: CaptureSource;
    try {
      src = await openCapture(path);
    } catch (e) {
      codes.push(report(e));
      continue;
    }
    if (!o.quiet && o.format !== 'json') out.line(fileHeading(style, path));
    codes.push((await analyzeSource(src, { ...o, file: path }, out)).code);
  }
  await out.end();
  return combine(codes);
}

/** A capture's part of a merge, as a source for its own pipeline: frames are handed to it by the merge. */
class MergeLane implements PacketSource {
  sink: PacketSink | null = null;
  private settle: ((e: CaptureError | null) => void) | null = null;

  constructor(readonly name: string) {}

  run(sink: PacketSink, _pace?: Pace): Promise<void> {
    this.sink = sink;
    return new Promise<void>((resolve, reject) => {
      this.settle = (e) => (e ? reject(e) : resolve());
    });
  }

  finish(e: CaptureError | null): void {
    this.settle?.(e);
  }
}

/** A sink whose end is left to the caller (the merge orders the closing output itself). */
function withoutEnd(s: Sink): Sink {
  return {
    wantsPackets: s.wantsPackets,
    ...(s.packet ? { packet: s.packet.bind(s) } : {}),
    ...(s.frameProblem ? { frameProblem: s.frameProblem.bind(s) } : {}),
    ...(s.connectionEnd ? { connectionEnd: s.connectionEnd.bind(s) } : {}),
    end: () => {},
  };
}

/** The captures merged into one time line; see the file comment. */
export async function analyzeMerged(paths: readonly string[], o: AnalyzeOptions): Promise<number> {
  const sources: CaptureSource[] = [];
  for (const p of paths) sources.push(await openCapture(p));
  const out = new Output();
  const write = (s: string): void => out.line(s);
  const style = await makeStyle(o.color);
  const tags = captureTags(paths);
  const horizon = o.horizon ?? 3;
  const tables = !o.quiet && o.format !== 'json';
  // One trace (or JSON stream) for the merged time line; tables, stories and checks per capture.
  const timeline: Sink | null = o.quiet ? null : o.format === 'text' ? new TraceSink(write, style, { states: o.states, horizon, tags }) : o.format === 'json' ? new JsonSink(write, horizon) : null;
  const perLane = paths.map(() => ({
    tables: tables ? new TablesSink(write, style, o.allConnections) : null,
    stories: tables ? new StoryRecorder({ ...DEFAULT_RECORDER, stream: o.stream }) : null,
    check: o.failOn ? new FailOnCheck(o.failOn) : null,
  }));
  if (tables) write(mergeLegend(style, tags));
  const origin = { sec: -1, nsec: 0 };
  const lanes = paths.map((p) => new MergeLane(p));
  const runs = lanes.map((lane, i) => {
    const l = perLane[i]!;
    const sinks = [timeline, l.tables, l.stories, l.check].filter((s): s is Sink => s !== null).map(withoutEnd);
    return runPipeline(lane, { ...o, file: paths[i], timeOrigin: origin }, sinks);
  });
  let errors: (CaptureError | null)[] = paths.map(() => null);
  try {
    errors = await runMerged(sources, (i, pkt) => lanes[i]!.sink!(pkt), out.pace);
  } finally {
    lanes.forEach((l, i) => l.finish(errors[i] ?? null));
  }
  const results = await Promise.all(runs);
  const ends: RunEnd[] = results.map((r) => r.end);
  if (timeline instanceof JsonSink) for (const e of ends) timeline.end(e);
  else if (timeline) await timeline.end(ends[0]!);
  perLane.forEach((l, i) => {
    if (!l.tables) return;
    write(fileHeading(style, `${tags.get(paths[i]!)} = ${paths[i]}`));
    l.tables.end(ends[i]!);
  });
  if (tables) {
    for (let i = 0; i + 1 < paths.length; i++) {
      const [a, b] = [paths[i]!, paths[i + 1]!];
      write(fileHeading(style, `seen at both ends: ${tags.get(a)} and ${tags.get(b)}`));
      for (const t of sideBySide(style, tags.get(a)!, tags.get(b)!, perLane[i]!.stories!.stories, perLane[i + 1]!.stories!.stories)) write(t);
    }
  }
  await out.end();
  const codes = errors.map((e) => (e ? report(e) : ExitCode.Ok));
  perLane.forEach((l, i) => {
    if (l.check?.failed) {
      process.stderr.write(`ackscope: ${l.check.message(paths[i]!)}\n`);
      codes.push(ExitCode.Verdict);
    }
  });
  return combine(codes);
}
