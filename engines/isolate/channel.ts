/**
 * A synchronous call channel from a worker thread to the main thread, for isolated script
 * instances: the guest interpreter runs in a worker and calls host functions (KSR
 * implementations) that live on the main thread with the route's ctx.
 *
 * One slot per channel: the worker makes one call at a time and blocks in `Atomics.wait` until
 * the answer is written; the main thread never blocks (it learns of requests through
 * `Atomics.waitAsync`), so a host implementation may return a Promise and the main thread keeps
 * serving while it is pending. Payloads are msgpackr-encoded into a SharedArrayBuffer; one that
 * does not fit travels through a MessagePort and is taken with `receiveMessageOnPort`, which is
 * synchronous on both sides.
 *
 * State word transitions (who writes):
 *   IDLE → REQ (worker) → BUSY (main picks it up) → WRITING → RESP (main) → IDLE (worker).
 * A worker that gives up (timeout) turns REQ or BUSY back into IDLE; the main thread then finds
 * BUSY gone when it tries to answer and drops the stale answer.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { Packr } from 'msgpackr';

const STATE = 0;
const SEQ = 1;
const LENGTH = 2;
const HEADER_BYTES = 16;

const IDLE = 0;
const REQ = 1;
const BUSY = 2;
const WRITING = 3;
const RESP = 4;

/** The length word's value when the payload went through the MessagePort. */
const VIA_PORT = -1;

/** Response tags on the wire. */
const OK = 0;
const FAIL = 1;

/** Default payload capacity of the shared buffer; bigger payloads take the port. */
export const DEFAULT_CHANNEL_BYTES = 64 * 1024;

/** What both ends need; create it on the main thread and hand it to the worker (workerData). */
export interface ChannelBuffers {
  readonly shared: SharedArrayBuffer;
}

export function createChannelBuffers(bytes = DEFAULT_CHANNEL_BYTES): ChannelBuffers {
  return { shared: new SharedArrayBuffer(HEADER_BYTES + bytes) };
}

/** A host call the main thread refused or failed, seen by the worker. */
export class HostCallError extends Error {
  override readonly name = 'HostCallError';
  constructor(
    message: string,
    /** `code` of the host error when it had one (`POLYSIP_ERR_…`), else ''. */
    readonly code: string,
  ) {
    super(message);
  }
}

/** The host did not answer within the timeout (a hung implementation, a deadlock). */
export class HostCallTimeoutError extends Error {
  readonly code = 'POLYSIP_ERR_HOST_CALL_TIMEOUT';
  override readonly name = 'HostCallTimeoutError';
}

interface PortPayload {
  readonly seq: number;
  readonly bytes: Uint8Array;
}

function newPackr(): Packr {
  // Plain maps and arrays only: both ends must decode without shared record definitions.
  return new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number' });
}

class Slot {
  readonly i32: Int32Array;
  readonly data: Uint8Array;
  constructor(buf: ChannelBuffers) {
    this.i32 = new Int32Array(buf.shared, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(buf.shared, HEADER_BYTES);
  }

  /** Copies `bytes` in, or posts them when too big; returns the length word to publish. */
  put(bytes: Uint8Array, seq: number, port: MessagePort): number {
    if (bytes.length <= this.data.length) {
      this.data.set(bytes);
      return bytes.length;
    }
    const payload: PortPayload = { seq, bytes: Uint8Array.from(bytes) };
    port.postMessage(payload);
    return VIA_PORT;
  }

  /** The payload of message `seq` (a private copy: decoders refuse shared memory). */
  take(length: number, seq: number, port: MessagePort): Uint8Array {
    if (length !== VIA_PORT) return this.data.slice(0, length);
    for (;;) {
      const m = receiveMessageOnPort(port);
      if (m === undefined) throw new Error('channel: payload announced on the port is missing');
      const p = m.message as PortPayload;
      if (p.seq === seq) return p.bytes;
      // A stale payload of a call given up earlier: skip it.
    }
  }
}

/**
 * The worker end. `routeId` tags every call so the main thread finds the route's ctx; set it
 * before running a route.
 */
export class HostClient {
  routeId = 0;
  readonly #slot: Slot;
  readonly #port: MessagePort;
  readonly #packr = newPackr();
  readonly #timeoutMs: number;
  #seq = 0;

