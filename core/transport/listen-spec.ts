/**
 * Listen specs as an operator writes them: `udp:127.0.0.1:5060`, `tcp:[::1]:5060`,
 * `tls:127.0.0.1:5061`.
 * Hosts are IP literals only: a listener binds one address, and name resolution at bind time
 * would make the advertised address depend on the resolver.
 */
import { isIP } from 'node:net';
import type { Transport } from '../sip/types.ts';
import type { ListenSpec } from './types.ts';

const TRANSPORTS: ReadonlySet<string> = new Set<Transport>([
  'udp',
  'tcp',
  'tls',
  'ws',
  'wss',
  'sctp',
]);
const SPEC = /^([A-Za-z]+):(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/;

export function parseListenSpec(text: string): ListenSpec {
  const fail = (why: string): never => {
    throw new Error(
      `invalid listen spec '${text}': ${why} (expected transport:ip:port, e.g. udp:127.0.0.1:5060 or tcp:[::1]:5060)`,
    );
  };
  const m = SPEC.exec(text.trim());
  if (m === null) return fail('malformed');
  const transport = m[1]!.toLowerCase();
  if (!TRANSPORTS.has(transport)) fail(`unknown transport '${m[1]}'`);
  const bracketed = m[2] !== undefined;
  const host = bracketed ? m[2]! : m[3]!;
  const family = isIP(host);
  if (family === 0) fail(`'${host}' is not an IP address`);
  if (bracketed && family !== 6) fail(`only IPv6 addresses go in brackets`);
  const port = Number(m[4]);
  if (port > 65535) fail(`port ${port} out of range`);
  return { transport: transport as Transport, host, port };
}

export function formatListenSpec(spec: ListenSpec): string {
  const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  return `${spec.transport}:${host}:${spec.port}`;
}
