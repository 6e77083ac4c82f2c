/** Headings of a run over several captures: one per capture, and the legend of a merged trace. */
import type { Style } from './style.js';

/** `== a.pcap ==` above a capture's results (text and tables). */
export function fileHeading(s: Style, file: string): string {
  return s.c.bold(`== ${file} ==`);
}

/** The letters a merged trace tags its lines with: A for the first capture, B for the second, … */
export function captureTags(files: readonly string[]): Map<string, string> {
  return new Map(files.map((f, i) => [f, tagOf(i)]));
}

const tagOf = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : `F${i + 1}`);

export function mergeLegend(s: Style, tags: ReadonlyMap<string, string>): string {
  return s.c.bold(`== merged in time order: ${[...tags].map(([f, t]) => `${t} = ${f}`).join(', ')} ==`);
}
