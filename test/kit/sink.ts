/**
 * A TCP listener on 127.0.0.1 that accepts and records everything, for tests that must show a
 * guest reached no socket: the connections and bytes it got, closed at the test's teardown.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpSink {
  readonly port: number;
  /** Every connection accepted so far. */
  readonly accepted: readonly Socket[];
  /** Every chunk received so far, over all connections. */
  readonly received: readonly Buffer[];
  /** Destroys the connections and closes the listener. */
  close(): void;
}

export async function startTcpSink(): Promise<TcpSink> {
  const accepted: Socket[] = [];
  const received: Buffer[] = [];
  const server = createServer((c) => {
    accepted.push(c);
    c.on('data', (d: Buffer) => received.push(d));
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    port: (server.address() as AddressInfo).port,
    accepted,
    received,
    close() {
      for (const c of accepted) c.destroy();
      server.close();
    },
  };
}
