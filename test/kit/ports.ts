/**
 * Free-port helpers for loopback tests. A port found free can be taken by someone else
 * before it is used, so callers that bind through another process should retry on a bind
 * failure (startSippUas does).
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export type Family = 4 | 6;

function loopback(family: Family): string {
  return family === 6 ? '::1' : '127.0.0.1';
}

/** A UDP port that was free on loopback a moment ago. */
export function freeUdpPort(family: Family = 4): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket(family === 6 ? 'udp6' : 'udp4');
    s.once('error', reject);
    s.bind(0, loopback(family), () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A TCP port that was free on loopback a moment ago. */
export function freeTcpPort(family: Family = 4): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, loopback(family), () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('no TCP address'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

function udpFree(port: number, family: Family): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket(family === 6 ? 'udp6' : 'udp4');
    s.once('error', () => resolve(false));
    s.bind(port, loopback(family), () => s.close(() => resolve(true)));
  });
}

/** A port number free for both UDP and TCP (SIP listens on both with one number). */
export async function freePort(family: Family = 4): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freeTcpPort(family);
    if (await udpFree(port, family)) return port;
  }
  throw new Error('no port free for both UDP and TCP after 50 tries');
}

/** `count` distinct ports, each free for UDP and TCP. */
export async function freePorts(count: number, family: Family = 4): Promise<number[]> {
  const ports = new Set<number>();
  for (let i = 0; ports.size < count && i < count * 20; i++) ports.add(await freePort(family));
  if (ports.size < count) throw new Error(`could not find ${count} distinct free ports`);
  return [...ports];
}

/**
 * Is something bound to `port` on any local address? Reads /proc/net (Linux), which sees
 * sockets of every process, so it can tell when a child process has bound its port.
 */
export function isBound(port: number, proto: 'udp' | 'tcp'): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of [`/proc/net/${proto}`, `/proc/net/${proto}6`]) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const local = cols[1]!;
      // For TCP only a LISTEN socket (state 0A) means "accepting".
      if (local.endsWith(`:${hex}`) && (proto === 'udp' || cols[3] === '0A')) return true;
    }
  }
  return false;
}

/** Wait until `port` is bound (see isBound), polling every 20 ms; false on timeout. */
export async function waitUntilBound(
  port: number,
  proto: 'udp' | 'tcp',
  timeoutMs: number,
  stillAlive: () => boolean = () => true,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (isBound(port, proto)) return true;
    if (!stillAlive()) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return isBound(port, proto);
}
