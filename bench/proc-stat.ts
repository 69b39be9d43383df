/**
 * CPU and memory of a server under test, read from /proc. A server may be several processes
 * (Kamailio forks workers), so everything is summed over its process group. Memory is PSS
 * (proportional set size, from smaps_rollup): summing RSS over processes that share one
 * memory pool would count the pool once per process.
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ on Linux; /proc reports CPU time in these ticks

function read(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/** Fields of /proc/PID/stat after the parenthesised command name (which may hold spaces). */
function statFields(pid: number): string[] | null {
  const s = read(`/proc/${pid}/stat`);
  if (s === null) return null;
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}

/** PIDs whose process group is `pgid` (the group leader included). */
export function groupPids(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    // After the name: state(0) ppid(1) pgrp(2)
    if (f && Number(f[2]) === pgid) out.push(Number(name));
  }
  return out;
}

export interface ProcSample {
  readonly at: number;
  /** user + system CPU seconds summed over the group. */
  readonly cpuSeconds: number;
  /** Proportional set size in bytes summed over the group (RSS when PSS is unavailable). */
  readonly memBytes: number;
  readonly processes: number;
}

export function sampleGroup(pgid: number): ProcSample {
  let ticks = 0;
  let mem = 0;
  const pids = groupPids(pgid);
  for (const pid of pids) {
    const f = statFields(pid);
    // utime(11) stime(12) counted from the state field
    if (f) ticks += Number(f[11]) + Number(f[12]);
    const roll = read(`/proc/${pid}/smaps_rollup`);
    const pss = roll ? /^Pss:\s+(\d+) kB/m.exec(roll) : null;
    if (pss) mem += Number(pss[1]) * 1024;
    else {
      const st = read(`/proc/${pid}/status`);
      const rss = st ? /^VmRSS:\s+(\d+) kB/m.exec(st) : null;
      if (rss) mem += Number(rss[1]) * 1024;
    }
  }
  return { at: Date.now(), cpuSeconds: ticks / CLK_TCK, memBytes: mem, processes: pids.length };
}

/** CPU used between two samples, in cores (1.0 = one core fully busy). */
export function cpuCores(a: ProcSample, b: ProcSample): number {
  const wall = (b.at - a.at) / 1000;
  return wall > 0 ? (b.cpuSeconds - a.cpuSeconds) / wall : 0;
}
