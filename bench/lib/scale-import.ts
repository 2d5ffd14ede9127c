// Runs the real `crossroads directory import` (a child process, as an operator would) and times
// it: the whole command, and its two phases (loading the chunks; building the person indexes).
// Samples the CPU of the import process and of the database server meanwhile.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { ServerCpu, busyShare, machineTicks, processCpuSeconds } from './scale-postgres.ts';

const ROOT = new URL('../../', import.meta.url);

export interface ImportRun {
  /** The command's wall time, from spawn to exit (start-up and the index build included). */
  readonly seconds: number;
  /** Until the CLI said it builds the person indexes (null: it never did). */
  readonly loadSeconds: number;
  readonly indexSeconds: number | null;
  /** The CLI's JSON summary. */
  readonly summary: {
    readonly status: string;
    readonly loaded: number;
    readonly rejected: number;
    readonly seconds: number;
    readonly linesPerSecond: number;
  };
  /** Cores used on average over the whole command (CPU seconds / wall seconds). */
  readonly cores: { readonly importProcess: number | null; readonly postgres: number | null };
  /** Share of the machine's CPU time that was busy (all processes, this bench's included). */
  readonly machineBusy: number | null;
}

export async function runImport(options: {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly admin: string;
  readonly database: string;
}): Promise<ImportRun> {
  const serverCpu = new ServerCpu(options.admin, options.database);
  await serverCpu.sample();
  const machineBefore = machineTicks();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['src/cli.ts', 'directory', 'import', options.file, ...options.args],
    { cwd: ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let indexesFrom: number | undefined;
  let importCpu: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr += text;
    if (indexesFrom === undefined && text.includes('building the person indexes')) {
      indexesFrom = performance.now();
    }
    process.stderr.write(text.replace(/^(?=.)/gm, '  [import] '));
  });
  // CPU is read while the processes live: every 5 s, and the import's last reading is kept.
  const sampler = setInterval(() => {
    importCpu = processCpuSeconds(child.pid!) ?? importCpu;
    void serverCpu.sample().catch(() => undefined);
  }, 5_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  clearInterval(sampler);
  const ended = performance.now();
  await serverCpu.sample().catch(() => undefined);
  const machineAfter = machineTicks();
  if (code !== 0) {
    throw new Error(
      `directory import exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`,
    );
  }
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as ImportRun['summary'];
  const seconds = (ended - started) / 1000;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    seconds: round(seconds),
    loadSeconds: round(((indexesFrom ?? ended) - started) / 1000),
    indexSeconds: indexesFrom === undefined ? null : round((ended - indexesFrom) / 1000),
    summary,
    cores: {
      // The last reading is at most 5 s old: a lower bound of the process's CPU.
      importProcess: importCpu === undefined ? null : round(importCpu / seconds),
      postgres: round(serverCpu.seconds() / seconds),
    },
    machineBusy: busyShare(machineBefore, machineAfter),
  };
}
