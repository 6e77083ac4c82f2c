/**
 * src/render/table.ts works around cli-table3's quadratic debug preview of multi-line cells. These
 * tests pin what the work-around must keep (the drawing itself) and what it is for (time).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import Table, { originalTruncate } from '../src/render/table.js';

const utils = createRequire(import.meta.url)('cli-table3/src/utils.js') as { truncate: typeof originalTruncate };

/** Draw `f()` with cli-table3's own truncate put back for the duration. */
function unpatched<T>(f: () => T): T {
  const patched = utils.truncate;
  utils.truncate = originalTruncate;
  try {
    return f();
  } finally {
    utils.truncate = patched;
  }
}

function tallCell(lines: number): string {
  const t = new Table({ wordWrap: true, colWidths: [14, 70] });
  const text = Array.from({ length: lines }, (_, i) => `line ${i}: client → server ${'x'.repeat(i % 40)}`).join('\n');
  t.push({ label: text }, { other: 'a short cell' });
  return t.toString();
}

describe('cli-table3 tables with multi-line cells', () => {
  it('draw byte for byte as cli-table3 draws them itself', () => {
    assert.equal(tallCell(12), unpatched(() => tallCell(12)));
    // Wrapped lines, a cell wider than its column, colour codes: the other paths through truncate.
    const mixed = (): string => {
      const t = new Table({ wordWrap: true, colWidths: [10, 30], style: { head: ['cyan'], border: ['grey'] } });
      t.push({ 'a long label here': 'one\n\u001b[31mtwo in red, long enough to wrap twice over\u001b[39m\nthree' }, { x: 'y'.repeat(80) });
      return t.toString();
    };
    assert.equal(mixed(), unpatched(mixed));
  });

  it('draw a 40-line cell in milliseconds (cli-table3 alone takes seconds: its cost grows with the cube of the lines)', () => {
    const t0 = performance.now();
    const out = tallCell(40);
    const ms = performance.now() - t0;
    assert.equal(out.split('\n').length, 40 + 4);
    assert.ok(ms < 1000, `40-line cell took ${ms.toFixed(0)} ms`);
  });
});
