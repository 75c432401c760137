// CPU time and memory of processes by pid, from /proc (Linux): the fair comparison when clients set the pace.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process, in seconds; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** PostgreSQL backends serving `database` (their title names it), by pid. */
export function postgresBackends(database: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.startsWith('postgres: ') && cmdline.includes(` ${database} `)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * CPU seconds used between `start()` and `stop()` by some processes: fixed pids and, optionally, the
 * PostgreSQL backends of a database. Sampled every few hundred ms, so backends that come and go within
 * the window (pgbench's) count too, short of their last interval.
 */
export class CpuMeter {
  private first = new Map<number, number>();
  private last = new Map<number, number>();
  private dbFirst = new Map<number, number>();
  private dbLast = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;

  private readonly pids: () => number[];
  private readonly database?: string;

  constructor(pids: () => number[], database?: string) {
    this.pids = pids;
    this.database = database;
  }

  private sample(initial: boolean): void {
    for (const pid of this.pids()) {
      const cpu = cpuSeconds(pid);
      if (cpu === 0) continue;
      if (!this.first.has(pid)) this.first.set(pid, initial ? cpu : 0);
      this.last.set(pid, cpu);
    }
    if (!this.database) return;
    for (const pid of postgresBackends(this.database)) {
      const cpu = cpuSeconds(pid);
      if (cpu === 0) continue;
      if (!this.dbFirst.has(pid)) this.dbFirst.set(pid, initial ? cpu : 0);
      this.dbLast.set(pid, cpu);
    }
  }

  start(): void {
    this.first.clear();
    this.last.clear();
    this.dbFirst.clear();
    this.dbLast.clear();
    this.sample(true);
    if (this.database) {
      this.timer = setInterval(() => this.sample(false), 250);
      this.timer.unref();
    }
  }

  /** Seconds used by the fixed processes, and by the database's backends (null when not asked). */
  stop(): { server: number; database: number | null } {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample(false);
    const used = (first: Map<number, number>, last: Map<number, number>) =>
      [...last].reduce((total, [pid, cpu]) => total + Math.max(0, cpu - (first.get(pid) ?? 0)), 0);
    return {
      server: used(this.first, this.last),
      database: this.database ? used(this.dbFirst, this.dbLast) : null,
    };
  }
}
