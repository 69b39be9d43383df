/** Markdown and JSON output of a bench run. */
import type { Measurement } from './measure.ts';
import type { MicroResult } from './micro.ts';

export interface TargetResult {
  readonly target: string;
  /** One per repetition that produced numbers. */
  readonly runs: readonly Measurement[];
  /** Why there are no (or fewer) numbers: not installed, did not start, not implemented… */
  readonly notes: readonly string[];
  readonly median: {
    readonly maxRate: number | null;
    readonly p50: number | null;
    readonly p99: number | null;
    readonly latencyRate: number | null;
    readonly serverCpu: number | null;
    readonly serverMemMB: number | null;
    readonly uacCpu: number | null;
    readonly uasCpu: number | null;
  } | null;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly missing?: string;
  readonly targets: readonly TargetResult[];
}

export interface BenchReport {
  readonly startedAt: string;
  readonly durationSec: number;
  readonly quick: boolean;
  readonly repetitions: number;
  readonly machine: { readonly cpus: number; readonly model: string; readonly node: string };
  readonly versions: Readonly<Record<string, string>>;
  readonly prerequisites: readonly string[];
  readonly scenarios: readonly ScenarioResult[];
  readonly micro: readonly MicroResult[];
}

export function median(xs: ReadonlyArray<number | null | undefined>): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return null;
  v.sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

export function summarize(runs: readonly Measurement[]): TargetResult['median'] {
  if (runs.length === 0) return null;
  return {
    maxRate: median(runs.map((r) => r.maxRate)),
    p50: median(runs.map((r) => r.latency?.p50)),
    p99: median(runs.map((r) => r.latency?.p99)),
    latencyRate: median(runs.map((r) => r.latency?.rate)),
    serverCpu: median(runs.map((r) => r.atMax?.serverCpu)),
    serverMemMB: median(runs.map((r) => r.serverMemBytes / 2 ** 20)),
    uacCpu: median(runs.map((r) => r.atMax?.uacCpu)),
    uasCpu: median(runs.map((r) => r.atMax?.uasCpu)),
  };
}

const f = (v: number | null | undefined, digits = 0): string =>
  v === null || v === undefined ? '—' : v.toFixed(digits);

function ratio(a: number | null | undefined, b: number | null | undefined): string {
  return a && b ? `${(a / b).toFixed(2)}×` : '—';
}

export function toMarkdown(r: BenchReport): string {
  const L: string[] = [];
  L.push(`# polysip bench — ${r.startedAt}`, '');
  L.push(
    `${r.quick ? 'Quick run' : 'Full run'}, ${r.repetitions} repetition(s), medians shown. ` +
      `${r.machine.cpus} CPUs (${r.machine.model}), node ${r.machine.node}. ` +
      `Total ${Math.round(r.durationSec)} s.`,
    '',
  );
  const vers = Object.entries(r.versions).map(([k, v]) => `${k} ${v}`);
  if (vers.length) L.push(`Versions: ${vers.join(', ')}.`, '');
  if (r.prerequisites.length) {
    L.push('Missing prerequisites:', '', ...r.prerequisites.map((p) => `- ${p}`), '');
  }
  L.push(
    'Columns: **max cps** = highest call rate with < 0.5% failed calls and no retransmission storm; ' +
      '**p50/p99** = sipp response time (ms, 1 ms resolution) at half that rate; **server CPU** = cores used ' +
      'by the server at max cps; **mem** = server PSS (MB); **uac/uas CPU** = cores used by sipp ' +
      '(near 1.0 means the load generator, not the server, was the limit); **vs kam** = max cps ' +
      'relative to Kamailio native cfg / Kamailio KEMI Lua.',
    '',
  );
  for (const s of r.scenarios) {
    L.push(`## ${s.id}: ${s.title}`, '');
    if (s.missing) {
      L.push(`**Missing:** ${s.missing}. No numbers.`, '');
      continue;
    }
    const kn = s.targets.find((t) => t.target === 'kamailio-native')?.median?.maxRate;
    const kl = s.targets.find((t) => t.target === 'kamailio-lua')?.median?.maxRate;
    L.push(
      '| target | max cps | p50 ms | p99 ms | at cps | server CPU | mem MB | uac CPU | uas CPU | vs kam native | vs kam lua | notes |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const t of s.targets) {
      const m = t.median;
      const notes = t.notes.join('; ').replace(/\|/g, '\\|').replace(/\s+/g, ' ');
      L.push(
        `| ${t.target} | ${f(m?.maxRate)} | ${f(m?.p50)} | ${f(m?.p99)} | ${f(m?.latencyRate)} | ` +
          `${f(m?.serverCpu, 2)} | ${f(m?.serverMemMB, 1)} | ${f(m?.uacCpu, 2)} | ${f(m?.uasCpu, 2)} | ` +
          `${ratio(m?.maxRate, kn)} | ${ratio(m?.maxRate, kl)} | ${notes} |`,
      );
    }
    L.push('');
  }
  if (r.micro.length) {
    L.push('## Micro-benchmarks', '', '| name | ns/op | ops/s | what |', '|---|---:|---:|---|');
    for (const m of r.micro) {
      L.push(
        m.skipped
          ? `| ${m.name} | — | — | skipped: ${m.skipped} |`
          : `| ${m.name} | ${f(m.nsPerOp)} | ${f(m.opsPerSec)} | ${m.description} |`,
      );
    }
    L.push('');
  }
  return L.join('\n');
}
