/**
 * The reproducer's server: reads a 40-byte program, then writes the preamble, waits, writes the
 * bursts and closes. It keeps writing after the client half-closes (that is the point).
 * It faces the network: every program is validated, short or bad ones get a log line and a
 * close, idle peers are dropped, concurrent connections are bounded, and nothing a peer sends
 * can make it throw. When every slot is taken, the oldest peer that has not yet sent a whole
 * program is closed to make room (a flood of silent or slow connections cannot lock real
 * clients out until the idle timeout); only when every slot is serving a program is a new
 * connection refused. Memory stays bounded by the slot count.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ExitCode, UserError } from '../capture/errors.js';
import type { Logger } from './log.js';
import { decodeProgram, pattern, PROGRAM_LEN, type Program } from './program.js';

export interface ServerOptions {
  host: string;
  port: number;
  /** Drop a connection that has not sent a whole program within this many ms. */
  idleTimeoutMs: number;
  maxConnections: number;
  log: Logger;
}

export const SERVER_DEFAULTS = { host: '0.0.0.0', port: 19622, idleTimeoutMs: 10_000, maxConnections: 64 } as const;

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** Connections served to completion, refused (bad program, idle, over the limit), and closed to make room. */
  readonly stats: { served: number; refused: number; evicted: number };
  stop(): Promise<void>;
}

const sleep = (ms: number, timers: Set<NodeJS.Timeout>): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(() => {
      timers.delete(t);
      resolve();
    }, ms);
    timers.add(t);
  });

export function startServer(o: ServerOptions): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const stats = { served: 0, refused: 0, evicted: 0 };
  /** Sockets that have not yet sent a whole program, oldest first (a Set keeps insertion order). */
  const waiting = new Set<Socket>();
  let evictLogged = 0;
  let stopping = false;

  const serve = async (sock: Socket, p: Program, peer: string): Promise<void> => {
    o.log(`${peer}: program burst-size=${p.burstSize} burst-delay=${p.burstDelay} burst-count=${p.burstCount} initial-delay=${p.initialDelay} preamble-size=${p.preambleSize}`);
    const write = (b: Buffer): boolean => !sock.destroyed && sock.write(b);
    if (p.preambleSize > 0) write(pattern(p.preambleSize));
    await sleep(p.initialDelay, timers);
    for (let i = 0; i < p.burstCount && !sock.destroyed && !stopping; i++) {
      if (p.burstSize > 0) write(pattern(p.burstSize));
      await sleep(p.burstDelay, timers);
    }
    if (!sock.destroyed) sock.end();
    stats.served++;
    o.log(`${peer}: done`);
  };

  const server: Server = createServer({ allowHalfOpen: true }, (sock) => {
    const peer = `${sock.remoteAddress}:${sock.remotePort}`;
    if (sockets.size >= o.maxConnections && !stopping) {
      const oldest = waiting.values().next().value;
      if (oldest) {
        waiting.delete(oldest);
        sockets.delete(oldest);
        stats.evicted++;
        // A flood would log a line per connection: say it for the first few, then every 1000th.
        if (evictLogged < 5 || stats.evicted % 1000 === 0) o.log(`${oldest.remoteAddress}:${oldest.remotePort}: closed to make room (no whole program yet, all ${o.maxConnections} slots taken; ${stats.evicted} so far)`);
        evictLogged++;
        oldest.destroy();
      }
    }
    if (sockets.size >= o.maxConnections || stopping) {
      stats.refused++;
      o.log(`${peer}: refused, ${o.maxConnections} connections already serving a program`);
      sock.destroy();
      return;
    }
    sockets.add(sock);
    waiting.add(sock);
    sock.on('close', () => (sockets.delete(sock), waiting.delete(sock)));
    sock.on('error', (e) => o.log(`${peer}: ${e.message}`));
    sock.setNoDelay(true);
    sock.setTimeout(o.idleTimeoutMs);
    const head = Buffer.alloc(PROGRAM_LEN);
    let have = 0;
    let started = false;
    const refuse = (why: string): void => {
      stats.refused++;
      o.log(`${peer}: ${why}; closing`);
      sock.destroy();
    };
    sock.on('timeout', () => {
      if (!started) refuse(`no complete program within ${o.idleTimeoutMs} ms (${have} of ${PROGRAM_LEN} bytes)`);
    });
    sock.on('data', (chunk: Buffer) => {
      if (started) return; // bytes after the program are ignored
      const n = Math.min(chunk.length, PROGRAM_LEN - have);
      chunk.copy(head, have, 0, n);
      have += n;
      if (have < PROGRAM_LEN) return;
      started = true;
      waiting.delete(sock);
      sock.setTimeout(0);
      const d = decodeProgram(head);
      if (!d.ok) {
        refuse(`bad program: ${d.reason}`);
        return;
      }
      serve(sock, d.program, peer).catch((e: Error) => o.log(`${peer}: ${e.message}`));
    });
    sock.on('end', () => {
      if (!started) refuse(`short program: ${have} of ${PROGRAM_LEN} bytes before end of stream`);
      else o.log(`${peer}: client closed its write side`);
    });
  });
  server.maxConnections = o.maxConnections * 2;

  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UserError(`port ${o.port} is already in use on ${o.host} (another server running? pick another with --addr)`, ExitCode.PortInUse));
      else if (e.code === 'EACCES') reject(new UserError(`not allowed to listen on ${o.host}:${o.port} (ports below 1024 need root)`, ExitCode.NoPermission));
      else reject(new UserError(`cannot listen on ${o.host}:${o.port}: ${e.message}`, ExitCode.Failure));
    });
    server.listen(o.port, o.host, () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : o.port;
      o.log(`listening on ${o.host}:${port}`);
      resolve({
        host: o.host,
        port,
        stats,
        stop: () =>
          new Promise<void>((done) => {
            stopping = true;
            for (const t of timers) clearTimeout(t);
            timers.clear();
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
