/**
 * cli-table3, with one fix of its own applied before any table is drawn.
 *
 * cli-table3 0.6.5 draws every line of a cell through `Cell.draw`, which first computes a ten-column
 * preview of the cell's whole content for a debug message, and throws it away unless cli-table3's
 * debug logging is on. For content of several lines that preview is quadratic: `truncateWidth`
 * removes one character at a time from the end and measures the widest remaining line after each
 * removal. One tcptrace block (eight lines) cost 30-200 ms per connection table, so the summary of a
 * 21-packet capture spent more time here than in everything else together. (Upstream: cli-table3
 * pull request #362, open at the time of writing, makes that preview lazy.)
 *
 * The only caller that hands `truncate` a string with a line break is that preview (`drawLine`
 * passes single lines), so such a string now gets its first line truncated instead: the same kind
 * of preview for a debug message nobody prints, at the cost of one line. What a table draws is
 * unchanged (the golden files pin it, and test/table-render.test.ts renders a tall cell both ways).
 */
import { createRequire } from 'node:module';
import Table from 'cli-table3';

interface Utils {
  truncate(str: string, desiredLength: number, truncateChar?: string): string;
}

/** Marks cli-table3's utils as patched (a second copy of this module must not wrap the wrapper). */
const PATCHED = Symbol.for('ackscope.cli-table3.truncate');
const utils = createRequire(import.meta.url)('cli-table3/src/utils.js') as Utils & { [PATCHED]?: true };

/** cli-table3's own truncate, for the test that compares the two. */
export const originalTruncate: Utils['truncate'] = utils.truncate;

if (!utils[PATCHED]) {
  const original = utils.truncate;
  utils.truncate = (str, desiredLength, truncateChar) => {
    const nl = typeof str === 'string' ? str.indexOf('\n') : -1;
    return original(nl < 0 ? str : str.slice(0, nl), desiredLength, truncateChar);
  };
  utils[PATCHED] = true;
}

export default Table;
