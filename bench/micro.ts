/**
 * Micro-benchmark registry. Any file in bench/micro/ is imported by the harness and may call
 * registerMicro(); a benchmark whose code does not exist yet returns { skip: reason } from
 * prepare() and shows up in the report as skipped, never with a number.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface MicroBench {
  /** 'area.what', e.g. 'sip.parse'. */
  readonly name: string;
  readonly description: string;
  /** A stand-in that only reports "not yet implemented"; a real registration replaces it. */
  readonly placeholder?: boolean;
  /**
   * Build fixtures and return the operation to time, or a reason it cannot run. An operation
   * that returns a promise is awaited one call at a time (route calls are asynchronous).
   */
  prepare(): Promise<(() => unknown) | { readonly skip: string }>;
  /** Called once after the timing, to release engines, timers and workers. */
  dispose?(): void | Promise<void>;
}

export interface MicroResult {
  readonly name: string;
  readonly description: string;
  /** Median over batches, nanoseconds per operation. */
  readonly nsPerOp?: number;
  readonly opsPerSec?: number;
  readonly batches?: number;
  readonly opsPerBatch?: number;
  readonly skipped?: string;
}

const registry = new Map<string, MicroBench>();

export function registerMicro(b: MicroBench): void {
  const old = registry.get(b.name);
  if (old && !old.placeholder) {
    if (b.placeholder) return;
    throw new Error(`micro-benchmark ${b.name} registered twice`);
  }
  registry.set(b.name, b);
}

export function microBenches(): readonly MicroBench[] {
  return [...registry.values()];
}

/** Import every bench/micro/*.ts so their registerMicro() calls run. */
export async function loadMicroPlugins(): Promise<string[]> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'micro');
  const errors: string[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  } catch {
    return errors;
  }
  for (const f of files.sort()) {
    try {
      await import(pathToFileURL(join(dir, f)).href);
    } catch (e) {
      errors.push(`${f}: ${(e as Error).message}`);
    }
  }
  return errors;
}

let sink: unknown;

/** Keeps results alive so the JIT cannot drop the work being timed. */
export function consume(v: unknown): void {
  sink = v;
}

function timeSync(fn: () => unknown, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = fn();
  return Promise.resolve(Number(process.hrtime.bigint() - t0));
}

async function timeAsync(fn: () => unknown, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = await fn();
  return Number(process.hrtime.bigint() - t0);
}

/** Warm-up, calibration and timed batches of one operation: ns/op per batch, batch size. */
async function timeOp(
  fn: () => unknown,
  batchNs: number,
  batches: number,
  warmNs: number,
): Promise<[number[], number]> {
  const first = fn();
  const isAsync = first instanceof Promise;
  if (isAsync) await first;
  const timeBatch = isAsync ? timeAsync : timeSync;
  // Warm up first: the first few hundred calls run in the interpreter with cold inline
  // caches and cost 10-40x a warm call. Calibrating on them picked batches of a dozen
  // calls that never got warm (sip.parse read 230-400 µs instead of ~10-20 µs).
  const warmEnd = process.hrtime.bigint() + BigInt(warmNs);
  let w = 1;
  let warmCalls = 0;
  while (process.hrtime.bigint() < warmEnd || warmCalls < 2000) {
    await timeBatch(fn, w);
    warmCalls += w;
    if (w < 4096) w *= 2;
    if (warmCalls > 1e8) break;
  }
  // Calibrate: grow the batch until it takes a measurable slice of time (bounded).
  let n = 1;
  while (n < 1e8 && (await timeBatch(fn, n)) < batchNs / 4) n *= 4;
  const samples: number[] = [];
  for (let i = 0; i < batches; i++) samples.push((await timeBatch(fn, n)) / n);
  return [samples, n];
}

export async function runMicro(
  opts: { quick: boolean; filter?: (name: string) => boolean },
  log: (line: string) => void,
): Promise<MicroResult[]> {
  const out: MicroResult[] = [];
  const batchNs = (opts.quick ? 20 : 100) * 1e6;
  const batches = opts.quick ? 5 : 11;
  const warmNs = (opts.quick ? 300 : 1000) * 1e6;
  for (const b of registry.values()) {
    if (opts.filter && !opts.filter(b.name)) continue;
    let fn: (() => unknown) | { readonly skip: string };
    try {
      fn = await b.prepare();
    } catch (e) {
      fn = { skip: `prepare failed: ${(e as Error).message}` };
    }
    if (typeof fn !== 'function') {
      log(`  ${b.name}: skipped (${fn.skip})`);
      out.push({ name: b.name, description: b.description, skipped: fn.skip });
      continue;
    }
    let samples: number[];
    let opsPerBatch: number;
    try {
      [samples, opsPerBatch] = await timeOp(fn, batchNs, batches, warmNs);
    } catch (e) {
      const skip = `failed while timed: ${(e as Error).message}`;
      log(`  ${b.name}: ${skip}`);
      out.push({ name: b.name, description: b.description, skipped: skip });
      continue;
    } finally {
      try {
        await b.dispose?.();
      } catch (e) {
        log(`  ${b.name}: dispose failed: ${(e as Error).message}`);
      }
    }
    const n = opsPerBatch;
    samples.sort((a, c) => a - c);
    const ns = samples[Math.floor(samples.length / 2)]!;
    log(`  ${b.name}: ${ns.toFixed(0)} ns/op (${Math.round(1e9 / ns)} ops/s)`);
    out.push({
      name: b.name,
      description: b.description,
      nsPerOp: ns,
      opsPerSec: 1e9 / ns,
      batches,
      opsPerBatch: n,
    });
  }
  consume(sink);
  return out;
}
