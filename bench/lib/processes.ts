// Runs benchmark parts as separate processes, so the load generator, the hub and the source
// each have their own event loop, as they would in production.
import { type ChildProcess, spawn } from 'node:child_process';

export interface Child {
  readonly process: ChildProcess;
  readonly ready: Record<string, unknown>;
  stop(): Promise<void>;
}

const ROOT = new URL('../../', import.meta.url);

/** Spawns `node <script>` and waits for a line `READY {json}` on its stdout. */
export async function spawnReady(
  script: string,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<Child> {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /^READY (.*)$/m.exec(buffer);
      if (match) resolve(JSON.parse(match[1]!) as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
  return { process: child, ready, stop: () => stop(child) };
}

export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
