/**
 * Server CPU time per call under a fixed load: the comparison that survives a noisy box.
 *
 *   node --import tsx bench/cpu-per-call.ts [--reps N] [--rate R] [--calls N]
 *        [--targets polysip-lua,kamailio-lua] [--before DIR] SCENARIO…
 *
 * For each repetition and scenario, every target is started fresh, warmed up (not counted),
 * then driven with exactly `calls` calls at `rate` cps (well under every target's limit, so no
 * retransmissions), and the server's user+system CPU seconds (all its processes, /proc) over
 * that step are divided by the calls that succeeded. Another process stealing the CPU delays
 * the server but adds no CPU time to it, unlike the max-rate stepping of run.ts. With
 * `--before DIR`, `polysip-*` targets also run from that tree as `before:polysip-*`. Targets
 * alternate within each repetition and the order rotates; medians are printed as Markdown.
 */
import { runSipp, startSippUas, type SippUas } from '../test/kit/sipp.ts';
import { SIPP_BENCH_ARGS } from './measure.ts';
import { sampleGroup } from './proc-stat.ts';
import { prepareScenario, SCENARIOS } from './scenarios.ts';
import { startKamailio, startPolysip, type RunningServer, type StartResult } from './servers.ts';

interface Target {
  readonly name: string;
  start(logic: Parameters<typeof startPolysip>[1]): Promise<StartResult>;
}

function targets(names: readonly string[], before: string | null): Target[] {
  const out: Target[] = [];
  for (const n of names) {
    const m = /^(polysip|kamailio)-(lua|python|js|native)(-isolated)?$/.exec(n);
    if (!m) throw new Error(`unknown target ${n}`);
    const engine = m[2]!;
    if (m[1] === 'kamailio') {
      if (engine !== 'lua' && engine !== 'native') throw new Error(`unknown target ${n}`);
      out.push({ name: n, start: (l) => startKamailio(engine, l) });
      continue;
    }
    if (engine === 'native') throw new Error(`unknown target ${n}`);
    const placement = m[3] ? 'isolated' : 'in-thread';
    const e = engine as 'lua' | 'python' | 'js';
    out.push({ name: n, start: (l) => startPolysip(e, l, { placement }) });
    if (before !== null) {
      out.push({
        name: `before:${n}`,
        start: (l) => startPolysip(e, l, { placement, root: before }),
      });
    }
  }
  return out;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, def: string): string => {
    const i = argv.indexOf(name);
    if (i < 0) return def;
    const v = argv[i + 1] ?? def;
    argv.splice(i, 2);
    return v;
  };
  const reps = Number(opt('--reps', '3'));
  const rate = Number(opt('--rate', '300'));
  const calls = Number(opt('--calls', '3000'));
  const before = opt('--before', '') || null;
  const list = targets(opt('--targets', 'polysip-lua,kamailio-lua').split(','), before);
  const scenarios = argv.map((id) => {
    const sc = SCENARIOS.find((s) => s.id === id && !s.missing);
    if (!sc) throw new Error(`unknown scenario ${id}`);
    return sc;
  });
  const rows: string[] = [];
  for (const sc of scenarios) {
    const env = await prepareScenario(sc, (l) => console.log(l));
    const perCall = new Map<string, number[]>(list.map((t) => [t.name, []]));
    for (let rep = 0; rep < reps; rep++) {
      const order = list.map((_, i) => list[(i + rep) % list.length]!);
      for (const t of order) {
        let uas: SippUas | null = null;
        let server: RunningServer | null = null;
        try {
          if (sc.needsUas) {
            uas = await startSippUas({
              timeoutSec: 600,
              extraArgs: SIPP_BENCH_ARGS,
              ...(sc.uas ? { scenario: sc.uas } : {}),
            });
          }
          const st = await t.start(sc.logic({ uasPort: uas?.port ?? 0, env }));
          if (!st.ok) throw new Error(st.reason);
          server = st.server;
          await sc.afterStart?.({ serverPort: server.port, uasPort: uas?.port ?? 0, env });
          const drive = (n: number, r: number) =>
            runSipp({
              scenario: sc.uac,
              remote: `127.0.0.1:${server!.port}`,
              calls: n,
              rate: r,
              maxConcurrent: Math.max(200, r * 4),
              timeoutSec: Math.ceil(n / r) * 2 + 10,
              extraArgs: [...SIPP_BENCH_ARGS, ...(sc.uacArgs?.(env) ?? [])],
            });
          await drive(Math.min(1000, calls), Math.min(200, rate)); // warm-up, not counted
          await new Promise((r) => setTimeout(r, 300));
          const a = sampleGroup(server.pgid);
          const r = await drive(calls, rate);
          const b = sampleGroup(server.pgid);
          const us = ((b.cpuSeconds - a.cpuSeconds) * 1e6) / Math.max(1, r.successful);
          perCall.get(t.name)!.push(us);
          console.log(
            `${sc.id} rep ${rep + 1} ${t.name}: ${us.toFixed(0)} µs CPU/call (${r.successful} ok, ${r.failed} failed, ${r.retransmissions} retrans)`,
          );
        } catch (e) {
          console.log(`${sc.id} rep ${rep + 1} ${t.name}: ${(e as Error).message}`);
        } finally {
          await server?.stop();
          await uas?.stop();
        }
      }
    }
    env.cleanup();
    for (const t of list) {
      const v = perCall.get(t.name)!;
      rows.push(
        `| ${sc.id} | ${t.name} | ${median(v).toFixed(0)} | ${v.map((x) => x.toFixed(0)).join(', ')} |`,
      );
    }
  }
  console.log(
    `\n${rate} cps, ${calls} calls per step, medians of ${reps}\n\n| scenario | target | server CPU µs/call | runs |\n|---|---|---:|---|\n${rows.join('\n')}`,
  );
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exitCode = 2;
});
