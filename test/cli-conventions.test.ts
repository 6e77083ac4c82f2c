/**
 * The command line's conventions, seen from outside: the bin runs as a program (its `#!` line and
 * its execute bit, which the build sets: tsc writes files without it, and a stale link to the bin,
 * such as npx keeps for a project directory it has run before, then fails with "Permission
 * denied"), `--version` says the package's version, every command answers `--help` on stdout with
 * status 0, and a usage error is one line on stderr with status 64.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from './helpers/cli.js';
import { CLI, ROOT } from './helpers/paths.js';

const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

describe('the ackscope bin', () => {
  it('is the file package.json names, executable, and runs through its #! line', () => {
    assert.equal(join(ROOT, PKG.bin.ackscope!), CLI);
    accessSync(CLI, constants.X_OK);
    assert.match(readFileSync(CLI, 'utf8').split('\n')[0]!, /^#!\/usr\/bin\/env -S node\b/);
    // Executed directly, as a shell or npx's link runs it (no `node` in front).
    const r = spawnSync(CLI, ['--version'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(r.error, undefined);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `ackscope ${PKG.version}\n`);
  });

  it('answers -V and --version with the version from package.json', () => {
    for (const flag of ['-V', '--version']) assert.equal(runCli([flag]).stdout, `ackscope ${PKG.version}\n`);
  });

  it('answers --help on every command with usage on stdout and status 0, nothing on stderr', () => {
    const top = runCli(['--help']);
    assert.equal(top.status, 0);
    const commands = [...new Set([...top.stdout.matchAll(/^ {2}ackscope ([a-z]+)\b/gm)].map((m) => m[1]!))];
    assert.deepEqual(commands.sort(), ['analyze', 'convert', 'interfaces', 'repro']);
    for (const c of commands) {
      const r = runCli([c, '--help']);
      assert.equal(r.status, 0, `${c} --help: ${r.stderr}`);
      assert.equal(r.stderr, '', `${c} --help wrote to stderr`);
      assert.match(r.stdout, new RegExp(`ackscope ${c}\\b`), `${c} --help does not show its usage`);
    }
  });

  it('says an unknown command in one line on stderr, with status 64 and nothing on stdout', () => {
    const r = runCli(['frobnicate']);
    assert.equal(r.status, 64);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
  });
});
