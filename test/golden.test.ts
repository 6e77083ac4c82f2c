/**
 * The annotated text and the JSON of every sample are pinned by golden files in samples/golden/.
 * After a deliberate change, regenerate them with `UPDATE_GOLDEN=1 npm test` and review the diff.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from './helpers/cli.js';
import { SAMPLES } from './helpers/paths.js';

const GOLDEN = join(SAMPLES, 'golden');
const update = process.env.UPDATE_GOLDEN === '1';
const samples = readdirSync(SAMPLES).filter((f) => /\.pcap(ng)?$/.test(f)).sort();

describe('annotated output of every sample is unchanged', () => {
  if (update) mkdirSync(GOLDEN, { recursive: true });
  for (const f of samples) {
    for (const [kind, args] of [
      ['txt', ['--no-color']],
      ['jsonl', ['--format', 'json']],
    ] as const) {
      it(`${f} (${kind})`, () => {
        const r = runCli(['analyze', join(SAMPLES, f), ...args]);
        assert.equal(r.status, 0, r.stderr);
        const file = join(GOLDEN, `${f.replace(/\.pcap(ng)?$/, '')}.${kind}`);
        if (update) writeFileSync(file, r.stdout);
        assert.ok(existsSync(file), `no golden file ${file}: run UPDATE_GOLDEN=1 npm test`);
        assert.equal(r.stdout, readFileSync(file, 'utf8'));
      });
    }
  }
});
