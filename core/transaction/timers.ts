/**
 * Transaction timers. One min-heap per transaction layer drives every RFC 3261 timer with a
 * single Node timer armed for the earliest deadline, so thousands of transactions never mean
 * thousands of live Node timers. A node knows its heap slot, so cancelling is O(log n) and a
 * cancelled timer drops its reference to the transaction at once (nothing lingers until the
 * deadline it no longer has).
 */

/** RFC 3261 Appendix A values, plus Kamailio's final-response timers (all milliseconds). */
export interface TimerConfig {
  /** RTT estimate (500 ms). */
  readonly t1: number;
  /** Maximum retransmission interval for non-INVITE requests and INVITE responses (4 s). */
  readonly t2: number;
  /** Maximum time a message stays in the network (5 s). */
  readonly t4: number;
  /** Kamailio fr_timer: wait this long for a first reply (any reply for non-INVITE). */
  readonly fr: number;
  /** Kamailio fr_inv_timer: after a provisional reply, wait this long for the final one. */
  readonly frInv: number;
  /** Upper bound on an INVITE transaction's life before it is answered (Kamailio max_inv_lifetime). */
  readonly maxInvLifetime: number;
  /** Same for non-INVITE (Kamailio max_noninv_lifetime). */
  readonly maxNonInvLifetime: number;
  /**
   * An INVITE gets 100 Trying if nothing else was sent this long after its transaction
   * began (RFC 3261 §17.2.1 allows skipping it when the TU answers within 200 ms).
   */
  readonly trying: number;
}

export const DEFAULT_TIMERS: TimerConfig = {
  t1: 500,
  t2: 4000,
  t4: 5000,
  fr: 30000,
  frInv: 120000,
  maxInvLifetime: 180000,
  maxNonInvLifetime: 32000,
  trying: 100,
};

/** Something a timer fires on; `kind` says which of its timers it was. */
export interface TimerTarget {
  onTimer(kind: number): void;
}

export class TimerNode {
  /** Absolute deadline (ms, layer clock). */
  due = 0;
  /** Slot in the heap, -1 when not scheduled. */
  idx = -1;
  constructor(
    readonly target: TimerTarget,
    readonly kind: number,
  ) {}

  get scheduled(): boolean {
    return this.idx >= 0;
  }
}

export class TimerHeap {
  readonly #heap: TimerNode[] = [];
  readonly #now: () => number;
  #handle: NodeJS.Timeout | null = null;
  #armedFor = Infinity;
  #firing = false;
  #stopped = false;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  get size(): number {
    return this.#heap.length;
  }

  now(): number {
    return this.#now();
  }

  /** (Re)schedules `node` to fire `delayMs` from now. */
  schedule(node: TimerNode, delayMs: number): void {
    if (node.idx >= 0) this.#removeAt(node.idx);
    node.due = this.#now() + Math.max(0, delayMs);
    node.idx = this.#heap.length;
    this.#heap.push(node);
    this.#up(node.idx);
    if (!this.#firing && this.#heap[0] === node) this.#arm();
  }

  cancel(node: TimerNode): void {
    if (node.idx < 0) return;
    this.#removeAt(node.idx);
    // A later deadline than the armed one costs one spurious wake-up at most: no re-arm here.
  }

  /** Drops every timer (server stop). */
  stop(): void {
    this.#stopped = true;
    for (const n of this.#heap) n.idx = -1;
    this.#heap.length = 0;
    if (this.#handle) clearTimeout(this.#handle);
    this.#handle = null;
    this.#armedFor = Infinity;
  }

  #arm(): void {
    if (this.#stopped) return;
    const first = this.#heap[0];
    if (!first) return;
    if (this.#handle && first.due >= this.#armedFor) return;
    if (this.#handle) clearTimeout(this.#handle);
    this.#armedFor = first.due;
    this.#handle = setTimeout(this.#fire, Math.max(0, Math.ceil(first.due - this.#now())));
    this.#handle.unref();
  }

  readonly #fire = (): void => {
    this.#handle = null;
    this.#armedFor = Infinity;
    this.#firing = true;
    try {
      // Bounded: one pass over what is due now; timers scheduled meanwhile for "now" wait a turn.
      const now = this.#now() + 0.5;
      let budget = this.#heap.length;
      while (budget-- > 0) {
        const n = this.#heap[0];
        if (!n || n.due > now) break;
        this.#removeAt(0);
        try {
          n.target.onTimer(n.kind);
        } catch (e) {
          queueMicrotask(() => {
            throw e;
          });
        }
      }
    } finally {
      this.#firing = false;
    }
    this.#arm();
  };

  #removeAt(i: number): void {
    const h = this.#heap;
    const node = h[i]!;
    node.idx = -1;
    const last = h.pop()!;
    if (last === node) return;
    h[i] = last;
    last.idx = i;
    this.#up(i);
    this.#down(last.idx);
  }

  #up(i: number): void {
    const h = this.#heap;
    const n = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pn = h[p]!;
      if (pn.due <= n.due) break;
      h[i] = pn;
      pn.idx = i;
      i = p;
    }
    h[i] = n;
    n.idx = i;
  }

  #down(i: number): void {
    const h = this.#heap;
    const len = h.length;
    const n = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= len) break;
      const r = l + 1;
      const c = r < len && h[r]!.due < h[l]!.due ? r : l;
      const cn = h[c]!;
      if (cn.due >= n.due) break;
      h[i] = cn;
      cn.idx = i;
      i = c;
    }
    h[i] = n;
    n.idx = i;
  }
}
