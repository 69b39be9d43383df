/**
 * npm run bench [-- [--quick] [--reps N] [--targets a,b] [--no-micro] [--micro-only] [SCENARIO…]]
 *
 * Drives sipp on 127.0.0.1 against polysip and, where installed, Kamailio (native cfg and
 * KEMI Lua) with the same routing logic, alternating targets within each repetition. Writes
 * bench/results/<timestamp>.json, latest.json and latest.md. Installs nothing; says what is
 * missing. Every server and sipp it starts is stopped by PID (group), also on Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startSippUas, type SippUas } from '../test/kit/sipp.ts';
import { measure, SIPP_BENCH_ARGS, type MeasureConfig, type Measurement } from './measure.ts';
import { loadMicroPlugins, runMicro } from './micro.ts';
import {
  summarize,
  toMarkdown,
  type BenchReport,
  type ScenarioResult,
  type TargetResult,
} from './report.ts';
import { prepareScenario, SCENARIOS, type Scenario, type ScenarioEnv } from './scenarios.ts';
import {
  prerequisites,
  REPO_ROOT,
  startTarget,
  targetName,
  type RunningServer,
  type TargetId,
} from './servers.ts';

const ALL_TARGETS: readonly TargetId[] = [
  { kind: 'polysip', engine: 'lua', placement: 'in-thread' },
  { kind: 'polysip', engine: 'lua', placement: 'isolated' },
  { kind: 'polysip', engine: 'python', placement: 'in-thread' },
  { kind: 'polysip', engine: 'js', placement: 'in-thread' },
  { kind: 'polysip', engine: 'js', placement: 'isolated' },
  { kind: 'kamailio', engine: 'native' },
  { kind: 'kamailio', engine: 'lua' },
];

interface Args {
  quick: boolean;
  reps: number;
  scenarios: string[];
  targets: string[] | null;
  micro: boolean;
  load: boolean;
}

function usage(): string {
  return `usage: npm run bench -- [--quick] [--reps N] [--targets ${ALL_TARGETS.map(targetName).join(',')}]
                         [--no-micro] [--micro-only] [SCENARIO…]
scenarios: ${SCENARIOS.map((s) => s.id).join(', ')} (default: all)`;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { quick: false, reps: 0, scenarios: [], targets: null, micro: true, load: true };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === '--quick') a.quick = true;
    else if (x === '--reps') a.reps = Number(argv[++i]);
    else if (x === '--targets') a.targets = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (x === '--no-micro') a.micro = false;
    else if (x === '--micro-only') a.load = false;
    else if (x === '--help' || x === '-h') {
      console.log(usage());
      process.exit(0);
    } else if (x.startsWith('-')) throw new Error(`unknown option ${x}\n${usage()}`);
    else a.scenarios.push(x);
  }
  for (const s of a.scenarios) {
    if (!SCENARIOS.some((d) => d.id === s)) throw new Error(`unknown scenario ${s}\n${usage()}`);
  }
  for (const t of a.targets ?? []) {
    if (!ALL_TARGETS.some((d) => targetName(d) === t))
      throw new Error(`unknown target ${t}\n${usage()}`);
  }
  if (!(a.reps >= 0 && a.reps <= 10)) throw new Error('--reps must be 1..10');
  return a;
}

const QUICK: MeasureConfig = {
  rates: [200, 800, 2000],
  bisect: 0,
  stepSec: 1.5,
  latencySec: 1.5,
  maxFailRatio: 0.005,
  maxRetransRatio: 0.05,
  warmup: { rate: 100, sec: 1.5 },
};
const FULL: MeasureConfig = {
  rates: [250, 500, 1000, 2000, 4000, 8000],
  bisect: 3,
  stepSec: 3,
  latencySec: 3,
  maxFailRatio: 0.005,
  maxRetransRatio: 0.05,
  warmup: { rate: 200, sec: 3 },
};

function version(cmd: string, args: string[], re: RegExp): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  const m = re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  return m ? m[1]! : null;
}

async function runOne(
  sc: Scenario,
  t: TargetId,
  env: ScenarioEnv,
  cfg: MeasureConfig,
  log: (l: string) => void,
): Promise<Measurement | string> {
  let uas: SippUas | null = null;
  let server: RunningServer | null = null;
  try {
    if (sc.needsUas) {
      uas = await startSippUas({
        timeoutSec: 25 * 60,
        extraArgs: SIPP_BENCH_ARGS,
        ...(sc.uas ? { scenario: sc.uas } : {}),
      });
    }
    const started = await startTarget(t, sc.logic({ uasPort: uas?.port ?? 0, env }));
    if (!started.ok) return started.reason;
    server = started.server;
    if (sc.afterStart) {
      try {
        await sc.afterStart({ serverPort: server.port, uasPort: uas?.port ?? 0, env });
      } catch (e) {
        return `set-up after start failed: ${(e as Error).message}`;
      }
    }
    return await measure(
      {
        scenario: sc.uac,
        serverPort: server.port,
        serverPgid: server.pgid,
        uasPgid: uas?.pgid ?? null,
        ...(sc.uacArgs ? { uacArgs: () => sc.uacArgs!(env) } : {}),
      },
      cfg,
      log,
    );
  } catch (e) {
    return `error: ${(e as Error).message}`;
  } finally {
    await server?.stop();
    await uas?.stop();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cfg = args.quick ? QUICK : FULL;
  const reps = args.reps || (args.quick ? 1 : 2);
  // Past this, remaining runs are skipped (and reported so) rather than overrunning.
  const budgetMs = (args.quick ? 600 : 1500) * 1000;
  const t0 = Date.now();
  const log = (l: string): void => console.log(l);

  const pre = prerequisites();
  const missingPre: string[] = [];
  if (pre.sipp) missingPre.push(pre.sipp);
  if (pre.kamailio) missingPre.push(pre.kamailio);
  if (pre.polysip) missingPre.push(pre.polysip);
  for (const m of missingPre) log(`missing: ${m}`);

  const versions: Record<string, string> = {};
  const kv = pre.kamailio ? null : version('kamailio', ['-v'], /version: kamailio (\S+)/);
  if (kv) versions.kamailio = kv;
  const sv = pre.sipp ? null : version('sipp', ['-v'], /SIPp (v[\d.]+)/);
  if (sv) versions.sipp = sv;

  const selected = SCENARIOS.filter(
    (s) => args.scenarios.length === 0 || args.scenarios.includes(s.id),
  );
  const targets = ALL_TARGETS.filter((t) => !args.targets || args.targets.includes(targetName(t)));
  const scenarios: ScenarioResult[] = [];

  for (const sc of args.load ? selected : []) {
    log(`\n## ${sc.id}: ${sc.title}`);
    if (sc.missing) {
      log(`  ${sc.missing}`);
      scenarios.push({ id: sc.id, title: sc.title, missing: sc.missing, targets: [] });
      continue;
    }
    const runs = new Map<string, Measurement[]>();
    const notes = new Map<string, string[]>();
    for (const t of targets) {
      runs.set(targetName(t), []);
      notes.set(targetName(t), []);
    }
    const note = (t: TargetId, n: string): void => {
      const list = notes.get(targetName(t))!;
      if (!list.includes(n)) list.push(n);
    };
    const runnable = targets.filter((t) => {
      if (pre.sipp) {
        note(t, 'sipp missing');
        return false;
      }
      if (t.kind === 'kamailio' && pre.kamailio) {
        note(t, pre.kamailio);
        return false;
      }
      return true;
    });
    let env: ScenarioEnv;
    try {
      env = await prepareScenario(sc, log);
    } catch (e) {
      const why = `scenario set-up failed: ${(e as Error).message}`;
      log(`  ${why}`);
      scenarios.push({ id: sc.id, title: sc.title, missing: why, targets: [] });
      continue;
    }
    for (let rep = 0; rep < reps; rep++) {
      // Alternate: rotate the order each repetition so no target always runs first.
      const order = runnable.map((_, i) => runnable[(i + rep) % runnable.length]!);
      for (const t of order) {
        const name = targetName(t);
        if (Date.now() - t0 > budgetMs) {
          note(t, `rep ${rep + 1} skipped: time budget`);
          continue;
        }
        log(`  [rep ${rep + 1}/${reps}] ${name}`);
        const r = await runOne(sc, t, env, cfg, log);
        if (typeof r === 'string') {
          log(`    no numbers: ${r}`);
          note(t, r);
        } else {
          runs.get(name)!.push(r);
          if (r.maxRate === null) {
            note(t, `first step failed: ${r.steps[0]?.why ?? '?'}`);
          }
        }
      }
    }
    env.cleanup();
    const targetResults: TargetResult[] = targets.map((t) => {
      const name = targetName(t);
      const rs = runs.get(name)!;
      const n = notes.get(name)!;
      const limit = rs.some((r) => (r.atMax?.uacCpu ?? 0) > 0.9 || (r.atMax?.uasCpu ?? 0) > 0.9);
      if (limit) n.push('sipp near 100% CPU: load generator may be the limit');
      if (rs.some((r) => r.maxRate === cfg.rates[cfg.rates.length - 1])) {
        n.push('highest step rate passed: the real limit is higher');
      }
      return {
        target: name,
        runs: rs,
        notes: n,
        median: summarize(rs.filter((r) => r.maxRate !== null)),
      };
    });
    scenarios.push({ id: sc.id, title: sc.title, targets: targetResults });
  }

  let micro: BenchReport['micro'] = [];
  if (args.micro) {
    log('\n## micro-benchmarks');
    const errs = await loadMicroPlugins();
    for (const e of errs) log(`  plugin failed to load: ${e}`);
    micro = await runMicro({ quick: args.quick }, log);
  }

  const report: BenchReport = {
    startedAt: new Date(t0).toISOString(),
    durationSec: (Date.now() - t0) / 1000,
    quick: args.quick,
    repetitions: reps,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '?', node: process.version },
    versions,
    prerequisites: missingPre,
    scenarios,
    micro,
  };
  const dir = join(REPO_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = JSON.stringify(report, null, 2) + '\n';
  const md = toMarkdown(report) + '\n';
  writeFileSync(join(dir, `${stamp}.json`), json);
  writeFileSync(join(dir, 'latest.json'), json);
  writeFileSync(join(dir, 'latest.md'), md);
  log(`\n${md}`);
  log(`written: bench/results/${stamp}.json, bench/results/latest.md`);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exitCode = 2;
});
