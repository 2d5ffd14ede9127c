// Shared by the exchange-log tests: waiting for the sequencer, a permitted exchange, reading the
// stored log, copying a database, and running the real CLI.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { DemoFile } from '../../src/demo/index.ts';
import type { Hub } from '../../src/hub.ts';
import type { StoredCheckpoint } from '../../src/log/index.ts';
import type { StoreReader } from '../../src/store/index.ts';
import type { CallOptions, TestHub } from '../helpers/test-hub.ts';

export const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
export const REPO = new URL('../..', import.meta.url).pathname;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    assert.ok(Date.now() < deadline, `timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Waits until every committed record is in the latest signed checkpoint; returns it. */
export function waitForTree(hub: Hub, timeoutMs = 5_000): Promise<StoredCheckpoint> {
  return waitFor(
    `the signed tree to reach ${hub.log.size} records`,
    async () => {
      const latest = await hub.tree.latestCheckpoint();
      return latest?.size === hub.log.size && hub.log.treeSize === hub.log.size ? latest : undefined;
    },
    timeoutMs,
  );
}

/** The demo's permitted example (OCMW Gent reads a leefloon recipient's identity). */
export function permitted(th: TestHub, extra: Record<string, unknown> = {}): CallOptions {
  const example = th.demo.file.examples.find((e) => e.expect.status === 200);
  assert.ok(example, 'demo.json has a permitted example');
  return { token: th.demo.credential('ocmwGent'), body: { ...example.request.body, ...extra } };
}

/** Makes `count` permitted exchanges; returns their exchange ids. */
export async function exchanges(th: TestHub, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const result = await th.call<{ exchangeId: string }>('POST', '/v1/exchanges', permitted(th));
    assert.equal(result.status, 200, JSON.stringify(result.body));
    ids.push(result.body.exchangeId);
  }
  return ids;
}

/** The stored canonical text of every record, leaf index i at position i. */
export async function recordTexts(db: DatabaseSync | StoreReader): Promise<string[]> {
  const sql = 'SELECT record FROM exchange_log ORDER BY seq';
  const rows = db instanceof DatabaseSync ? db.prepare(sql).all() : await db.all(sql, []);
  return rows.map((row) => String(row.record));
}

export const b64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
export const toB64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A consistent single-file copy of a SQLite database (VACUUM INTO). */
export function copyDatabase(from: string, to: string): void {
  const db = new DatabaseSync(from);
  try {
    db.prepare('VACUUM INTO ?').run(to);
  } finally {
    db.close();
  }
}

/** Opens a database, runs `change` on it, closes it. */
export function editDatabase(path: string, change: (db: DatabaseSync) => void): void {
  const db = new DatabaseSync(path);
  try {
    change(db);
  } finally {
    db.close();
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `crossroads <args>` (src/cli.ts) with the pinned Node, in the repository. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, CROSSROADS_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The JSON a CLI command printed on its last stdout line. */
export function cliJson<T = Record<string, unknown>>(result: CliResult): T {
  const line = result.stdout.trim().split('\n').at(-1);
  assert.ok(line, `no output (stderr: ${result.stderr})`);
  return JSON.parse(line) as T;
}

/**
 * demo.json once a `crossroads start --demo` process on `work` (re)wrote it for a URL other than
 * `previous` and the hub answers; fails at once, with the hub's output, if the process exited.
 */
export async function waitForDemoFile(
  work: string,
  previous: string | undefined,
  hub: { readonly child: ChildProcess; readonly output: () => string },
  timeoutMs = 45_000,
): Promise<DemoFile> {
  const path = join(work, 'demo.json');
  const file = waitFor(
    'the hub to start',
    async () => {
      assert.ok(hub.child.exitCode === null, `the hub exited: ${hub.output()}`);
      if (!existsSync(path)) return undefined;
      let file: DemoFile;
      try {
        file = JSON.parse(readFileSync(path, 'utf8')) as DemoFile;
      } catch {
        return undefined; // being written
      }
      if (file.hub === previous) return undefined;
      const health = await fetch(`${file.hub}/health`).catch(() => undefined);
      return health?.status === 200 ? file : undefined;
    },
    timeoutMs,
  );
  return file.catch((error: unknown) => {
    throw new Error(`${String(error)}\nhub output:\n${hub.output()}`, { cause: error });
  });
}
