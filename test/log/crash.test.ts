// A crash during a load of exchanges: the real hub process (`crossroads start --demo`) is killed
// with SIGKILL while 32 clients make permitted exchanges. After a restart on the same data folder,
// `crossroads log verify` passes, every exchange a client got a 200 for is in the log and in the
// signed tree, and the new tree is consistent with a checkpoint published before the crash.
// On the PostgreSQL pass of `npm test` both hubs and `log verify` run on the data folder's database.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type Checkpoint,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  verifyConsistency,
} from '../../src/log/index.ts';
import { databaseEnv, databaseFor, dropTestDatabase, openTestReader } from '../helpers/engine.ts';
import { CLI, REPO, b64, cliJson, runCli, sleep, waitFor, waitForDemoFile } from './log-helpers.ts';

let work: string;
/** The hub's database on the PostgreSQL pass (its SQLite file in `work` on the SQLite pass). */
let databaseUrl: string | undefined;
const children = new Set<ChildProcess>();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'crossroads-crash-'));
  databaseUrl = await databaseFor(work);
});
after(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (work) rmSync(work, { recursive: true, force: true });
  if (databaseUrl) await dropTestDatabase(databaseUrl);
});

function startHub(): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [CLI, 'start', '--demo'], {
    cwd: REPO,
    env: {
      ...process.env,
      CROSSROADS_DATA_DIR: work,
      CROSSROADS_PORT: '0',
      CROSSROADS_DEMO_PORT_BASE: '0',
      CROSSROADS_DEMO_PEOPLE: '60',
      CROSSROADS_LOG_LEVEL: 'warn',
      ...databaseEnv(databaseUrl),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('exit', () => children.delete(child));
  return { child, output: () => output };
}

async function latestCheckpoint(hub: string, vkey: string): Promise<Checkpoint> {
  const note = await (await fetch(`${hub}/public/log/checkpoint`)).text();
  return parseCheckpoint(openNote(note, [parseVerifierKey(vkey)]).text);
}

test('after SIGKILL during a load of exchanges and a restart, log verify passes and every answered exchange is logged', async () => {
  const first = startHub();
  const demo = await waitForDemoFile(work, undefined, first);
  const { verifierKey } = (await (await fetch(`${demo.hub}/public/log/key`)).json()) as {
    verifierKey: string;
  };
  const example = demo.examples.find((e) => e.expect.status === 200)!.request;

  // The load: 32 clients in a loop until the hub dies under them.
  const answered: string[] = [];
  const failures: string[] = [];
  let stopped = false;
  const client = async () => {
    while (!stopped) {
      try {
        const response = await fetch(example.url, {
          method: 'POST',
          headers: example.headers,
          body: JSON.stringify(example.body),
        });
        const body = (await response.json()) as { exchangeId: string };
        assert.equal(response.status, 200, JSON.stringify(body));
        answered.push(body.exchangeId);
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        failures.push(String(error));
        return;
      }
    }
  };
  const load = Array.from({ length: 32 }, client);
  await sleep(700);
  const beforeCrash = await latestCheckpoint(demo.hub, verifierKey);
  await sleep(300);
  first.child.kill('SIGKILL');
  const exited = new Promise((resolve) => first.child.once('exit', resolve));
  await Promise.all(load);
  stopped = true;
  await exited;
  assert.equal(first.child.signalCode, 'SIGKILL');
  assert.ok(answered.length >= 20, `only ${answered.length} exchanges answered before the crash`);
  assert.ok(failures.length > 0, 'the crash hit clients in flight');

  // Verified as the crash left it: records committed but not yet in a signed tree are no fault.
  const crashed = await runCli(['log', 'verify'], { CROSSROADS_DATA_DIR: work, ...databaseEnv(databaseUrl) });
  assert.equal(crashed.code, 0, crashed.stdout + crashed.stderr);
  const left = cliJson(crashed);
  assert.equal(left.ok, true);
  assert.ok(Number(left.records) >= answered.length && Number(left.treeSize) <= Number(left.records));

  // Restart on the same data folder and let the sequencer integrate what was committed.
  const second = startHub();
  const again = await waitForDemoFile(work, demo.hub, second);
  const operator = { authorization: `Bearer ${again.operator.token}` };
  const status = await waitFor('the sequencer to catch up after the restart', async () => {
    const now = (await (await fetch(`${again.hub}/admin/log/status`, { headers: operator })).json()) as {
      records: number;
      treeSize: number;
    };
    return now.records > 0 && now.treeSize === now.records ? now : undefined;
  });

  // Verified after the restart, with everything integrated.
  const verify = await runCli(['log', 'verify'], { CROSSROADS_DATA_DIR: work, ...databaseEnv(databaseUrl) });
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const verdict = cliJson(verify);
  assert.equal(verdict.ok, true);
  assert.equal(verdict.records, status.records);
  assert.equal(verdict.treeSize, status.records);

  const db = openTestReader(work);
  try {
    const seqOf = new Map(
      (await db.all('SELECT exchange_id, seq FROM exchange_log', [])).map((r) => [
        String(r.exchange_id),
        Number(r.seq),
      ]),
    );
    const missing = answered.filter((id) => !seqOf.has(id));
    assert.deepEqual(
      missing,
      [],
      `${missing.length} of ${answered.length} answered exchanges are not in the log`,
    );
    assert.ok(
      answered.every((id) => seqOf.get(id)! <= status.treeSize),
      'all in the signed tree',
    );
  } finally {
    await db.close();
  }

  // The tree after the crash extends the one published before it.
  const afterCrash = await latestCheckpoint(again.hub, verifierKey);
  const { proof } = (await (
    await fetch(`${again.hub}/public/log/proof/consistency?from=${beforeCrash.size}&to=${afterCrash.size}`)
  ).json()) as { proof: string[] };
  verifyConsistency({
    size1: beforeCrash.size,
    size2: afterCrash.size,
    root1: beforeCrash.rootHash,
    root2: afterCrash.rootHash,
    proof: proof.map(b64),
  });

  second.child.kill('SIGTERM');
  await new Promise((resolve) => second.child.once('exit', resolve));
});
