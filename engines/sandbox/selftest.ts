/**
 * The context a candidate script's `ksr_selftest` runs with: a synthetic OPTIONS to the
 * server itself from 127.0.0.1, whose replies are recorded instead of sent and whose relays
 * are refused, with a private shared-variable table, so a self-test cannot touch live
 * traffic or state. There is no transaction layer: tm functions fail as for a stateless server.
 */
import {
  newRouteContext,
  type CoreServices,
  type PvValue,
  type RouteContext,
} from '../../core/api/context.ts';
import type { ScriptInstance } from '../../core/api/script.ts';
import { parseMessage } from '../../core/sip/parser.ts';

export interface SelftestHost {
  isMyself(host: string, port: number | null, transport?: string | null): boolean;
  listenSockets(): readonly string[];
  debugLevel(): number;
}

export interface SelftestReply {
  readonly status: number;
  readonly reason: string;
}

/** Builds a fresh self-test ctx; `replies` collects what the script answered. */
export function selftestContext(
  host: SelftestHost,
  script: ScriptInstance<RouteContext>,
  replies: SelftestReply[] = [],
  log: (level: string, text: string) => void = () => {},
): RouteContext {
  const sock = host.listenSockets()[0] ?? 'udp:127.0.0.1:5060';
  const m = /^(\w+):(.+):(\d+)$/.exec(sock);
  const hostPart = m?.[2] ?? '127.0.0.1';
  const port = Number(m?.[3] ?? 5060);
  const text =
    `OPTIONS sip:${hostPart}:${port} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-selftest-${script.version}\r\n` +
    `Max-Forwards: 70\r\n` +
    `From: <sip:selftest@127.0.0.1>;tag=selftest\r\n` +
    `To: <sip:${hostPart}:${port}>\r\n` +
    `Call-ID: selftest-${script.version}@polysip\r\n` +
    `CSeq: 1 OPTIONS\r\n` +
    `Content-Length: 0\r\n\r\n`;
  const msg = parseMessage(Buffer.from(text), { stream: false });
  const core: CoreServices = {
    isMyself: (h, p, t) => host.isMyself(h, p, t),
    sendReply: async (ctx, status, reason) => {
      ctx.replied = true;
      replies.push({ status, reason });
    },
    replyToTag: () => 'selftest',
    forward: async () => false,
    sendData: async () => false,
    sharedVars: new Map<string, PvValue>(),
    debugLevel: () => host.debugLevel(),
    listenSockets: () => host.listenSockets(),
  };
  return newRouteContext({
    msg,
    rcv: {
      transport: 'udp',
      srcIp: '127.0.0.1',
      srcPort: 9,
      dstIp: hostPart.replace(/^\[|\]$/g, ''),
      dstPort: port,
      connectionId: null,
      receivedAt: Date.now(),
    },
    routeType: 'request',
    script,
    core,
    tenant: '',
    log: (level, t) => log(level, t),
  });
}
