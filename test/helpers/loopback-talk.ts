/**
 * A small TCP conversation on 127.0.0.1 for live-capture tests: the client sends `hello`, the
 * server answers `world`, the client half-closes (FIN), the server still sends `bye` and then
 * closes too. Server and client both allow half-open connections, as the seed's Go client does.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export const CLIENT_DATA = 'hello';
export const SERVER_DATA = 'world';
export const SERVER_AFTER_FIN = 'bye';

export interface TalkServer {
  port: number;
  /** Runs one conversation; resolves when both ends have closed, with the client's port. */
  talk(): Promise<{ clientPort: number; clientGot: string }>;
  close(): Promise<void>;
}

export async function startTalkServer(): Promise<TalkServer> {
  const open = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => undefined);
    s.once('data', () => s.write(SERVER_DATA));
    s.on('end', () => s.end(SERVER_AFTER_FIN));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    talk: () =>
      new Promise((resolve, reject) => {
        let got = '';
        let clientPort = 0;
        const c = connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => {
          clientPort = c.localPort ?? 0;
          c.write(CLIENT_DATA);
        });
        c.setEncoding('latin1');
        c.on('data', (d: string) => {
          got += d;
          if (got === SERVER_DATA) c.end();
        });
        c.on('end', () => c.end());
        c.on('error', reject);
        c.on('close', () => resolve({ clientPort, clientGot: got }));
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Resolves when `done()` is true (checked every 10 ms), rejects after `ms`. */
export async function waitFor(done: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
