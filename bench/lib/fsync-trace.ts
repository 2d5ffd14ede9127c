// Counts a process's fsync/fdatasync calls per thread, with their time, over a window — with
// `perf trace -s` (Linux perf, kernel tracepoints; needs root or perf_event_paranoid ≤ 1). Shows
// whether a hub thread waits on the disk: SQLite with synchronous=FULL fsyncs on every commit.
// And a probe of what one such commit costs on this disk at the moment.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';

export interface FsyncFigures {
  /** per thread name (e.g. node-MainThread, WorkerThread): calls per second, ms per second waited */
  readonly [thread: string]: { readonly perSec: number; readonly msPerSec: number; readonly avgMs: number };
}

/** Traces `pid` for `seconds`; answers undefined when perf is missing or not allowed. */
export function traceFsync(pid: number, seconds: number): Promise<FsyncFigures | undefined> {
  return new Promise((resolve) => {
    let out = '';
    const perf = spawn(
      'perf',
      ['trace', '-s', '-e', 'fsync,fdatasync', '-p', String(pid), '--', 'sleep', String(seconds)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    perf.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    perf.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    perf.once('error', () => resolve(undefined));
    perf.once('exit', (code) => resolve(code === 0 ? parse(out, seconds) : undefined));
  });
}

function parse(text: string, seconds: number): FsyncFigures {
  const figures: Record<string, { perSec: number; msPerSec: number; avgMs: number }> = {};
  let thread: string | undefined;
  for (const line of text.split('\n')) {
    const head = /^\s*(.+?) \(\d+\), \d+ events/.exec(line);
    if (head) {
      thread = head[1]!;
      continue;
    }
    const row = /^\s*(fsync|fdatasync)\s+(\d+)\s+\d+\s+([\d.]+)\s+[\d.]+\s+([\d.]+)/.exec(line);
    if (row && thread) {
      const previous = figures[thread] ?? { perSec: 0, msPerSec: 0, avgMs: 0 };
      const calls = previous.perSec * seconds + Number(row[2]);
      const ms = previous.msPerSec * seconds + Number(row[3]);
      figures[thread] = {
        perSec: Math.round(calls / seconds),
        msPerSec: Math.round(ms / seconds),
        avgMs: Math.round((ms / calls) * 100) / 100,
      };
    }
  }
  return figures;
}

/**
 * What one SQLite commit costs on this disk right now (WAL, synchronous=FULL, as the hub's store):
 * the mean of `commits` one-row transactions in a scratch database, in ms.
 */
export function sqliteCommitMs(commits = 200): number {
  const dir = mkdtempSync(join(tmpdir(), 'crossroads-commit-probe-'));
  const db = new DatabaseSync(join(dir, 'probe.db'));
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)');
    const insert = db.prepare('INSERT INTO t (b) VALUES (?)');
    const started = performance.now();
    for (let i = 0; i < commits; i++) {
      db.exec('BEGIN IMMEDIATE');
      insert.run('x'.repeat(600));
      db.exec('COMMIT');
    }
    return Math.round(((performance.now() - started) / commits) * 100) / 100;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
