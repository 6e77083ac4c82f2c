/**
 * PLACEHOLDER — REPLACED ON MERGE by the `--explain` branch's explain.ts (the real numbered story
 * of a connection built from its findings and states). It exists only so that the HTML report can
 * call `explainStory` before that branch lands: the HTML report shows whatever this returns.
 */
import type { ConnectionStory } from './recorder.js';

/** A connection's story as numbered plain sentences (placeholder: the summary's close and verdict). */
export function explainStory(story: ConnectionStory): string[] {
  const s = story.summary;
  return [`1. How it ended: ${s.closed}.`, `2. ${s.verdict}`];
}
