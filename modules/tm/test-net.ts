/**
 * In-process test kit for stateful proxying (not used by production code): a fake transport
 * that moves bytes between the SipServer under test and scripted peers in memory, a fake
 * script whose routes are TypeScript functions, and a small UA that builds requests and
 * answers them. Nothing here opens a socket.
 */
import { pino } from 'pino';
import type { RouteContext } from '../../core/api/context.ts';
import type { RouteOutcome, ScriptInstance } from '../../core/api/script.ts';
import { SipServer } from '../../core/server.ts';
import { buildResponse } from '../../core/sip/build.ts';
import { parseMessage } from '../../core/sip/parser.ts';
import type { ReceiveInfo, SipMessage, Transport } from '../../core/sip/types.ts';
import type { TimerConfig } from '../../core/transaction/timers.ts';
import {
  TransportError,
  type ListenSpec,
  type Listener,
  type SendTarget,
  type TransportLayer,
} from '../../core/transport/types.ts';

export const PROXY_IP = '127.0.0.1';
export const PROXY_PORT = 5060;

type Peer = (msg: SipMessage, from: SendTarget) => void;

export class FakeNet implements TransportLayer {
  readonly #peers = new Map<string, Peer>();
  #handler: ((data: Buffer, info: ReceiveInfo) => void) | null = null;
  readonly #listeners: Listener[] = [
    { id: 1, transport: 'udp', host: PROXY_IP, port: PROXY_PORT, family: 4 },
    { id: 2, transport: 'tcp', host: PROXY_IP, port: PROXY_PORT, family: 4 },
  ];
  /** Addresses whose sends fail like an unreachable TCP peer. */
  readonly refuse = new Set<string>();
  /** Returns true to lose a datagram (packet loss). */
  lose: ((data: Buffer, to: SendTarget) => boolean) | null = null;
  sent = 0;

  peer(port: number, fn: Peer): void {
    this.#peers.set(`${PROXY_IP}:${port}`, fn);
  }

  async listen(spec: ListenSpec): Promise<Listener> {
    return { ...spec, id: 9, family: 4 };
  }
  onMessage(handler: (data: Buffer, info: ReceiveInfo) => void): void {
    this.#handler = handler;
  }
  onFramingError(): void {}
  listeners(): readonly Listener[] {
    return this.#listeners;
  }
  listenerFor(target: SendTarget): Listener | null {
    return this.#listeners.find((l) => l.transport === target.transport) ?? null;
  }
  async close(): Promise<void> {}

  async send(target: SendTarget, data: Buffer): Promise<void> {
    const key = `${target.host}:${target.port}`;
    if (this.refuse.has(key)) {
      throw new TransportError(`refused ${key}`, 'POLYSIP_ERR_TRANSPORT_UNREACHABLE');
    }
    this.sent++;
    if (this.lose?.(data, target)) return;
    const peer = this.#peers.get(key);
    if (!peer) return; // a datagram into the void
    const copy = Buffer.from(data);
    queueMicrotask(() => peer(parseMessage(copy), { ...target, host: PROXY_IP, port: PROXY_PORT }));
  }

  /** A peer at `fromPort` sends bytes to the proxy. */
  inject(data: Buffer | string, fromPort: number, transport: Transport = 'udp'): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    const rcv: ReceiveInfo = {
      transport,
      srcIp: PROXY_IP,
      srcPort: fromPort,
      dstIp: PROXY_IP,
      dstPort: PROXY_PORT,
      connectionId: null,
      receivedAt: Date.now(),
    };
    queueMicrotask(() => this.#handler?.(buf, rcv));
  }
}

export class Exit extends Error {}

export type RouteFn = (ctx: RouteContext) => unknown;

/** A script whose routes are TS functions; throwing `new Exit()` is KSR.x.exit(). */
export function fakeScript(routes: Record<string, RouteFn>): ScriptInstance<RouteContext> {
  return {
    engine: 'fake',
    file: 'fake.ts',
    version: 1,
    hasFunction: (n) => Object.hasOwn(routes, n),
    async run(fn, ctx): Promise<RouteOutcome> {
      const r = routes[fn];
      if (!r) return { kind: 'missing', name: fn };
      try {
        await r(ctx);
        return { kind: 'returned' };
      } catch (e) {
        if (e instanceof Exit) return { kind: 'exit', drop: false };
        return {
          kind: 'error',
          message: String(e),
          where: { file: 'fake.ts', line: null },
          traceback: (e as Error).stack ?? '',
        };
      }
    },
    dispose() {},
  };
}

export function startServer(
  net: FakeNet,
  routes: Record<string, RouteFn>,
  timers?: Partial<TimerConfig>,
): SipServer {
  return new SipServer({
    transport: net,
    log: pino({ level: 'silent' }),
    script: (() => {
      const s = fakeScript(routes);
      return () => s;
    })(),
    timers,
  });
}

let seq = 0;

export interface RequestSpec {
  method: string;
  ruri: string;
  fromPort: number;
  callId?: string;
  cseq?: number;
  branch?: string;
  fromTag?: string;
  to?: string;
  extra?: string[];
  transport?: Transport;
  maxForwards?: number;
}

/** A request as a UA at 127.0.0.1:fromPort would send it. */
export function request(s: RequestSpec): string {
  const n = ++seq;
  const t = (s.transport ?? 'udp').toUpperCase();
  const lines = [
    `${s.method} ${s.ruri} SIP/2.0`,
    `Via: SIP/2.0/${t} ${PROXY_IP}:${s.fromPort};branch=${s.branch ?? `z9hG4bKc${n}x${Math.random().toString(36).slice(2, 8)}`};rport`,
    `Max-Forwards: ${s.maxForwards ?? 70}`,
    `From: <sip:alice@${PROXY_IP}>;tag=${s.fromTag ?? `f${n}`}`,
    `To: ${s.to ?? '<sip:bob@example.com>'}`,
    `Call-ID: ${s.callId ?? `call-${n}`}`,
    `CSeq: ${s.cseq ?? 1} ${s.method === 'ACK' || s.method === 'CANCEL' ? s.method : s.method}`,
    `Contact: <sip:alice@${PROXY_IP}:${s.fromPort}>`,
    ...(s.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ];
  return lines.join('\r\n');
}

/** Bytes of a response to `req` (as received by a peer), To-tag added for > 100. */
export function answer(req: SipMessage, status: number, reason: string, toTag = 'uas1'): Buffer {
  return buildResponse(req, status, reason, { toTag }).serialize();
}

/** Waits until `cond` holds, polling; fails after `ms`. */
export async function until(cond: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
