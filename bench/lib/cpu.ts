// CPU time of another process and of each of its threads, from /proc (Linux), so a benchmark can
// show which process — and in the hub, which thread — used the cores during a measured window.
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  /** user + system seconds, whole process */
  readonly total: number;
  /** user + system seconds per thread, keyed `name#tid` (main thread: `main`) */
  readonly threads: ReadonlyMap<string, number>;
}

export function cpuOf(pid: number): CpuSnapshot | undefined {
  try {
    const threads = new Map<string, number>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readStat(`/proc/${pid}/task/${tid}/stat`);
      if (stat) threads.set(Number(tid) === pid ? 'main' : `${stat.name}#${tid}`, stat.seconds);
    }
    const whole = readStat(`/proc/${pid}/stat`);
    return whole ? { total: whole.seconds, threads } : undefined;
  } catch {
    return undefined; // not Linux, or the process is gone
  }
}

/**
 * CPU used between two snapshots, in cores (seconds of CPU per second of wall time): the whole
 * process and its threads grouped by name (e.g. `main`, `libuv-worker`), largest first.
 */
export function cpuBetween(
  before: CpuSnapshot | undefined,
  after: CpuSnapshot | undefined,
  wallSeconds: number,
): { cores: number; threads: Record<string, number> } | undefined {
  if (!before || !after) return undefined;
  const grouped = new Map<string, number>();
  for (const [key, seconds] of after.threads) {
    const used = seconds - (before.threads.get(key) ?? 0);
    const name = key.replace(/#\d+$/, '');
    grouped.set(name, (grouped.get(name) ?? 0) + used);
  }
  const round = (x: number): number => Math.round((x / wallSeconds) * 100) / 100;
  return {
    cores: round(after.total - before.total),
    threads: Object.fromEntries(
      [...grouped]
        .filter(([, s]) => s > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([n, s]) => [n, round(s)]),
    ),
  };
}

function readStat(path: string): { name: string; seconds: number } | undefined {
  const text = readFileSync(path, 'utf8');
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0) return undefined;
  // Fields after the name: state is field 3, utime 14, stime 15 (proc(5)).
  const fields = text.slice(close + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { name: text.slice(open + 1, close), seconds: ticks / TICKS_PER_SECOND };
}

/** The first process whose name (comm) is `name`, when it runs on this machine. */
export function pidOf(name: string): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return undefined;
}
