/**
 * Memory: idle RSS of the CLI with one Lua script, and MiB per extra script instance per
 * engine and placement.
 *
 *   node --import tsx bench/mem.ts [--instances N] [--engines lua,js,python]
 *
 * Idle: `polysip run --trusted` with the stateful bench script, RSS read from /proc after it
 * has settled (no traffic). Per instance: a child process per (engine, placement) builds the
 * builtin registry, loads one instance (baseline), then N more through bin/load-script.ts's
 * loadScript, forces GC and reports (RSS after N+1 − RSS after 1) / N. Python is always
 * isolated, so it has one row.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_ROUTE } from './route-fixture.ts';
import { groupPids } from './proc-stat.ts';
import { startPolysip } from './servers.ts';

const EXT = { lua: 'lua', js: 'js', python: 'py' } as const;
type Engine = keyof typeof EXT;

function rssMiB(pid: number): number {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(st);
  return m ? Number(m[1]) / 1024 : NaN;
}

const mib = (): number => process.memoryUsage().rss / 2 ** 20;

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Child: load 1 + n instances of one engine/placement and print the RSS figures as JSON. */
async function child(
  engine: Engine,
  placement: 'in-thread' | 'isolated',
  n: number,
): Promise<void> {
  const { buildRegistry } = await import('../bin/app.ts');
  const { loadScript } = await import('../bin/load-script.ts');
  const dir = mkdtempSync(join(tmpdir(), 'polysip-bench-mem-'));
  const file = join(dir, `route.${EXT[engine]}`);
  writeFileSync(file, BENCH_ROUTE[engine]);
  const registry = buildRegistry([]);
  await settle();
  const base = mib();
  const held = [await loadScript(file, registry, undefined, 1, placement)];
  await settle();
  const one = mib();
  for (let i = 0; i < n; i++)
    held.push(await loadScript(file, registry, undefined, i + 2, placement));
  await settle();
  const many = mib();
  for (const s of held) s.dispose();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ base, one, many, n }) + '\n');
  process.exit(0);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    await child(argv[1] as Engine, argv[2] as 'in-thread' | 'isolated', Number(argv[3]));
    return;
  }
  const opt = (name: string, def: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 ? (argv[i + 1] ?? def) : def;
  };
  const n = Number(opt('--instances', '10'));
  const engines = opt('--engines', 'lua,js,python').split(',') as Engine[];

  // Idle CLI with one Lua script (the stateful bench route, no traffic).
  const lua = `function ksr_request_route()
  if KSR.rr.loose_route() > 0 then KSR.tm.t_relay() return end
  KSR.rr.record_route()
  KSR.setdsturi("sip:127.0.0.1:5099")
  KSR.tm.t_relay()
end
`;
  const st = await startPolysip('lua', { kamailioCfg: '', kamailioKemiModules: '', lua });
  if (!st.ok) throw new Error(st.reason);
  await new Promise((r) => setTimeout(r, 3000));
  const idle = groupPids(st.server.pgid).reduce((a, p) => a + rssMiB(p), 0);
  await st.server.stop();
  console.log(`idle CLI (polysip run --trusted, one Lua script): RSS ${idle.toFixed(1)} MiB`);

  const self = fileURLToPath(import.meta.url);
  console.log(
    `\n| engine | placement | RSS with 1 | MiB per extra instance (${n} more) |\n|---|---|---:|---:|`,
  );
  for (const engine of engines) {
    const placements: ('in-thread' | 'isolated')[] =
      engine === 'python' ? ['isolated'] : ['in-thread', 'isolated'];
    for (const placement of placements) {
      const r = spawnSync(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', self, '--child', engine, placement, String(n)],
        { encoding: 'utf8', timeout: 600_000 },
      );
      const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
      try {
        const v = JSON.parse(line) as { base: number; one: number; many: number; n: number };
        const per = (v.many - v.one) / v.n;
        console.log(`| ${engine} | ${placement} | ${v.one.toFixed(1)} | ${per.toFixed(2)} |`);
      } catch {
        console.log(
          `| ${engine} | ${placement} | failed: ${(r.stderr ?? '').slice(-300).replace(/\n/g, ' ')} | |`,
        );
      }
    }
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exitCode = 2;
});
