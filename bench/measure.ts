/**
 * One measurement of one server on one scenario: step the call rate up until a step fails,
 * narrow the edge by bisection, then measure latency at half the highest good rate.
 *
 * A step is good when fewer than 0.5% of its calls fail, retransmissions stay under 5% of
 * calls (no retransmission storm) and sipp kept the pace (the step did not run much longer
 * than planned, which happens when the -l call limit throttles a slow server). Every step is
 * bounded in calls (-m) and seconds (-timeout).
 */
import { runSipp, type SippResult } from '../test/kit/sipp.ts';
import { cpuCores, sampleGroup } from './proc-stat.ts';

export interface MeasureConfig {
  /** Rates tried in order until one fails (calls per second). */
  readonly rates: readonly number[];
  /** Bisection steps between the last good and the first bad rate. */
  readonly bisect: number;
  readonly stepSec: number;
  readonly latencySec: number;
  readonly maxFailRatio: number;
  readonly maxRetransRatio: number;
  /** A first step that is not counted, so polysip's JIT is warm when the counted steps start. */
  readonly warmup: { readonly rate: number; readonly sec: number };
}

export interface StepResult {
  readonly rate: number;
  readonly calls: number;
  readonly successful: number;
  readonly failed: number;
  readonly retransmissions: number;
  readonly durationMs: number;
  /** CPU of the server during the step, in cores. */
  readonly serverCpu: number;
  /** CPU of the sipp UAC (and UAS when there is one) during the step, in cores. */
  readonly uacCpu: number | null;
  readonly uasCpu: number | null;
  readonly ok: boolean;
  readonly why?: string;
}

export interface Measurement {
  /** Highest good rate, or null when even the first step failed. */
  readonly maxRate: number | null;
  readonly atMax: StepResult | null;
  readonly latency: {
    readonly rate: number;
    readonly p50: number;
    readonly p99: number;
    readonly samples: number;
  } | null;
  /** Peak memory of the server seen at the end of any step (PSS, bytes). */
  readonly serverMemBytes: number;
  readonly steps: readonly StepResult[];
}

export interface StepTarget {
  readonly scenario: string;
  readonly serverPort: number;
  readonly serverPgid: number;
  readonly uasPgid: number | null;
  /** More sipp arguments, asked for afresh before every step (e.g. a different subscriber). */
  readonly uacArgs?: () => readonly string[];
}

/**
 * sipp's default "bye" behaviour sends a BYE when it aborts a call. The bench proxies relay
 * every request to the UAS, so a BYE from an aborting UAS comes back to the UAS itself and
 * the two amplify into a storm that buries the measurement; failures must stay failures.
 */
export const SIPP_BENCH_ARGS: readonly string[] = [
  '-default_behaviors',
  'all,-bye',
  // sipp's own socket buffers default to 64 KB; a burst must not be lost in the generator.
  '-buff_size',
  '4194304',
];

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function step(
  t: StepTarget,
  rate: number,
  seconds: number,
  cfg: MeasureConfig,
  traceRtt: boolean,
): Promise<{ step: StepResult; sipp: SippResult; mem: number }> {
  const calls = Math.max(50, Math.round(rate * seconds));
  const s0 = sampleGroup(t.serverPgid);
  const u0 = t.uasPgid !== null ? sampleGroup(t.uasPgid) : null;
  const r = await runSipp({
    scenario: t.scenario,
    remote: `127.0.0.1:${t.serverPort}`,
    calls,
    rate,
    maxConcurrent: Math.max(200, rate * 4),
    timeoutSec: Math.ceil(seconds * 1.5 + 4),
    traceRtt,
    extraArgs: [...SIPP_BENCH_ARGS, ...(t.uacArgs?.() ?? [])],
  });
  const s1 = sampleGroup(t.serverPgid);
  const u1 = t.uasPgid !== null ? sampleGroup(t.uasPgid) : null;
  let why: string | undefined;
  const kinds = Object.entries(r.stats)
    .filter(
      ([k, v]) => k.startsWith('Failed') && k.endsWith('(C)') && k !== 'FailedCall(C)' && v !== '0',
    )
    .map(([k, v]) => `${k.slice(6, -3)} ${v}`)
    .join(', ');
  if (r.failed / calls >= cfg.maxFailRatio) {
    why = `${r.failed}/${calls} calls failed${kinds ? ` (${kinds})` : ''}`;
  } else if (r.retransmissions / calls > cfg.maxRetransRatio) {
    // Calls that did not finish by the (tight) timeout are already in r.failed, so a server
    // that cannot keep the pace fails the step through them.
    why = `retransmission storm (${r.retransmissions} for ${calls} calls)`;
  }
  const wall = r.durationMs / 1000;
  return {
    step: {
      rate,
      calls,
      successful: r.successful,
      failed: r.failed,
      retransmissions: r.retransmissions,
      durationMs: r.durationMs,
      serverCpu: cpuCores(s0, s1),
      uacCpu: r.cpuSeconds !== undefined && wall > 0 ? r.cpuSeconds / wall : null,
      uasCpu: u0 && u1 ? cpuCores(u0, u1) : null,
      ok: why === undefined,
      ...(why !== undefined ? { why } : {}),
    },
    sipp: r,
    mem: s1.memBytes,
  };
}

