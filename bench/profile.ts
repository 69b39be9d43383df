/**
 * CPU profile of polysip under a fixed sipp load, summarised by self time.
 *
 *   node --import tsx bench/profile.ts SCENARIO [--rate N] [--seconds S] [--engine lua|python|js]
 *                                       [--isolated] [--out DIR (default: a temp dir)] [--top N]
 *   node --import tsx bench/profile.ts --summary FILE.cpuprofile [--top N]
 *
 * Starts the sipp UAS (when the scenario has one) and polysip with `node --cpu-prof`, runs one
 * sipp UAC step at the given rate (bounded by calls and seconds), stops polysip with SIGTERM
 * (the CLI exits, and Node writes the profile on exit), and prints the functions with the most
 * self time, then the same grouped by source file. BENCH_POLYSIP_ROOT profiles another tree.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runSipp } from '../test/kit/sipp.ts';
import { startSippUas, type SippUas } from '../test/kit/sipp.ts';
import { SIPP_BENCH_ARGS } from './measure.ts';
import { prepareScenario, SCENARIOS } from './scenarios.ts';
import { POLYSIP_ROOT, startPolysip, type RunningServer } from './servers.ts';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function shortUrl(url: string): string {
  const u = url.replace(/^file:\/\//, '');
  if (u.startsWith(POLYSIP_ROOT)) return relative(POLYSIP_ROOT, u);
  const nm = u.lastIndexOf('node_modules/');
  return nm >= 0 ? u.slice(nm + 'node_modules/'.length) : u || '(native)';
}

/** Self time per function and per file, in ms, from the samples' time deltas. */
export function summarize(
  profile: CpuProfile,
  top: number,
): { byFunction: string[]; byFile: string[]; totalMs: number } {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const self = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, ms] of self) {
    const cf = byId.get(id)!.callFrame;
    const where = shortUrl(cf.url);
    const key = `${cf.functionName || '(anonymous)'}  ${where}:${cf.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    file.set(where, (file.get(where) ?? 0) + ms);
  }
  const fmt = (m: Map<string, number>): string[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, ms]) =>
          `${((100 * ms) / total).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms  ${k}`,
      );
  return { byFunction: fmt(fn), byFile: fmt(file), totalMs: total };
}

function printSummary(path: string, top: number): void {
  const s = summarize(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, top);
  console.log(`\n# ${path}: ${s.totalMs.toFixed(0)} ms sampled\n\n## self time by function`);
  for (const l of s.byFunction) console.log(l);
  console.log('\n## self time by file');
  for (const l of s.byFile) console.log(l);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, def: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 ? (argv[i + 1] ?? def) : def;
  };
  const top = Number(opt('--top', '40'));
  if (argv[0] === '--summary') {
    printSummary(argv[1]!, top);
    return;
  }
  const sc = SCENARIOS.find((s) => s.id === argv[0]);
  if (!sc || sc.missing)
    throw new Error(`usage: bench/profile.ts SCENARIO (${SCENARIOS.map((s) => s.id).join(', ')})`);
  const rate = Number(opt('--rate', '600'));
  const seconds = Number(opt('--seconds', '15'));
  const engine = opt('--engine', 'lua') as 'lua' | 'python' | 'js';
  const out = opt('--out', join(tmpdir(), `polysip-profile-${sc.id}-${Date.now()}`));
  mkdirSync(out, { recursive: true });
  const env = await prepareScenario(sc, (l) => console.log(l));
  let uas: SippUas | null = null;
  let server: RunningServer | null = null;
  try {
    if (sc.needsUas) {
      uas = await startSippUas({
        timeoutSec: seconds * 3 + 60,
        extraArgs: SIPP_BENCH_ARGS,
        ...(sc.uas ? { scenario: sc.uas } : {}),
      });
    }
    const started = await startPolysip(engine, sc.logic({ uasPort: uas?.port ?? 0, env }), {
      placement: argv.includes('--isolated') ? 'isolated' : 'in-thread',
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${out}`],
    });
    if (!started.ok) throw new Error(started.reason);
    server = started.server;
    const r = await runSipp({
      scenario: sc.uac,
      remote: `127.0.0.1:${server.port}`,
      calls: Math.round(rate * seconds),
      rate,
      maxConcurrent: Math.max(200, rate * 4),
      timeoutSec: Math.ceil(seconds * 1.5 + 4),
      extraArgs: [...SIPP_BENCH_ARGS, ...(sc.uacArgs?.(env) ?? [])],
    });
    console.log(
      `sipp: ${r.successful} ok, ${r.failed} failed, ${r.retransmissions} retransmissions in ${(r.durationMs / 1000).toFixed(1)} s`,
    );
  } finally {
    await server?.stop();
    await uas?.stop();
    env.cleanup();
  }
  for (const f of readdirSync(out).filter((f) => f.endsWith('.cpuprofile'))) {
    printSummary(join(out, f), top);
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exitCode = 2;
});
