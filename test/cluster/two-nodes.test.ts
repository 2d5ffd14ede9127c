// Two hub nodes on one PostgreSQL database (architecture.md §6): node B is a `crossroads start`
// process, node A an in-process test hub that also runs the demo network. Exchanges through both
// land in one log that `log verify` accepts; when the sequencer leader is killed with SIGKILL the
// other node takes over and nothing answered is lost; change deliveries under two relays each
// arrive, without systematic duplicates; an authorisation withdrawn through one node is enforced
// by the other within a second.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { movedAddress } from '../../src/demo/index.ts';
import { today } from '../../src/kernel/index.ts';
import { SEQUENCER_LOCK, recordByExchangeId } from '../../src/log/index.ts';
import { createTestDatabase, dropTestDatabase, engine } from '../helpers/engine.ts';
import {
  type TestHub,
  kboOf,
  leefloonClientInGent,
  operatorToken,
  startTestHub,
} from '../helpers/test-hub.ts';
// eslint-disable-next-line no-restricted-imports -- the log tests' helpers (CLI, permitted exchange, waiting)
import { CLI, REPO, permitted, runCli, waitFor } from '../log/log-helpers.ts';

const skip =
  engine === 'postgres'
    ? false
    : 'runs in the PostgreSQL pass (set CROSSROADS_TEST_PG_URL; npm test then runs it against that server)';

interface Node {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

let dataDir = '';
let databaseUrl = '';
let a: TestHub | undefined;
const children = new Set<ChildProcess>();

/** A `crossroads start` process on the shared database and data directory (keys). */
async function startNode(): Promise<Node> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CROSSROADS_DATA_DIR: dataDir,
    CROSSROADS_DATABASE_URL: databaseUrl,
    CROSSROADS_PORT: '0',
    CROSSROADS_LOG_LEVEL: 'warn',
  };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await waitFor(
    'node B to listen',
    () => {
      assert.equal(child.exitCode, null, `node B exited: ${output}`);
      return /listening on (http:\/\/\S+)/.exec(output)?.[1];
    },
    60_000,
  );
  return { child, url, output: () => output };
}

function kill(node: Node): Promise<void> {
  return new Promise((resolve) => {
    if (node.child.exitCode !== null || node.child.signalCode !== null) return resolve();
    node.child.once('exit', () => resolve());
    node.child.kill('SIGKILL');
  });
}

