/**
 * Unit-test helper for modules: a RouteContext around a parsed message, with a fake core that
 * records what the module asked it to do (replies, forwards, raw sends, log lines), and a way
 * to call a module's KSR function by name as an engine would.
 */
import type { CoreServices, PvValue, RouteContext, ScriptLogLevel } from '../core/api/context.ts';
import { newRouteContext } from '../core/api/context.ts';
import type { PolysipModule } from '../core/api/module.ts';
import type { HostValue } from '../core/api/registry.ts';
import type { RouteType, ScriptInstance } from '../core/api/script.ts';
import { parseMessage } from '../core/sip/parser.ts';
import type { ReceiveInfo, SipMessage } from '../core/sip/types.ts';

export interface RecordedReply {
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer | string | undefined;
}

export interface FakeCore extends CoreServices {
  readonly replies: RecordedReply[];
  readonly forwards: { readonly uri: string | null }[];
  readonly sent: { readonly uri: string; readonly data: Buffer }[];
  readonly logs: { readonly level: ScriptLogLevel; readonly text: string }[];
}

export interface MakeCtxOptions {
  readonly routeType?: RouteType;
  readonly rcv?: Partial<ReceiveInfo>;
  /** Hosts (host or host:port) that `isMyself` accepts; default 127.0.0.1 and the listen socket. */
  readonly myself?: readonly string[];
  /** Result of core.sendData (default true). */
  readonly sendDataResult?: boolean;
  readonly sharedVars?: Map<string, PvValue>;
  readonly tenant?: string;
  readonly script?: ScriptInstance<RouteContext>;
}

/** A script with no functions: enough for modules that only arm callbacks by name. */
const NO_SCRIPT: ScriptInstance<RouteContext> = {
  engine: 'test',
  file: 'test',
  version: 1,
  hasFunction: () => false,
  run: async (fn) => ({ kind: 'missing', name: fn }),
  dispose: () => {},
};

export interface TestCtx extends RouteContext {
  readonly core: FakeCore;
}

/** Normalises `\n` line ends of a test literal to CRLF unless it already uses CRLF. */
export function sipText(raw: string): Buffer {
  const s = raw.includes('\r\n') ? raw : raw.replace(/\n/g, '\r\n');
  return Buffer.from(s, 'latin1');
}

export function makeFakeCore(opts: MakeCtxOptions = {}): FakeCore {
  const replies: RecordedReply[] = [];
  const forwards: { uri: string | null }[] = [];
  const sent: { uri: string; data: Buffer }[] = [];
  const logs: { level: ScriptLogLevel; text: string }[] = [];
  const myself = new Set(
    (opts.myself ?? ['127.0.0.1', '127.0.0.1:5060']).map((h) => h.toLowerCase()),
  );
  const sharedVars = opts.sharedVars ?? new Map<string, PvValue>();
  return {
    replies,
    forwards,
    sent,
    logs,
    sharedVars,
    isMyself(host, port) {
      const h = host.toLowerCase();
      return myself.has(h) || (port !== null && myself.has(`${h}:${port}`));
    },
    async sendReply(ctx, status, reason, o) {
      replies.push({ status, reason, headers: o?.headers ?? [], body: o?.body });
      ctx.replied = true;
    },
    replyToTag: () => 'testtag',
    async forward(ctx, uri) {
      forwards.push({ uri: uri ?? null });
      ctx.forwarded = true;
      return true;
    },
    async sendData(uri, data) {
      sent.push({ uri, data });
      return opts.sendDataResult ?? true;
    },
    debugLevel: () => 2,
    listenSockets: () => ['udp:127.0.0.1:5060'],
  };
}

/** A RouteContext around `raw` (a SIP message; `\n` line ends become CRLF). */
export function makeCtx(raw: string | Buffer | SipMessage, opts: MakeCtxOptions = {}): TestCtx {
  const msg =
    typeof raw === 'string' || Buffer.isBuffer(raw)
      ? parseMessage(typeof raw === 'string' ? sipText(raw) : raw)
      : raw;
  const core = makeFakeCore(opts);
  const rcv: ReceiveInfo = {
    transport: 'udp',
    srcIp: '192.0.2.10',
    srcPort: 5062,
    dstIp: '127.0.0.1',
    dstPort: 5060,
    connectionId: null,
    receivedAt: 0,
    ...opts.rcv,
  };
  const ctx = newRouteContext({
    msg,
    rcv,
    routeType: opts.routeType ?? (msg.isRequest ? 'request' : 'reply'),
    core,
    log: (level, text) => {
      core.logs.push({ level, text });
    },
    tenant: opts.tenant ?? '',
    script: opts.script ?? NO_SCRIPT,
  });
  return ctx as TestCtx;
}

/** Calls `KSR.<module>.<name>(...args)` through the module's declaration, as an engine would. */
export async function callKsr(
  mod: PolysipModule,
  name: string,
  ctx: RouteContext,
  ...args: (string | number)[]
): Promise<HostValue> {
  const decl = mod.exports.find((d) => d.name === name);
  if (!decl) throw new Error(`KSR.${mod.name}.${name} is not declared by module ${mod.name}`);
  if (args.length !== decl.params.length)
    throw new Error(
      `KSR.${decl.module}.${name} takes ${decl.params.length} argument(s), got ${args.length}`,
    );
  decl.params.forEach((p, i) => {
    const a = args[i];
    if (p.type === 'int' ? typeof a !== 'number' : typeof a !== 'string')
      throw new Error(`KSR.${decl.module}.${name}: argument ${p.name} must be ${p.type}`);
  });
  const v = (await decl.impl(ctx, ...args)) as HostValue;
  checkReturn(decl.returns, v, `${decl.module}.${name}`);
  return v;
}

/** Fails loudly when an implementation hands back a type its declaration does not allow. */
function checkReturn(kind: string, v: HostValue, what: string): void {
  const ok =
    kind === 'int'
      ? typeof v === 'number' && Number.isInteger(v)
      : kind === 'bool'
        ? typeof v === 'boolean'
        : kind === 'xval'
          ? v === null || typeof v === 'string' || typeof v === 'number'
          : true;
  if (!ok) throw new Error(`KSR.${what} is declared ${kind} but returned ${JSON.stringify(v)}`);
}

/** The serialized message as a latin1 string, for byte-level assertions. */
export function wire(ctx: RouteContext): string {
  return ctx.msg.serialize().toString('latin1');
}
