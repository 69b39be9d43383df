/**
 * Per-source request rate tracking, as Kamailio's pike: hits are counted in sampling windows
 * of `samplingTimeUnit` seconds; a source whose hits in the current or the previous window
 * reach `reqsDensityPerUnit` is blocked ("red") until a window passes below the limit; a
 * source not seen for `removeLatency` seconds is forgotten.
 *
 * Windows roll lazily on each hit (no global swap timer), which gives the same outcome as
 * Kamailio's periodic swap. Unlike Kamailio's IP tree, only whole addresses are tracked, not
 * the prefixes above them (a flood spread over a subnet is not aggregated).
 */
import { isIP } from 'node:net';

export interface PikeParams {
  /** Seconds per sampling window (Kamailio default 2). */
  readonly samplingTimeUnit?: number;
  /** Hits in a window that make the source blocked (Kamailio default 30). */
  readonly reqsDensityPerUnit?: number;
  /** Seconds a source stays tracked after its last request (Kamailio default 120). */
  readonly removeLatency?: number;
  /** Clock in seconds (tests). */
  readonly now?: () => number;
}

/** pike_check_req results, as Kamailio's. */
export const PIKE_OK = 1;
/** The source is blocked (it was already blocked before this request). */
export const PIKE_BLOCKED = -1;
/** The source became blocked with this request. */
export const PIKE_NEWLY_BLOCKED = -2;

interface Node {
  window: number;
  prev: number;
  curr: number;
  red: boolean;
  lastSeen: number;
}

export interface PikeEntry {
  readonly ip: string;
  readonly hitsPrev: number;
  readonly hitsCurr: number;
  readonly blocked: boolean;
  /** Kamailio's WARM: not blocked, but at a quarter of the density in the current window. */
  readonly warm: boolean;
  /** Seconds since the epoch when the entry will be forgotten without new hits. */
  readonly expires: number;
}

/** One spelling per address: IPv4-mapped IPv6 is IPv4, IPv6 is lower case without brackets. */
export function normaliseIp(ip: string): string | null {
  let s = ip.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const m = /^::ffff:([0-9.]+)$/i.exec(s);
  if (m && isIP(m[1]!) === 4) return m[1]!;
  const v = isIP(s);
  if (v === 0) return null;
  return v === 6 ? s.toLowerCase() : s;
}

export class PikeTracker {
  readonly unit: number;
  readonly max: number;
  readonly latency: number;
  readonly #now: () => number;
  readonly #nodes = new Map<string, Node>();

  constructor(p: PikeParams = {}) {
    this.unit = p.samplingTimeUnit ?? 2;
    this.max = p.reqsDensityPerUnit ?? 30;
    this.latency = p.removeLatency ?? 120;
    this.#now = p.now ?? (() => Date.now() / 1000);
  }

  /** Counts one request from `ip`; returns PIKE_OK, PIKE_BLOCKED or PIKE_NEWLY_BLOCKED, null for a bad IP. */
  hit(ip: string): number | null {
    const key = normaliseIp(ip);
    if (key === null) return null;
    const now = this.#now();
    let n = this.#nodes.get(key);
    if (n && now - n.lastSeen >= this.latency) {
      this.#nodes.delete(key);
      n = undefined;
    }
    if (!n) {
      n = { window: this.#window(now), prev: 0, curr: 0, red: false, lastSeen: now };
      this.#nodes.set(key, n);
    } else {
      this.#roll(n, now);
      // Re-insert so the map stays ordered by last hit (the sweep stops at the first live one).
      this.#nodes.delete(key);
      this.#nodes.set(key, n);
    }
    n.lastSeen = now;
    n.curr++;
    if (this.#hot(n)) {
      if (n.red) return PIKE_BLOCKED;
      n.red = true;
      return PIKE_NEWLY_BLOCKED;
    }
    return PIKE_OK;
  }

  #window(now: number): number {
    return Math.floor(now / this.unit);
  }

  #hot(n: Node): boolean {
    // As Kamailio's leaf check: reaching the density in either window is hot.
    return n.curr >= this.max || n.prev >= this.max;
  }

  /** Moves the node's counters to the current window; a red node that cooled down turns green. */
  #roll(n: Node, now: number): void {
    const w = this.#window(now);
    if (w === n.window) return;
    n.prev = w === n.window + 1 ? n.curr : 0;
    n.curr = 0;
    n.window = w;
    if (n.red && !this.#hot(n)) n.red = false;
  }

  /** Forgets sources idle for removeLatency seconds. */
  sweep(): number {
    const now = this.#now();
    let removed = 0;
    for (const [k, n] of this.#nodes) {
      if (now - n.lastSeen < this.latency) break;
      this.#nodes.delete(k);
      removed++;
    }
    return removed;
  }

  isBlocked(ip: string): boolean {
    const key = normaliseIp(ip);
    const n = key === null ? undefined : this.#nodes.get(key);
    if (!n) return false;
    this.#roll(n, this.#now());
    return n.red;
  }

  /** Tracked sources (blocked ones only when `blockedOnly`), busiest first. */
  list(blockedOnly: boolean): PikeEntry[] {
    this.sweep();
    const now = this.#now();
    const out: PikeEntry[] = [];
    for (const [ip, n] of this.#nodes) {
      this.#roll(n, now);
      if (blockedOnly && !n.red) continue;
      out.push({
        ip,
        hitsPrev: n.prev,
        hitsCurr: n.curr,
        blocked: n.red,
        warm: !n.red && n.curr >= this.max >> 2,
        expires: n.lastSeen + this.latency,
      });
    }
    return out.sort((a, b) => b.hitsPrev + b.hitsCurr - (a.hitsPrev + a.hitsCurr));
  }

  get size(): number {
    return this.#nodes.size;
  }

  clear(): void {
    this.#nodes.clear();
  }
}
