// What the directory import/export CLI tests share on both engines (import-export.test.ts on
// SQLite, import-export-pg.test.ts on PostgreSQL): the demo network's institutions and a few people,
// the real CLI run in a child process in a scratch folder, its JSON summary and reject file, and a
// generated CSV big enough to interrupt. What differs, where the CLI finds its database, is the
// `environment` each test file hands to `directoryCli`.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoInstitution } from '../../src/demo/index.ts';
import { addDays, makeInsz } from '../../src/kernel/index.ts';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const REPO = new URL('../..', import.meta.url).pathname;

export const GENT = demoInstitution('ocmwGent').kbo; // sector 17.1: capacities 1, 2, 3
export const LIEGE = demoInstitution('cpasLiege').kbo; // sector 17.1
export const CM = demoInstitution('cm').kbo; // sector 11.1: capacity 1
export const RVA = demoInstitution('rva').kbo; // sector 18: capacity 1
export const SFPD = demoInstitution('sfpd').kbo; // sector 5: capacities 30, 100
export const NOT_IN_HUB = '0403019261'; // a valid enterprise number the demo network does not hold

export const A = '85073003328'; // valid, born 1985
export const B = '17073003384'; // valid, born 2017
export const C = makeInsz({ year: 1962, month: 3, day: 14, sequence: 201 });

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ImportSummary {
  readonly status: string;
  readonly import: string;
  readonly resumedAfterLine: number | null;
  readonly loaded: number;
  readonly rejected: number;
  readonly totalLoaded: number;
  readonly totalRejected: number;
  readonly rejects: string | null;
  readonly seconds: number;
  readonly linesPerSecond: number;
}

export interface Loaded {
  readonly insz: string;
  readonly kbo: string;
  readonly sector: number;
  readonly subsector: number;
  readonly capacity: number;
  readonly phase: number;
  readonly start: string;
  readonly end: string | null;
}

export interface DirectoryCli<Where> {
  /** The scratch folder (removed by `close`). */
  readonly work: string;
  /** Writes a file of that name (made unique) into the scratch folder; answers its path. */
  readonly file: (name: string, text: string) => string;
  /** Starts `crossroads directory ARGS` on the database `where` names. */
  readonly start: (
    where: Where,
    args: readonly string[],
  ) => { child: ChildProcess; done: Promise<CliResult> };
  /** Runs `crossroads directory ARGS` to its end. */
  readonly cli: (where: Where, ...args: string[]) => Promise<CliResult>;
  /** Runs a command that must succeed; returns its JSON summary. */
  readonly ok: <T = ImportSummary>(where: Where, ...args: string[]) => Promise<T>;
  /** Kills the CLI processes still running. */
  readonly killChildren: () => void;
  /** Kills the CLI processes still running and removes the scratch folder. */
  readonly close: () => void;
}

/**
 * The CLI in child processes, in a scratch folder named after `prefix`. The child gets this
 * process's environment without any database settings, plus what `environment(where)` answers
 * (the data directory, and for PostgreSQL the database URL).
 */
export function directoryCli<Where>(
  prefix: string,
  environment: (where: Where) => Record<string, string>,
): DirectoryCli<Where> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const children = new Set<ChildProcess>();
  let files = 0;
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !['CROSSROADS_DB', 'CROSSROADS_LOG_KEY', 'CROSSROADS_DATABASE_URL'].includes(name),
    ),
  );

  function start(where: Where, args: readonly string[]): { child: ChildProcess; done: Promise<CliResult> } {
    const child = spawn(process.execPath, [CLI, 'directory', ...args], {
      cwd: REPO,
      env: { ...inherited, ...environment(where) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<CliResult>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        children.delete(child);
        resolve({ code, signal, stdout, stderr });
      });
    });
    return { child, done };
  }

  function cli(where: Where, ...args: string[]): Promise<CliResult> {
    return start(where, args).done;
  }

  async function ok<T = ImportSummary>(where: Where, ...args: string[]): Promise<T> {
    const result = await cli(where, ...args);
    assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
    const line = result.stdout.trim().split('\n').at(-1)!;
    return JSON.parse(line) as T;
  }

  function file(name: string, text: string): string {
    const path = join(work, `${++files}-${name}`);
    writeFileSync(path, text);
    return path;
  }

  function killChildren(): void {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }

  function close(): void {
    killChildren();
    rmSync(work, { recursive: true, force: true });
  }

  return { work, file, start, cli, ok, killChildren, close };
}

/** The reject file as [line, code] pairs (and the whole rows for closer looks). */
export function rejects(path: string): { line: number; code: string; reason: string; original: string }[] {
  const [header, ...rows] = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.equal(header, 'line,code,reason,original');
  return rows.map((row) => {
    const m = /^(\d+),([A-Z_]+),("(?:[^"]|"")*"|[^,]*),("(?:[^"]|"")*"|.*)$/.exec(row);
    assert.ok(m, `a reject line: ${row}`);
    const unquote = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replaceAll('""', '"') : s);
    return { line: Number(m[1]), code: m[2]!, reason: unquote(m[3]!), original: unquote(m[4]!) };
  });
}

/**
 * Lines 2..n+1 of a generated CSV; every `badEvery`-th data line has a wrong INSZ check digit.
 * The phase of the i-th data line (from 0) is `phaseOf(i)`: 0 unless told.
 */
export function bigCsv(
  lines: number,
  badEvery: number,
  phaseOf: (i: number) => number = () => 0,
): { text: string; good: number; bad: number[] } {
  const kinds: [string, number, number][] = [
    [GENT, 17, 2],
    [LIEGE, 17, 1],
    [CM, 11, 1],
    [RVA, 18, 1],
    [SFPD, 5, 30],
  ];
  const out = ['insz,institution,sector,capacity,start,end,phase'];
  const bad: number[] = [];
  for (let i = 0; i < lines; i++) {
    const person = Math.floor(i / 5);
    let insz = makeInsz({
      year: 1930 + (person % 80),
      month: 1 + (person % 12),
      day: 1 + (Math.floor(person / 12) % 28),
      sequence: 1 + (Math.floor(person / 960) % 997),
    });
    if ((i + 1) % badEvery === 0) {
      insz = insz.slice(0, 9) + String((Number(insz.slice(9)) + 1) % 100).padStart(2, '0');
      bad.push(i + 2);
    }
    const [kbo, sector, capacity] = kinds[i % kinds.length]!;
    const startDate = addDays('2001-01-01', i % 7000);
    out.push(
      `${insz},${kbo},${sector},${capacity},${startDate},${i % 4 === 0 ? addDays(startDate, 400) : ''},${phaseOf(i)}`,
    );
  }
  return { text: out.join('\n') + '\n', good: lines - bad.length, bad };
}

/**
 * Polls an import's progress (its committed lines, and whether it finished) until it has passed
 * `atLeast` lines while still running; fails after `timeoutMs`.
 */
export async function waitForProgress(
  progressOf: () =>
    | { lines: number; finished: boolean }
    | undefined
    | Promise<{ lines: number; finished: boolean } | undefined>,
  atLeast: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progress = await progressOf();
    if (progress && progress.lines >= atLeast) {
      assert.equal(progress.finished, false, 'the import was still running');
      return progress.lines;
    }
    assert.ok(Date.now() < deadline, 'the import made progress');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