async function exchange(
  base: string,
  token: string,
  body: unknown,
): Promise<{ status: number; id?: string }> {
  const response = await fetch(`${base}/v1/exchanges`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { exchangeId?: string };
  return { status: response.status, ...(answer.exchangeId ? { id: answer.exchangeId } : {}) };
}

/** Waits until the signed tree holds every record committed so far, by any node. */
async function waitForWholeTree(hub: TestHub['hub'], timeoutMs = 10_000): Promise<number> {
  const [row] = await hub.store.reader.all<{ n: number | null }>(
    'SELECT MAX(seq) AS n FROM exchange_log',
    [],
  );
  const committed = Number(row?.n ?? 0);
  return waitFor(
    `the signed tree to reach ${committed} records`,
    async () => {
      const size = (await hub.tree.latestCheckpoint())?.size ?? 0;
      return size >= committed ? size : undefined;
    },
    timeoutMs,
  );
}

before(async () => {
  if (skip) return;
  dataDir = mkdtempSync(join(tmpdir(), 'crossroads-cluster-'));
  databaseUrl = await createTestDatabase('crossroads_cluster');
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await a?.close();
  if (databaseUrl) await dropTestDatabase(databaseUrl);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('two hub nodes on one PostgreSQL database', { skip }, () => {
  let b: Node;
  const answered: string[] = [];

  test('node B starts first and leads the sequencer; node A (with the demo network) follows', async () => {
    b = await startNode();
    a = await startTestHub({ dataDir, env: { CROSSROADS_DATABASE_URL: databaseUrl } });
    const ready = await fetch(`${b.url}/ready`);
    assert.equal(ready.status, 200);
    assert.equal(a.hub.log.sequencerLeader, false, 'A does not lead while B holds the lock');
    const status = await fetch(`${b.url}/admin/log/status`, {
      headers: { authorization: `Bearer ${operatorToken(a.demo)}` },
    });
    assert.equal(((await status.json()) as { sequencerLeader: boolean }).sequencerLeader, true);
    // Never two: exactly one session holds the sequencer's advisory lock (key split in two halves).
    const [held] = await a.hub.store.reader.all<{ n: number }>(
      // pg_locks covers every database of the server (other suites run hubs of their own meanwhile).
      `SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = ? AND objid = ?
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [Math.floor(SEQUENCER_LOCK / 2 ** 32), SEQUENCER_LOCK % 2 ** 32],
    );
    assert.equal(Number(held!.n), 1);
  });

  test('exchanges through both nodes land in one log, in one signed tree', async () => {
    const request = permitted(a!);
    for (let i = 0; i < 20; i++) {
      const base = i % 2 === 0 ? a!.url : b.url;
      // B learns A's demo network (credentials, sources) from the database, announced by NOTIFY.
      const result = await waitFor(`exchange ${i} through ${base}`, async () => {
        const r = await exchange(base, request.token!, request.body);
        return r.status === 200 ? r : undefined;
      });
      answered.push(result.id!);
    }
    const size = await waitForWholeTree(a!.hub);
    assert.ok(size >= answered.length);
    for (const id of answered) assert.ok(await recordByExchangeId(a!.hub.store.db, id), `record of ${id}`);
  });

  test('SIGKILL of the leader mid-load: A takes over within seconds and every answered exchange is in the log', async () => {
    const request = permitted(a!);
    let stop = false;
    const load = (async () => {
      while (!stop) {
        for (const base of [a!.url, b.url]) {
          const r = await exchange(base, request.token!, request.body).catch(() => undefined);
          if (r?.status === 200) answered.push(r.id!);
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 700));
    await kill(b);
    const killedAt = Date.now();
    await waitFor('node A to lead the sequencer', () => a!.hub.log.sequencerLeader, 10_000);
    const takeover = Date.now() - killedAt;
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop = true;
    await load;
    assert.ok(takeover < 5_000, `took over in ${takeover} ms`);
    console.log(`# sequencer takeover after SIGKILL: ${takeover} ms`);
    await waitForWholeTree(a!.hub);
    const missing = [];
    for (const id of answered) if (!(await recordByExchangeId(a!.hub.store.db, id))) missing.push(id);
    assert.deepEqual(missing, [], 'every exchange answered 200 is in the log');
  });

  test('`log verify` accepts the log both nodes wrote', async () => {
    b = await startNode();
    await waitForWholeTree(a!.hub);
    const { code, stdout } = await runCli([
      'log',
      'verify',
      '--db',
      databaseUrl,
      '--vkey',
      a!.hub.logKey.verifierKey,
    ]);
    assert.equal(code, 0, stdout);
    const verdict = JSON.parse(stdout) as { ok: boolean; records: number };
    assert.equal(verdict.ok, true);
    assert.ok(verdict.records >= answered.length);
  });

  test('change deliveries under two relays: each delivered, no systematic duplicates', async () => {
    const person = leefloonClientInGent(a!.demo);
    const inbox = a!.demo.changes.inbox;
    const before = inbox.events.length;
    const nr = a!.demo.credential('nr');
    const published = 30;
    for (let i = 0; i < published; i++) {
      const base = i % 2 === 0 ? a!.url : b.url;
      const response = await fetch(`${base}/v1/changes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${nr}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          service: 'nr.identity',
          insz: person.insz,
          effectiveDate: today(a!.hub.clock),
          kind: 'updated',
          data: { address: movedAddress('gent', i + 10) },
          sourceReference: `cluster-test-${i}`,
        }),
      });
      assert.equal(response.status, 202, await response.text());
    }
    const events = await waitFor(
      'every change to reach OCMW Gent',
      () => {
        const got = inbox.events.slice(before);
        const changes = new Set(got.map((e) => e.data.change));
        return changes.size >= published ? got : undefined;
      },
      20_000,
    );
    const ids = events.map((e) => e.id);
    const duplicates = ids.length - new Set(ids).size;
    assert.ok(duplicates <= 1, `${duplicates} duplicate deliveries of ${ids.length}`);
  });

  test('a credential revoked through node B stops working on node A within a second', async () => {
    const operator = {
      authorization: `Bearer ${operatorToken(a!.demo)}`,
      'content-type': 'application/json',
    };
    const issued = await fetch(`${b.url}/admin/credentials`, {
      method: 'POST',
      headers: operator,
      body: JSON.stringify({ institution: kboOf(a!.demo, 'ocmwGent'), label: 'two-node test' }),
    });
    assert.equal(issued.status, 201, await issued.clone().text());
    const { id, token } = (await issued.json()) as { id: string; token: string };
    const request = permitted(a!);
    // A verifies the new token (and keeps it verified in memory).
    const used = await waitFor('node A to accept the new credential', async () => {
      const r = await exchange(a!.url, token, request.body);
      return r.status === 200 ? r : undefined;
    });
    assert.equal(used.status, 200);
    const revoked = await fetch(`${b.url}/admin/credentials/${id}/revoke`, {
      method: 'POST',
      headers: { authorization: operator.authorization },
    });
    assert.equal(revoked.status, 204);
    // Measured on A's own state (polled every 25 ms), so the machine's load on HTTP calls does not
    // count against the propagation time.
    const at = Date.now();
    await waitFor(
      'node A to forget the revoked credential',
      () => !a!.hub.registry.authenticate(token),
      1_000,
    );
    assert.ok(Date.now() - at <= 1_000);
    assert.equal((await exchange(a!.url, token, request.body)).status, 401);
  });

  test('an exclusive capacity asked for at once through both nodes goes to exactly one institution', async () => {
    const people = a!.demo.people.filter((p) => p.leefloon === null).slice(0, 6);
    assert.ok(people.length === 6, 'people without a leefloon');
    const register = (base: string, key: 'ocmwGent' | 'cpasLiege', insz: string, card: string) =>
      fetch(`${base}/v1/directory/registrations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${a!.demo.credential(key)}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          insz,
          capacity: 2, // leefloon: one OCMW/CPAS at a time
          period: { start: today(a!.hub.clock) },
          proof: { identityCardNumber: card },
        }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code?: string } }));
    for (const person of people) {
      const [gent, liege] = await Promise.all([
        register(a!.url, 'ocmwGent', person.insz, person.identityCardNumber),
        register(b.url, 'cpasLiege', person.insz, person.identityCardNumber),
      ]);
      const statuses = [gent.status, liege.status].sort();
      assert.deepEqual(statuses, [201, 409], `${JSON.stringify(gent)} / ${JSON.stringify(liege)}`);
      assert.equal([gent, liege].find((r) => r.status === 409)!.body.code, 'EXCLUSIVITY_CONFLICT');
    }
  });

  test('an authorisation withdrawn through node B is enforced by node A within a second', async () => {
    const request = permitted(a!);
    const first = await exchange(a!.url, request.token!, request.body);
    assert.equal(first.status, 200);
    const record = await recordByExchangeId(a!.hub.store.db, first.id!);
    const ref = record!.authorisation!.ref;
    const withdrawn = await fetch(`${b.url}/admin/authorisations/withdraw`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorToken(a!.demo)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ref, note: 'withdrawn in the two-node test' }),
    });
    assert.equal(withdrawn.status, 201, await withdrawn.text());
    const at = Date.now();
    await waitFor(
      'node A to know the withdrawal',
      () => a!.hub.authorisations.get(ref)?.status === 'withdrawn',
      1_000,
    );
    assert.ok(Date.now() - at <= 1_000);
    assert.equal((await exchange(a!.url, request.token!, request.body)).status, 403);
  });
});
