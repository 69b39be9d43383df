/**
 * The connection table: every live stream connection by id (responses on the request's
 * connection), by remote ip:port per transport (reuse for requests to the same target), and a
 * count of accepted connections per source IP (the per-source limit).
 */
import type { Transport } from '../sip/types.ts';
import type { StreamConnection } from './tcp.ts';

export class ConnectionTable {
  readonly #byId = new Map<number, StreamConnection>();
  /** transport → remote ip → remote port → connection. Nested so a lookup builds no key string. */
  readonly #byRemote = new Map<Transport, Map<string, Map<number, StreamConnection>>>();
  readonly #inboundPerIp = new Map<string, number>();
  #nextId = 1;

  nextId(): number {
    return this.#nextId++;
  }

  get size(): number {
    return this.#byId.size;
  }

  add(conn: StreamConnection): void {
    this.#byId.set(conn.id, conn);
    let byIp = this.#byRemote.get(conn.transport);
    if (byIp === undefined) this.#byRemote.set(conn.transport, (byIp = new Map()));
    let byPort = byIp.get(conn.remoteIp);
    if (byPort === undefined) byIp.set(conn.remoteIp, (byPort = new Map()));
    // The newest connection to a peer wins; the older one still answers by id until it closes.
    byPort.set(conn.remotePort, conn);
    if (conn.direction === 'in') {
      this.#inboundPerIp.set(conn.remoteIp, (this.#inboundPerIp.get(conn.remoteIp) ?? 0) + 1);
    }
  }

  remove(conn: StreamConnection): void {
    if (this.#byId.get(conn.id) !== conn) return;
    this.#byId.delete(conn.id);
    const byIp = this.#byRemote.get(conn.transport);
    const byPort = byIp?.get(conn.remoteIp);
    if (byPort !== undefined && byPort.get(conn.remotePort) === conn) {
      byPort.delete(conn.remotePort);
      if (byPort.size === 0) byIp!.delete(conn.remoteIp);
    }
    if (conn.direction === 'in') {
      const n = (this.#inboundPerIp.get(conn.remoteIp) ?? 1) - 1;
      if (n <= 0) this.#inboundPerIp.delete(conn.remoteIp);
      else this.#inboundPerIp.set(conn.remoteIp, n);
    }
  }

  byId(id: number): StreamConnection | undefined {
    return this.#byId.get(id);
  }

  byRemote(transport: Transport, ip: string, port: number): StreamConnection | undefined {
    return this.#byRemote.get(transport)?.get(ip)?.get(port);
  }

  inboundFrom(ip: string): number {
    return this.#inboundPerIp.get(ip) ?? 0;
  }

  all(): StreamConnection[] {
    return [...this.#byId.values()];
  }
}
