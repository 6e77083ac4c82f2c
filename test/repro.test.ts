/**
 * The reproducer on loopback: wire format byte for byte, half-close, a server that survives
 * hostile peers, and the errors users meet.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ExitCode, UserError } from '../src/capture/errors.js';
import { runClient } from '../src/repro/client.js';
import { decodeProgram, encodeProgram, pattern, type Program } from '../src/repro/program.js';
import { startServer, type RunningServer } from '../src/repro/server.js';
import { runCli } from './helpers/cli.js';

const FAST: Program = { burstSize: 5, burstDelay: 30, burstCount: 2, initialDelay: 20, preambleSize: 69 };

function sink(): { out: Writable; text: () => string } {
  const parts: Buffer[] = [];
  const out = new Writable({ write: (c: Buffer, _e, cb) => (parts.push(c), cb()) });
  return { out, text: () => Buffer.concat(parts).toString('latin1') };
}

/** Send raw bytes to a server; resolve with everything it sent back and whether it closed. */
function raw(port: number, bytes: Buffer | null, endAfter = true, waitMs = 3000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
      if (bytes) s.write(bytes);
      if (endAfter) s.end();
    });
    const t = setTimeout(() => (s.destroy(), resolve({ data: Buffer.concat(got), closed: false })), waitMs);
    s.on('data', (c) => got.push(c));
    // allowHalfOpen: the server's FIN shows as 'end', not 'close'.
    const closed = (): void => (clearTimeout(t), s.destroy(), resolve({ data: Buffer.concat(got), closed: true }));
    s.on('end', closed);
    s.on('close', closed);
    s.on('error', () => undefined);
  });
}

describe('repro server and client', () => {
  let server: RunningServer;
  const logs: string[] = [];
  before(async () => {
    server = await startServer({ host: '127.0.0.1', port: 0, idleTimeoutMs: 300, maxConnections: 64, log: (m) => logs.push(m) });
  });
  after(async () => server.stop());

  const client = (program: Program, extra: Partial<Parameters<typeof runClient>[0]> = {}) => {
    const s = sink();
    return runClient({ host: '127.0.0.1', port: server.port, program, closeDelayMs: 0, timeoutMs: 5000, out: s.out, log: () => undefined, ...extra }).then((r) => ({ ...r, stdout: s.text() }));
  };

  it('copies 10 bytes of 10 expected with the default program shape, and exits 0', async () => {
    const r = await client(FAST);
    assert.deepEqual([r.code, r.copied, r.expected, r.stdout], [0, 10, 10, '0123\n0123\n']);
  });

  for (const p of [
    { ...FAST, burstSize: 1, burstCount: 3 },
    { ...FAST, burstSize: 100 },
    { ...FAST, burstCount: 0 },
    { ...FAST, preambleSize: 1 },
  ]) {
    it(`serves burst size ${p.burstSize} × ${p.burstCount} after a ${p.preambleSize}-byte preamble`, async () => {
      const r = await client(p);
      assert.equal(r.copied, p.burstSize * p.burstCount);
      assert.equal(r.stdout, pattern(p.burstSize).toString('latin1').repeat(p.burstCount));
      assert.equal(r.code, 0);
    });
  }

  it('serves 20 concurrent clients', async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, () => client(FAST)));
    assert.ok(rs.every((r) => r.code === 0 && r.copied === 10));
  });

  it('answers exactly the preamble and bursts to a handcrafted 40-byte program, after the client half-closed', async () => {
    const prog = Buffer.alloc(40);
    [5, 10, 2, 5, 69].forEach((v, i) => prog.writeBigInt64LE(BigInt(v), i * 8));
    const r = await raw(server.port, prog, true);
    assert.equal(r.closed, true);
    assert.equal(r.data.toString('latin1'), pattern(69).toString('latin1') + '0123\n0123\n');
  });

  for (const [what, bytes, reason] of [
    ['a truncated program', Buffer.alloc(17), /short program: 17 of 40/],
    ['a negative value', Buffer.concat([encodeProgram(FAST).subarray(0, 8), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80]), encodeProgram(FAST).subarray(16)]), /burstDelay is negative/],
    ['an oversized program', encodeProgram({ ...FAST, burstSize: 1 << 30 }), /asks for \d+ bytes > 16777216/],
    ['too much delay', encodeProgram({ ...FAST, burstDelay: 3_600_000 }), /ms of delay > 60000/],
  ] as const) {
    it(`logs and closes on ${what}, sending nothing, and still serves the next client`, async () => {
      const r = await raw(server.port, bytes as Buffer, true);
      assert.equal(r.closed, true);
      assert.equal(r.data.length, 0);
      assert.ok(logs.some((l) => (reason as RegExp).test(l)), `no log line matching ${String(reason)}`);
      assert.equal((await client(FAST)).code, 0);
    });
  }

  it('drops a client that connects and says nothing once the idle bound passes', async () => {
    const t0 = Date.now();
    const r = await raw(server.port, null, false, 3000);
    assert.equal(r.closed, true);
    assert.ok(Date.now() - t0 >= 250, 'closed before the idle bound');
    assert.ok(logs.some((l) => /no complete program within 300 ms/.test(l)));
  });

  it('ignores bytes after the program', async () => {
    const r = await raw(server.port, Buffer.concat([encodeProgram({ ...FAST, preambleSize: 3 }), Buffer.from('garbage after the program')]), true);
    assert.equal(r.data.toString('latin1'), '01\n0123\n0123\n');
  });

  it('refuses to listen on a port in use, with exit status 75', async () => {
    await assert.rejects(
      startServer({ host: '127.0.0.1', port: server.port, idleTimeoutMs: 1000, maxConnections: 1, log: () => undefined }),
      (e: unknown) => e instanceof UserError && e.exitCode === ExitCode.PortInUse && /already in use/.test(e.message),
    );
  });
});