  constructor(buf: ChannelBuffers, port: MessagePort, timeoutMs: number) {
    this.#slot = new Slot(buf);
    this.#port = port;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Calls host function `fnIndex` and blocks this thread until the answer.
   * @throws HostCallError when the host handler threw; HostCallTimeoutError after the timeout.
   */
  callHostSync(fnIndex: number, args: readonly unknown[]): unknown {
    const { i32 } = this.#slot;
    const seq = (this.#seq = (this.#seq + 1) | 0);
    const bytes = this.#packr.pack([this.routeId, fnIndex, args]);
    // The slot is IDLE here: this thread is the only one that starts calls.
    const length = this.#slot.put(bytes, seq, this.#port);
    Atomics.store(i32, SEQ, seq);
    Atomics.store(i32, LENGTH, length);
    Atomics.store(i32, STATE, REQ);
    Atomics.notify(i32, STATE);
    const deadline = performance.now() + this.#timeoutMs;
    for (;;) {
      const s = Atomics.load(i32, STATE);
      if (s === RESP) break;
      const left = deadline - performance.now();
      if (left <= 0) {
        if (
          Atomics.compareExchange(i32, STATE, REQ, IDLE) === REQ ||
          Atomics.compareExchange(i32, STATE, BUSY, IDLE) === BUSY
        ) {
          Atomics.notify(i32, STATE);
          throw new HostCallTimeoutError(`no answer from the host in ${this.#timeoutMs} ms`);
        }
        // The answer is being written: it is a matter of microseconds.
        Atomics.wait(i32, STATE, WRITING, 10);
        continue;
      }
      // Always in a loop: a notify meant for the other side may wake this wait early.
      Atomics.wait(i32, STATE, s, left);
    }
    const answer = this.#slot.take(Atomics.load(i32, LENGTH), seq, this.#port);
    Atomics.store(i32, STATE, IDLE);
    const [tag, value, code] = this.#packr.unpack(answer) as [number, unknown, string?];
    if (tag === OK) return value;
    throw new HostCallError(String(value), code ?? '');
  }
}

/** Answers one call: the route it belongs to, the function index and its arguments. */
export type HostHandler = (routeId: number, fnIndex: number, args: unknown[]) => unknown;

export interface DispatcherHooks {
  /** A call was picked up (the guest is now waiting on the host). */
  readonly onCallStart?: (routeId: number) => void;
  /** Its answer was written (the guest runs again). */
  readonly onCallEnd?: (routeId: number) => void;
}

/**
 * The main-thread end: waits (asynchronously) for calls, runs `handler`, awaits it when it
 * returns a Promise, writes the answer and wakes the worker. Handler errors travel as
 * HostCallError (message and `code`).
 */
export class HostDispatcher {
  readonly #slot: Slot;
  readonly #port: MessagePort;
  readonly #handler: HostHandler;
  readonly #hooks: DispatcherHooks;
  readonly #packr = newPackr();
  #closed = false;

  constructor(
    buf: ChannelBuffers,
    port: MessagePort,
    handler: HostHandler,
    hooks: DispatcherHooks = {},
  ) {
    this.#slot = new Slot(buf);
    this.#port = port;
    this.#handler = handler;
    this.#hooks = hooks;
    this.#arm();
  }

  close(): void {
    this.#closed = true;
    this.#port.close();
  }

  #arm(): void {
    const { i32 } = this.#slot;
    for (;;) {
      if (this.#closed) return;
      const s = Atomics.load(i32, STATE);
      if (s === REQ && Atomics.compareExchange(i32, STATE, REQ, BUSY) === REQ) {
        this.#pickUp();
        continue;
      }
      // Stays armed while a call is in progress so a worker that gave up can start another.
      const w = waitAsync(i32, STATE, s);
      if (w.async) {
        void w.value.then(() => this.#arm());
        return;
      }
    }
  }

  #pickUp(): void {
    const { i32 } = this.#slot;
    const seq = Atomics.load(i32, SEQ);
    let routeId = 0;
    let result: unknown;
    try {
      const req = this.#packr.unpack(this.#slot.take(Atomics.load(i32, LENGTH), seq, this.#port));
      const [rid, fnIndex, args] = req as [number, number, unknown[]];
      routeId = rid;
      this.#hooks.onCallStart?.(routeId);
      result = this.#handler(routeId, fnIndex, args);
    } catch (e) {
      this.#answer(seq, routeId, failure(e));
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (v) => this.#answer(seq, routeId, [OK, v]),
        (e: unknown) => this.#answer(seq, routeId, failure(e)),
      );
    } else {
      this.#answer(seq, routeId, [OK, result]);
    }
  }

  #answer(seq: number, routeId: number, wire: unknown[]): void {
    const { i32 } = this.#slot;
    this.#hooks.onCallEnd?.(routeId);
    if (this.#closed) return;
    if (Atomics.load(i32, SEQ) !== seq) return; // the worker gave up and moved on
    let bytes: Uint8Array;
    try {
      bytes = this.#packr.pack(wire);
    } catch (e) {
      bytes = this.#packr.pack(failure(e));
    }
    if (Atomics.compareExchange(i32, STATE, BUSY, WRITING) !== BUSY) return;
    const length = this.#slot.put(bytes, seq, this.#port);
    Atomics.store(i32, LENGTH, length);
    Atomics.store(i32, STATE, RESP);
    Atomics.notify(i32, STATE);
  }
}

function failure(e: unknown): unknown[] {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
  return [FAIL, e instanceof Error ? e.message : String(e), code];
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return (
    typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
  );
}

type WaitAsyncResult =
  | { readonly async: false; readonly value: 'not-equal' | 'timed-out' }
  | { readonly async: true; readonly value: Promise<'ok' | 'timed-out'> };

/** `Atomics.waitAsync` (ES2024; present in Node 20, absent from the ES2023 typings). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync: (a: Int32Array, index: number, value: number) => WaitAsyncResult;
  }
).waitAsync;
