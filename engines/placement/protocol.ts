/** Messages between an isolated script instance (main thread) and its worker. */
import type { MessagePort } from 'node:worker_threads';
import type { ParamType, ReturnKind } from '../../core/api/registry.ts';
import type { RouteOutcome, ScriptLimits, ScriptLocation } from '../../core/api/script.ts';
import type { ChannelBuffers } from '../isolate/channel.ts';

export type IsolatedEngine = 'lua' | 'js';

/** A KSR declaration without its implementation: the worker builds a forwarding proxy of it. */
export interface ExportShape {
  readonly module: string;
  readonly name: string;
  readonly params: readonly { readonly name: string; readonly type: ParamType }[];
  readonly returns: ReturnKind;
  readonly doc: string;
}

export interface IsolatedInit {
  readonly engine: IsolatedEngine;
  readonly file: string;
  readonly source: string;
  readonly limits: ScriptLimits;
  readonly version: number;
  readonly entryPoints: readonly string[] | undefined;
  /** Registry functions in host-index order. */
  readonly exports: readonly ExportShape[];
  readonly channel: ChannelBuffers;
  readonly port: MessagePort;
  readonly hostTimeoutMs: number;
  /** Period of the worker's heartbeat, ms. */
  readonly beatMs: number;
  /** Int32 words, see the STATE_* indexes. */
  readonly state: SharedArrayBuffer;
}

/** The route that last got control in the worker (a run, a settled KSR call, a KSR call). */
export const STATE_CURRENT = 0;
/** Bumped by a timer in the worker: it stops moving when a route holds the thread. */
export const STATE_BEAT = 1;
/** Dispatch sequence number of the last `run` the worker began (later ones never started). */
export const STATE_STARTED = 2;
/** 1 while the worker is blocked on a KSR call (waiting for the host is not running). */
export const STATE_IN_CALL = 3;
export const STATE_WORDS = 4;

/** Host answers to a KSR call: [tag, value]. */
export const ANSWER_OK = 0;
/** value: drop (boolean). */
export const ANSWER_EXIT = 1;
/** value: a token; the result comes later as a `settle` message. */
export const ANSWER_PENDING = 2;
/** Only in `settle`: value is the error message. */
export const ANSWER_ERROR = 3;
/**
 * value: the answer to a pure read (see pure.ts), which the worker may reuse until the route's
 * next call that is not one.
 */
export const ANSWER_PURE = 4;

/**
 * Answers to pure reads computed ahead by the host, as [memoKey, value, memoKey, value, …]:
 * with a route's start, and as the third element of an `ANSWER_OK` that ends a call which is not
 * a pure read (the reads the script made after that call before).
 */
export type Prefetch = readonly unknown[];

export type ToWorker =
  | {
      readonly t: 'run';
      readonly id: number;
      readonly seq: number;
      readonly fn: string;
      readonly arg: string | undefined;
      readonly pre: Prefetch | null;
      /** Calls that are not pure reads the host had handled when it computed `pre`. */
      readonly calls: number;
    }
  | { readonly t: 'settle'; readonly token: number; readonly tag: number; readonly value: unknown };

export type FromWorker =
  | { readonly t: 'loaded'; readonly functions: readonly string[]; readonly heapBytes: number }
  | { readonly t: 'loadError'; readonly message: string; readonly where: ScriptLocation }
  | { readonly t: 'done'; readonly id: number; readonly outcome: RouteOutcome }
  | { readonly t: 'print'; readonly text: string }
  /** Modules imported; the script's top-level code starts now. */
  | { readonly t: 'starting' };
