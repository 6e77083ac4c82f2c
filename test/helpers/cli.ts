import { spawnSync } from 'node:child_process';
import { CLI } from './paths.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run the compiled CLI with `args`; colour off unless the test asks for it. */
export function runCli(args: string[], opts: { input?: Buffer | string; env?: Record<string, string>; timeout?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: opts.input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    timeout: opts.timeout ?? 60_000,
    maxBuffer: 1 << 28,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `analyze --format json` records of one file. */
export function analyzeJson(file: string, extra: string[] = []): Record<string, unknown>[] {
  const r = runCli(['analyze', file, '--format', 'json', ...extra]);
  if (r.status !== 0) throw new Error(`ackscope analyze ${file} exited ${r.status}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