describe('repro client against servers that are not ours', () => {
  it('sends exactly the 40 bytes of the Go wire format and half-closes after the preamble line', async () => {
    let received = Buffer.alloc(0);
    let endedAfterPreamble = false;
    const srv = createServer({ allowHalfOpen: true }, (s) => {
      let sentPreamble = false;
      s.on('data', (c) => {
        received = Buffer.concat([received, c]);
        if (received.length >= 40 && !sentPreamble) {
          sentPreamble = true;
          s.write('0123456\n');
        }
      });
      s.on('end', () => {
        endedAfterPreamble = sentPreamble;
        // Still writable after the client's FIN: that is the half-close.
        s.end('0123\n0123\n');
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    try {
      const out = sink();
      const r = await runClient({ host: '127.0.0.1', port, program: { burstSize: 5, burstDelay: 1000, burstCount: 2, initialDelay: 200, preambleSize: 8 }, closeDelayMs: 0, timeoutMs: 3000, out: out.out, log: () => undefined });
      assert.equal(received.toString('hex'), '0500000000000000' + 'e803000000000000' + '0200000000000000' + 'c800000000000000' + '0800000000000000');
      assert.deepEqual(decodeProgram(received), { ok: true, program: { burstSize: 5, burstDelay: 1000, burstCount: 2, initialDelay: 200, preambleSize: 8 } });
      assert.equal(endedAfterPreamble, true);
      assert.deepEqual([r.code, r.copied, out.text()], [0, 10, '0123\n0123\n']);
    } finally {
      srv.close();
    }
  });

  it('gives up after --timeout with the count and exit 1 when the server never sends the bursts', async () => {
    const srv = createServer({ allowHalfOpen: true }, (s) => s.once('data', () => s.write(pattern(69))));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    try {
      const logs: string[] = [];
      const r = await runClient({ host: '127.0.0.1', port, program: FAST, closeDelayMs: 0, timeoutMs: 300, out: sink().out, log: (m) => logs.push(m) });
      assert.deepEqual([r.code, r.copied, r.expected], [1, 0, 10]);
      assert.ok(logs.includes('copied 0 bytes of 10 expected'));
    } finally {
      srv.close();
    }
  });

  it('says the server is unreachable with exit status 76 when nothing listens', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const r = runCli(['repro', 'client', '--addr', `127.0.0.1:${port}`]);
    assert.equal(r.status, ExitCode.Unreachable);
    assert.match(r.stderr, /^ackscope: cannot reach the server at 127\.0\.0\.1:\d+: connection refused\n$/);
  });

  it('logs like the Go original: a timestamp, then the message', async () => {
    const server = await startServer({ host: '127.0.0.1', port: 0, idleTimeoutMs: 1000, maxConnections: 4, log: () => undefined });
    try {
      const { spawn } = await import('node:child_process');
      const { CLI } = await import('./helpers/paths.js');
      const child = spawn(process.execPath, [CLI, 'repro', 'client', '--addr', `127.0.0.1:${server.port}`, '--burst-delay', '10', '--initial-delay', '10'], { env: { ...process.env, NO_COLOR: '1' } });
      let err = '';
      let out = '';
      child.stderr.on('data', (c) => (err += c));
      child.stdout.on('data', (c) => (out += c));
      const code = await new Promise((r) => child.on('close', r));
      assert.equal(code, 0);
      assert.equal(out, '0123\n0123\n');
      assert.match(err, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d closed write end of connection\n\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d copied 10 bytes of 10 expected\n$/);
    } finally {
      await server.stop();
    }
  });
});

describe('repro server under a slow-connection flood', () => {
  it('still serves a real client all its bytes while 1,000 silent connections are open (64 slots, oldest silent peer closed to make room)', async () => {
    const logs: string[] = [];
    // A long idle timeout: without eviction the flood would hold every slot for the whole test.
    const server = await startServer({ host: '127.0.0.1', port: 0, idleTimeoutMs: 60_000, maxConnections: 64, log: (m) => logs.push(m) });
    const flood: import('node:net').Socket[] = [];
    try {
      let connected = 0;
      await new Promise<void>((resolve, reject) => {
        for (let i = 0; i < 1000; i++) {
          const s = connect({ host: '127.0.0.1', port: server.port });
          s.on('error', () => undefined); // evicted peers see resets
          s.once('connect', () => ++connected === 1000 && resolve());
          flood.push(s);
        }
        setTimeout(() => reject(new Error(`only ${connected} of 1000 flood connections connected`)), 20_000).unref();
      });
      // Let the server accept them all (accepting lags the client side's connect).
      await new Promise((r) => setTimeout(r, 500));
      const memBefore = process.memoryUsage().heapUsed;
      const out = sink();
      const r = await runClient({ host: '127.0.0.1', port: server.port, program: FAST, closeDelayMs: 0, timeoutMs: 5000, out: out.out, log: () => undefined });
      assert.deepEqual([r.code, r.copied, out.text()], [0, 10, '0123\n0123\n']);
      assert.ok(server.stats.evicted >= 1000 - 64, `only ${server.stats.evicted} silent peers closed to make room`);
      assert.equal(server.stats.served, 1);
      assert.ok(logs.some((l) => /closed to make room \(no whole program yet, all 64 slots taken/.test(l)));
      assert.ok(logs.length < 50, `a flood must not log a line per connection (${logs.length} lines)`);
      // Bounded: the server holds at most its 64 slots; the heap did not grow with the flood by more than a few MB.
      assert.ok(process.memoryUsage().heapUsed - memBefore < 8 * 1024 * 1024);
    } finally {
      for (const s of flood) s.destroy();
      await server.stop();
    }
  });

  it('refuses a new connection only when every slot is serving a program', async () => {
    const logs: string[] = [];
    const server = await startServer({ host: '127.0.0.1', port: 0, idleTimeoutMs: 5000, maxConnections: 2, log: (m) => logs.push(m) });
    try {
      const slow = { ...FAST, burstDelay: 400 };
      const a = runClient({ host: '127.0.0.1', port: server.port, program: slow, closeDelayMs: 0, timeoutMs: 5000, out: sink().out, log: () => undefined });
      const b = runClient({ host: '127.0.0.1', port: server.port, program: slow, closeDelayMs: 0, timeoutMs: 5000, out: sink().out, log: () => undefined });
      await new Promise((r) => setTimeout(r, 150));
      const c = await raw(server.port, encodeProgram(FAST), true, 2000);
      assert.equal(c.data.length, 0);
      assert.ok(logs.some((l) => /refused, 2 connections already serving a program/.test(l)));
      assert.deepEqual((await Promise.all([a, b])).map((r) => r.code), [0, 0]);
      assert.equal(server.stats.evicted, 0);
    } finally {
      await server.stop();
    }
  });
});
