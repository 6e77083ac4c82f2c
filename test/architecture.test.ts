/**
 * The pipeline's direction, checked on the sources: capture → analyze → render ← cli. A layer may
 * import from the layers before it, never after; a format never reaches back into the tracker (type
 * imports only); src/cli wires and parses options, it does not draw (no table or colour library).
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers/paths.js';

interface Import {
  file: string;
  spec: string;
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Static and dynamic imports of every source file under src/, resolved to paths under src/ where relative. */
function imports(): Import[] {
  const src = join(ROOT, 'src');
  const out: Import[] = [];
  for (const f of sources(src)) {
    const text = readFileSync(f, 'utf8');
    const file = relative(src, f);
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)) {
      out.push({ file, spec: resolve(file, m[3]!), typeOnly: m[2] !== undefined });
    }
    for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) {
      // `typeof import('…')` in a type position is a type import.
      const before = text.slice(Math.max(0, m.index! - 7), m.index!);
      out.push({ file, spec: resolve(file, m[1]!), typeOnly: before.endsWith('typeof ') });
    }
  }
  return out;
}

function resolve(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const parts = file.split('/').slice(0, -1);
  for (const s of spec.split('/')) {
    if (s === '..') parts.pop();
    else if (s !== '.') parts.push(s);
  }
  return parts.join('/');
}

const layer = (p: string): string => (p.includes('/') ? p.split('/')[0]! : p.endsWith('.js') || p.endsWith('.ts') ? 'main' : 'package');
const ALL = imports();

describe('pipeline direction', () => {
  it('finds the imports it checks (the scan itself works)', () => {
    assert.ok(ALL.some((i) => i.file === 'cli/analyze.ts' && i.spec === 'render/sink.js'));
    assert.ok(ALL.some((i) => i.file.startsWith('render/') && i.spec === 'cli-table3'));
  });

  it('capture imports nothing from analyze, render, cli or repro', () => {
    const bad = ALL.filter((i) => layer(i.file) === 'capture' && ['analyze', 'render', 'cli', 'repro'].includes(layer(i.spec)));
    assert.deepEqual(bad, []);
  });

  it('analyze imports nothing from render, cli or repro', () => {
    const bad = ALL.filter((i) => layer(i.file) === 'analyze' && ['render', 'cli', 'repro'].includes(layer(i.spec)));
    assert.deepEqual(bad, []);
  });

  it('render imports nothing from cli or repro, and the tracker only for its types', () => {
    const bad = ALL.filter(
      (i) => layer(i.file) === 'render' && (['cli', 'repro'].includes(layer(i.spec)) || (i.spec === 'analyze/tracker.js' && !i.typeOnly)),
    );
    assert.deepEqual(bad, []);
  });

  it('cli holds no rendering: no table or colour library, no trace-line or table code of its own', () => {
    const bad = ALL.filter((i) => layer(i.file) === 'cli' && ['cli-table3', 'chalk'].includes(i.spec));
    assert.deepEqual(bad, []);
    for (const f of sources(join(ROOT, 'src', 'cli'))) {
      const text = readFileSync(f, 'utf8');
      assert.doesNotMatch(text, /padStart\(\d+\)[^\n]*toFixed\(6\)/, `${relative(ROOT, f)} formats trace lines itself`);
    }
  });
});
