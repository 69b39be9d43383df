/**
 * Prometheus metrics (prom-client), one registry per server so several servers in one process
 * (tests) do not share counters. Message counters read only the first line of the bytes, so
 * counting costs a few byte comparisons per message; label values are bounded (unknown
 * methods count as "other").
 *
 * The per-message series (message counters, route duration) are counted in plain numbers and
 * handed to prom-client only when it collects (a scrape or an RPC read): prom-client hashes
 * the label object on every `inc`/`observe`, which was ~2% of the SIP thread under load.
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
  readonly routeDuration: RouteDuration;
  readonly scriptErrors: Counter<'tenant' | 'engine'>;
  readonly scriptAborts: Counter<'tenant' | 'engine' | 'reason'>;
  readonly reloads: Counter<'kind' | 'result' | 'tenant'>;

  /** Counts not yet handed to prom-client, by label value (method or status code). */
  readonly #inRequests = new Map<string, number>();
  readonly #inReplies = new Map<string, number>();
  readonly #outRequests = new Map<string, number>();
  readonly #outReplies = new Map<string, number>();

  constructor(sources: GaugeSources = {}) {
    const registers = [this.registry];
    this.receivedRequests = pendingCounter(
      'polysip_sip_requests_received_total',
      'SIP requests received, by method',
      'method',
      this.#inRequests,
      registers,
    );
    this.receivedReplies = pendingCounter(
      'polysip_sip_replies_received_total',
      'SIP replies received, by status code',
      'code',
      this.#inReplies,
      registers,
    );
    this.sentRequests = pendingCounter(
      'polysip_sip_requests_sent_total',
      'SIP requests sent (relayed or generated), by method',
      'method',
      this.#outRequests,
      registers,
    );
    this.sentReplies = pendingCounter(
      'polysip_sip_replies_sent_total',
      'SIP replies sent (relayed or local), by status code',
      'code',
      this.#outReplies,
      registers,
    );
    this.routeDuration = new RouteDuration(
      new Histogram({
        name: 'polysip_route_duration_seconds',
        help: 'Wall time of one script route call, by tenant, engine and route function',
        labelNames: ['tenant', 'engine', 'route'],
        buckets: ROUTE_BUCKETS,
        registers,
      }),
    );
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
      bump(direction === 'in' ? this.#inReplies : this.#outReplies, code);
      return;
    }
    const sp = data.indexOf(0x20);
    if (sp <= 0 || sp > 16) return;
    const m = data.toString('latin1', 0, sp);
    bump(
      direction === 'in' ? this.#inRequests : this.#outRequests,
      KNOWN_METHODS.has(m) ? m : 'other',
    );
  }

  /** The exposition text for GET /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function bump(pending: Map<string, number>, key: string): void {
  pending.set(key, (pending.get(key) ?? 0) + 1);
}

/** A one-label counter fed from `pending` when prom-client collects it. */
function pendingCounter<L extends string>(
  name: string,
  help: string,
  label: L,
  pending: Map<string, number>,
  registers: Registry[],
): Counter<L> {
  return new Counter({
    name,
    help,
    labelNames: [label],
    registers,
    collect() {
      for (const [value, n] of pending) this.inc({ [label]: value } as Record<L, string>, n);
      pending.clear();
    },
  });
}

const ROUTE_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5,
];

type RouteLabels = { tenant: string; engine: string; route: string };

/** prom-client 15's record of one histogram series (what `zero()` creates in `hashMap`). */
interface SeriesRecord {
  readonly labels: RouteLabels;
  readonly bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/** Bucket bounds as the property names prom-client's records use. */
const BUCKET_KEYS = ROUTE_BUCKETS.map(String);

/**
 * The route-duration histogram, observed on every route call: prom-client's `observe` hashes
 * the label object each time. This finds the series record by one string key instead and adds
 * to it exactly as `observe` does (same bucket rule, same order of additions), so the
 * exposition is prom-client's own. It relies on prom-client 15 keeping series in `hashMap` as
 * { labels, bucketValues (by upper bound), sum, count }; core/metrics.test.ts compares the
 * output with a histogram fed through `observe`, so a prom-client that changes this fails there.
 */
export class RouteDuration {
  #records = new Map<string, SeriesRecord>();
  #map: unknown = null;

  constructor(readonly histogram: Histogram<'tenant' | 'engine' | 'route'>) {}

  observe(labels: RouteLabels, seconds: number): void {
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${seconds}`);
    const h = this.histogram as unknown as { hashMap: Record<string, SeriesRecord> };
    // reset() replaces the map: every record found before is gone from the exposition.
    if (h.hashMap !== this.#map) {
      this.#records.clear();
      this.#map = h.hashMap;
    }
    const key = `${labels.tenant}\u0000${labels.engine}\u0000${labels.route}`;
    let rec = this.#records.get(key);
    if (rec === undefined) {
      rec = this.#find(h.hashMap, labels);
      if (rec === undefined) {
        this.histogram.zero(labels);
        rec = this.#find(h.hashMap, labels)!;
      }
      this.#records.set(key, rec);
    }
    let b = 0;
    while (b < ROUTE_BUCKETS.length && seconds > ROUTE_BUCKETS[b]!) b++;
    rec.sum += seconds;
    rec.count += 1;
    if (b < ROUTE_BUCKETS.length) rec.bucketValues[BUCKET_KEYS[b]!]! += 1;
  }

  #find(map: Record<string, SeriesRecord>, l: RouteLabels): SeriesRecord | undefined {
    for (const v of Object.values(map)) {
      if (
        v.labels.tenant === l.tenant &&
        v.labels.engine === l.engine &&
        v.labels.route === l.route
      )
        return v;
    }
    return undefined;
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
