import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'ackscope') return dir;
      } catch {
        /* keep walking */
      }
    }
    dir = dirname(dir);
  }
  return process.cwd();
}

/** The repository root (where package.json is), whatever directory the compiled tests run from. */
export const ROOT = findRoot();
export const FIXTURES = join(ROOT, 'test', 'fixtures');
export const SAMPLES = join(ROOT, 'samples');
/** The compiled CLI entry point. */
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');
export const fixture = (...parts: string[]): string => join(FIXTURES, ...parts);