export async function measure(
  t: StepTarget,
  cfg: MeasureConfig,
  log: (line: string) => void,
): Promise<Measurement> {
  const steps: StepResult[] = [];
  let mem = 0;
  let good: StepResult | null = null;
  let badRate: number | null = null;
  const run = async (rate: number): Promise<StepResult> => {
    const { step: s, mem: m } = await step(t, rate, cfg.stepSec, cfg, false);
    mem = Math.max(mem, m);
    steps.push(s);
    const cpu = `server ${s.serverCpu.toFixed(2)} cores, uac ${s.uacCpu?.toFixed(2) ?? '?'}${s.uasCpu !== null ? `, uas ${s.uasCpu.toFixed(2)}` : ''}`;
    log(`    ${rate} cps: ${s.ok ? 'ok' : `FAIL (${s.why})`}; ${cpu}`);
    // Let retransmissions and lingering transactions of a step drain before the next.
    await new Promise((r) => setTimeout(r, 500));
    return s;
  };
  // Kamailio gets it too: the same sequence for every target.
  const w = await step(t, cfg.warmup.rate, cfg.warmup.sec, cfg, false);
  log(`    warm-up ${cfg.warmup.rate} cps (not counted): ${w.step.ok ? 'ok' : w.step.why}`);
  await new Promise((r) => setTimeout(r, 500));
  for (const rate of cfg.rates) {
    const s = await run(rate);
    if (!s.ok) {
      badRate = rate;
      break;
    }
    good = s;
  }
  if (good && badRate !== null) {
    let lo = good.rate;
    let hi = badRate;
    for (let i = 0; i < cfg.bisect && hi - lo > Math.max(50, lo * 0.1); i++) {
      const mid = Math.round((lo + hi) / 2 / 10) * 10;
      const s = await run(mid);
      if (s.ok) {
        lo = mid;
        good = s;
      } else hi = mid;
    }
  }
  let latency: Measurement['latency'] = null;
  if (good) {
    const rate = Math.max(1, Math.round(good.rate / 2));
    const { step: s, sipp, mem: m } = await step(t, rate, cfg.latencySec, cfg, true);
    mem = Math.max(mem, m);
    const rtts = [...sipp.responseTimesMs].sort((a, b) => a - b);
    latency = { rate, p50: percentile(rtts, 50), p99: percentile(rtts, 99), samples: rtts.length };
    log(
      `    latency at ${rate} cps: p50 ${latency.p50} ms, p99 ${latency.p99} ms (${rtts.length} samples${s.ok ? '' : `; step FAILED: ${s.why}`})`,
    );
  }
  return { maxRate: good?.rate ?? null, atMax: good, latency, serverMemBytes: mem, steps };
}
