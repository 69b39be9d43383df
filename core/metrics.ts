/**
 * Prometheus metrics (prom-client), one registry per server so several servers in one process
 * (tests) do not share counters. Message counters read only the first line of the bytes, so
 * counting costs a few byte comparisons per message; label values are bounded (unknown
 * methods count as "other").
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { KNOWN_METHODS } from './sip/index.ts';
import type { TransportLayer } from './transport/types.ts';

export interface GaugeSources {
  /** Server and client transactions alive (including their wait states). */
  transactions?: () => { servers: number; clients: number };
  /** Contacts bound in the location table. */
  registrations?: () => number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly receivedRequests: Counter<'method'>;
  readonly receivedReplies: Counter<'code'>;
  readonly sentRequests: Counter<'method'>;
  readonly sentReplies: Counter<'code'>;
  readonly routeDuration: Histogram<'tenant' | 'engine' | 'route'>;
  readonly scriptErrors: Counter<'tenant' | 'engine'>;
  readonly scriptAborts: Counter<'tenant' | 'engine' | 'reason'>;
  readonly reloads: Counter<'kind' | 'result' | 'tenant'>;

  constructor(sources: GaugeSources = {}) {
    const registers = [this.registry];
    this.receivedRequests = new Counter({
      name: 'polysip_sip_requests_received_total',
      help: 'SIP requests received, by method',
      labelNames: ['method'],
      registers,
    });
    this.receivedReplies = new Counter({
      name: 'polysip_sip_replies_received_total',
      help: 'SIP replies received, by status code',
      labelNames: ['code'],
      registers,
    });
    this.sentRequests = new Counter({
      name: 'polysip_sip_requests_sent_total',
      help: 'SIP requests sent (relayed or generated), by method',
      labelNames: ['method'],
      registers,
    });
    this.sentReplies = new Counter({
      name: 'polysip_sip_replies_sent_total',
      help: 'SIP replies sent (relayed or local), by status code',
      labelNames: ['code'],
      registers,
    });
    this.routeDuration = new Histogram({
      name: 'polysip_route_duration_seconds',
      help: 'Wall time of one script route call, by tenant, engine and route function',
      labelNames: ['tenant', 'engine', 'route'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5],
      registers,
    });
    this.scriptErrors = new Counter({
      name: 'polysip_script_errors_total',
      help: 'Route calls that ended in an uncaught script error',
      labelNames: ['tenant', 'engine'],
      registers,
    });
    this.scriptAborts = new Counter({
      name: 'polysip_script_budget_aborts_total',
      help: 'Route calls aborted for exceeding their CPU or memory budget',
      labelNames: ['tenant', 'engine', 'reason'],
      registers,
    });
    this.reloads = new Counter({
      name: 'polysip_script_reloads_total',
      // tenant is left out for the main script, so its series keep their pre-tenant names.
      help: 'Script reloads and rollbacks, by result (and tenant, for tenants)',
      labelNames: ['kind', 'result', 'tenant'],
      registers,
    });
    const tx = sources.transactions;
    new Gauge({
      name: 'polysip_transactions_in_flight',
      help: 'Transactions alive, by kind',
      labelNames: ['kind'],
      registers,
      collect() {
        if (!tx) return;
        const s = tx();
        this.set({ kind: 'server' }, s.servers);
        this.set({ kind: 'client' }, s.clients);
      },
    });
    const regs = sources.registrations;
    new Gauge({
      name: 'polysip_registrations',
      help: 'Contacts bound in the location table',
      registers,
      collect() {
        if (regs) this.set(regs());
      },
    });
  }

  /** Counts one message by its first line. */
  count(direction: 'in' | 'out', data: Buffer): void {
    // "SIP/2.0 " then a 3-digit status: a reply.
    if (
      data.length > 11 &&
      data[0] === 0x53 &&
      data[1] === 0x49 &&
      data[2] === 0x50 &&
      data[3] === 0x2f
    ) {
      const code = data.toString('latin1', 8, 11);
      (direction === 'in' ? this.receivedReplies : this.sentReplies).inc({ code });
      return;
    }
    const sp = data.indexOf(0x20);
    if (sp <= 0 || sp > 16) return;
    const m = data.toString('latin1', 0, sp);
    (direction === 'in' ? this.receivedRequests : this.sentRequests).inc({
      method: KNOWN_METHODS.has(m) ? m : 'other',
    });
  }

  /** The exposition text for GET /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** A TransportLayer that counts what passes through `inner` (every other call is delegated). */
export function countingTransport(inner: TransportLayer, metrics: Metrics): TransportLayer {
  return {
    listen: (spec) => inner.listen(spec),
    onMessage: (handler) =>
      inner.onMessage((data, info) => {
        metrics.count('in', data);
        handler(data, info);
      }),
    onFramingError: (handler) => inner.onFramingError(handler),
    send: (target, data) => {
      metrics.count('out', data);
      return inner.send(target, data);
    },
    listeners: () => inner.listeners(),
    listenerFor: (target) => inner.listenerFor(target),
    close: () => inner.close(),
  };
}
