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
  /** Build fixtures and return the operation to time, or a reason it cannot run. */
  prepare(): Promise<(() => unknown) | { readonly skip: string }>;
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

function timeBatch(fn: () => unknown, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = fn();
  return Number(process.hrtime.bigint() - t0);
}

export async function runMicro(
  opts: { quick: boolean; filter?: (name: string) => boolean },
  log: (line: string) => void,
): Promise<MicroResult[]> {
  const out: MicroResult[] = [];
  const batchNs = (opts.quick ? 20 : 100) * 1e6;
  const batches = opts.quick ? 5 : 11;
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
    // Calibrate: grow the batch until it takes a measurable slice of time (bounded).
    let n = 1;
    while (n < 1e8 && timeBatch(fn, n) < batchNs / 4) n *= 4;
    const samples: number[] = [];
    for (let i = 0; i < batches; i++) samples.push(timeBatch(fn, n) / n);
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
