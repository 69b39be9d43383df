/** Messages between a Python script instance (main thread) and its worker. */
import type { MessagePort } from 'node:worker_threads';
import type { ChannelBuffers } from '../isolate/channel.ts';

/** A compiled `WebAssembly.Module` (the project's TypeScript libs have no WebAssembly types). */
export type WasmModule = object;

/** The part of the global `WebAssembly` the Python engine uses. */
export interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(src: unknown, imports?: object): Promise<unknown>;
}

export const wasmApi = (): WasmApi =>
  (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface WorkerInit {
  /** `file://…/node_modules/pyodide/` as a path with a trailing slash. */
  readonly indexURL: string;
  /**
   * Pyodide's wasm, compiled once per process (script.ts): workers instantiate it instead of
   * compiling their own copy, so the machine code is shared.
   */
  readonly wasm: WasmModule;
  /** Byte length of pyodide.asm.wasm: how the worker recognises Pyodide's instantiation. */
  readonly wasmBytes: number;
  /** A memory snapshot to start from (shared, read-only), or null for a cold start. */
  readonly snapshot: SharedArrayBuffer | null;
  /** Cold start only: make a snapshot and post it back. */
  readonly makeSnapshot: boolean;
  /** Int32 [0]: Pyodide's interrupt buffer (2 raises KeyboardInterrupt); [1]: the route running. */
  readonly interrupt: SharedArrayBuffer;
  /**
   * The guest clock, Float64 (epoch ms, `performance.timeOrigin + performance.now()`), written
   * by the worker: [0] the running route started, [1] time spent waiting on the host during it,
   * [2] the wait in progress started (0: Python runs). See "CPU budget" in script.ts.
   */
  readonly clock: SharedArrayBuffer;
  readonly channel: ChannelBuffers;
  readonly port: MessagePort;
  readonly hostTimeoutMs: number;
  readonly file: string;
  readonly source: string;
  /** Registry functions in host-index order. */
  readonly exports: readonly { readonly module: string; readonly name: string }[];
}

export type ToWorker = {
  readonly t: 'run';
  readonly id: number;
  readonly fn: string;
  readonly arg?: string;
};

export type FromWorker =
  | { readonly t: 'print'; readonly text: string }
  | { readonly t: 'log'; readonly text: string }
  | { readonly t: 'snapshot'; readonly bytes: ArrayBuffer }
  /** Pyodide is up; the script's top level runs now (its CPU budget starts). */
  | { readonly t: 'starting' }
  /** `result`: the prelude's JSON answer of `_load`. */
  | {
      readonly t: 'loaded';
      readonly result: string;
      readonly loadMs: number;
      readonly heap: number;
    }
  /** `result`: null (returned), 1 (exit), 2 (drop) or a JSON string (error, missing, interrupted). */
  | {
      readonly t: 'done';
      readonly id: number;
      readonly result: string | number | null;
      readonly heap: number;
    };

/** The JSON answers of the prelude. */
export interface PyAnswer {
  readonly functions?: string[];
  readonly missing?: boolean;
  readonly interrupted?: boolean;
  readonly error?: string;
  readonly line?: number | null;
  readonly traceback?: string;
}
