// The real start path: `node src/cli.ts start --demo` in a child process, on a fresh data dir and
// then again on the same one (the database is reused, nothing is seeded twice). The printed
// examples must behave as printed.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { DemoFile } from '../../src/demo/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const READY_TIMEOUT_MS = 60_000;
const dataDir = mkdtempSync(join(tmpdir(), 'crossroads-start-'));
const running = new Set<ChildProcess>();

after(() => {
  for (const child of running) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  readonly child: ChildProcess;
  readonly file: DemoFile;
  readonly output: () => string;
  readonly readyMs: number;
}

/**
 * The arguments `npm start` gives Node for the hub, read from package.json so this test runs
 * exactly what the README's quick start runs (after the Node-version guard).
 */
function npmStartArguments(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const last = pkg.scripts.start.split('&&').at(-1)!.trim().split(/\s+/);
  assert.equal(last[0], 'node', 'npm start ends by running node');
  assert.deepEqual(last.slice(-2), ['start', '--demo'], 'npm start runs the hub with its demo network');
  return last.slice(1);
}

/**
 * Starts the hub with the demo. `process.execPath` is the pinned Node that `npx node` runs; the
 * child is spawned directly rather than through npx, because npm exec runs it under `sh -c` and
 * does not pass SIGTERM on (npm exits 143 and leaves the hub running).
 */
async function startDemoHub(): Promise<Started> {
  const demoJson = join(dataDir, 'demo.json'); // rewritten before 'Try:' is printed
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CROSSROADS_DATA_DIR: dataDir,
    CROSSROADS_PORT: '0',
    CROSSROADS_DEMO_PORT_BASE: '0',
    CROSSROADS_LOG_LEVEL: 'warn',
  };
  delete env.NODE_TEST_CONTEXT;
  const started = performance.now();
  const child = spawn(process.execPath, npmStartArguments(), { cwd: ROOT, env });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));

  while (!(existsSync(demoJson) && output.includes('Try:'))) {
    assert.equal(child.exitCode, null, `the hub stopped before it was ready:\n${output}`);
    assert.ok(performance.now() - started < READY_TIMEOUT_MS, `not ready within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const readyMs = Math.round(performance.now() - started);
  const file = JSON.parse(readFileSync(demoJson, 'utf8')) as DemoFile;
  return { child, file, output: () => output, readyMs };
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

async function run(example: DemoFile['examples'][number], url = example.request.url) {
  const response = await fetch(url, {
    method: example.request.method,
    headers: example.request.headers,
    body: JSON.stringify(example.request.body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test(
  'npm start --demo: seeds, prints working examples, stops on SIGTERM, restarts on the same data',
  { timeout: 150_000 },
  async (t) => {
    // ---- first start: an empty data dir, the default 1,000 people are seeded ----
    const first = await startDemoHub();
    t.diagnostic(`first start (seeding 1,000 people) ready after ${first.readyMs} ms`);
    const { file } = first;
    assert.equal(file.examples.length, 2);
    const printed = first.output();
    assert.ok(printed.includes(file.hub), 'the hub URL is printed');
    assert.match(file.hub, /^http:\/\/127\.0\.0\.1:\d+$/);
    for (const e of file.examples) assert.ok(printed.includes(e.curl), `prints: ${e.curl}`);

    const answers = [];
    for (const example of file.examples) {
      const answer = await run(example);
      assert.equal(answer.status, example.expect.status, `${example.title}: ${JSON.stringify(answer.body)}`);
      if (example.expect.code) assert.equal(answer.body.code, example.expect.code);
      assert.ok(
        printed.includes(`→ ${example.expect.status}${example.expect.code ? ` ${example.expect.code}` : ''}`),
      );
      answers.push(answer);
    }
    assert.equal(answers[0]!.body.status, 'forwarded');
    assert.ok(existsSync(join(dataDir, 'crossroads.db')), 'the database is in the data dir');
    assert.equal(await stop(first.child), 0, 'SIGTERM stops the hub with exit code 0');

    // ---- second start: the same data dir, the database is reused ----
    const second = await startDemoHub();
    t.diagnostic(`second start (database reused) ready after ${second.readyMs} ms`);
    assert.ok(second.readyMs < first.readyMs, 'no re-seeding: the second start is faster');
    assert.deepEqual(
      second.file.institutions.map((i) => i.credential),
      file.institutions.map((i) => i.credential),
      'the credentials of demo.json are kept',
    );
    assert.equal(second.file.operator.token, file.operator.token);

    const [permitted] = second.file.examples;
    const again = await run(file.examples[0]!, permitted!.request.url); // the old credential, the new port
    assert.equal(again.status, 200, JSON.stringify(again.body));
    // The first run's exchange is still in the log: the database was reused, not recreated.
    const earlier = await fetch(`${second.file.hub}/v1/exchanges/${String(answers[0]!.body.exchangeId)}`, {
      headers: { authorization: file.examples[0]!.request.headers.authorization! },
    });
    assert.equal(earlier.status, 200);
    assert.equal(await stop(second.child), 0);
  },
);
