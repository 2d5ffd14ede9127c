// A crash during the fan-out of a burst of changes: the real hub process (`crossroads start --demo`)
// is killed with SIGKILL while 16 clients publish changes as the National Register and deliveries
// are still queued (the push recipients' webhooks are down). After a restart on the same data
// folder, every change the hub answered 202 for reaches every one of its recipients — push
// recipients at their webhooks, the pull recipient in its feed — duplicates allowed, losses not;
// `crossroads log verify` passes and every delivery has exactly one exchange-log record. Run once with the
// in-process push workers and once over NATS JetStream (when CROSSROADS_TEST_NATS_URL is set).
// On the PostgreSQL pass of `npm test` the hubs and `log verify` run on the data folder's database.
//
// The recipients, and why these. The demo authorises only the two OCMWs for nr.identity and points
// OCMW Gent's webhook at an inbox inside the hub process on every start, requeueing Gent's waiting
// deliveries — which would hide a relay that forgets its pushes after a crash (the demo's requeue
// would send them anyway), and that inbox dies with the SIGKILL. So three recipients, one per kind
// of path, each person held by exactly one of them:
// - the Federal Pension Service: push to a receiver in this test process, which outlives the hub.
//   The demo subscribes it but lets its nr.identity authorisation end in 2025; the test amends it
//   back in force through the operator API. The demo never touches its delivery settings, so after
//   the restart only the hub's own crash recovery can get its queued deliveries out.
// - CPAS Liège: pull from its feed, as the demo sets it (and never touches either).
// - OCMW Gent: push to a second receiver in this process. After the restart the demo sends some of
//   Gent's deliveries to its own inbox before the test points Gent back at its receiver. That inbox
//   is Gent's demo receiver (a delivery there did reach OCMW Gent) and the restarted hub's one lives
//   until the test stops that hub, so the test reads it (GET on the webhook lists what it took) and
//   counts Gent's deliveries at either. The first hub's inbox gets none of them: Gent is pointed at
//   the test's receiver before the burst.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, after, test } from 'node:test';
import {
  type ChangeInbox,
  type DemoFile,
  type DemoInstitutionKey,
  type DemoPerson,
  demoAuthorisations,
  demoRegistrations,
  generatePeople,
  keysFromJwks,
  movedAddress,
  startChangeInbox,
} from '../../src/demo/index.ts';
import type { ChangeEvent } from '../../src/mutations/index.ts';
import { deleteNatsStream } from '../../src/mutations/nats.ts';
import { databaseEnv, databaseFor, dropTestDatabase, openTestReader } from '../helpers/engine.ts';
// eslint-disable-next-line no-restricted-imports -- the log tests' helpers, not the log capability's internals
import { CLI, REPO, cliJson, runCli, sleep, waitFor, waitForDemoFile } from '../log/log-helpers.ts';

const NATS_URL = process.env.CROSSROADS_TEST_NATS_URL;
const PEOPLE = 60;
const CLIENTS = 16;
/** Changes accepted (with the webhooks up) before the webhooks go down, at least. */
const OPEN_FOR = 40;
/** Pushed events each webhook takes before they go down, at least. */
const PUSHED_FIRST = 10;
/** Changes accepted after the webhooks went down, before the SIGKILL. */
const DOWN_FOR = 110;
/** The burst stops here even if the hub was not killed yet (the test then fails). */
const MAX_CHANGES = 2_000;
/**
 * After the restart, how long every accepted change may take to reach its recipients. Over
 * JetStream the deliveries the killed hub had taken from the stream come back only after the
 * consumer's ack wait (NATS_ACK_WAIT_MS here), so this is longer than that. On PostgreSQL, where
 * several nodes may share the database, the restarted hub takes the push deliveries the killed one
 * held once its claims on them expired (CLAIM_MS here) and its sweep (every third of it) found them.
 */
const DELIVERY_DEADLINE_MS = 40_000;
const CLAIM_MS = 3_000;
const NATS_ACK_WAIT_MS = 3_000;

const works = new Set<string>();
/** The hubs' databases on the PostgreSQL pass (each data directory's SQLite file on the SQLite pass). */
const databases = new Set<string>();
const children = new Set<ChildProcess>();
const inboxes = new Set<ChangeInbox>();

after(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const inbox of inboxes) await inbox.close();
  for (const work of works) rmSync(work, { recursive: true, force: true });
  for (const url of databases) await dropTestDatabase(url);
});

interface Hub {
  readonly child: ChildProcess;
  readonly output: () => string;
}

function startHub(env: Record<string, string>): Hub {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [CLI, 'start', '--demo'], {
    cwd: REPO,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('exit', () => children.delete(child));
  return { child, output: () => output };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const credential = (demo: DemoFile, key: DemoInstitutionKey): string =>
  demo.institutions.find((i) => i.key === key)!.credential;

async function api<T>(
  hub: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${hub}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

async function pushTo(demo: DemoFile, who: Recipient, url: string): Promise<void> {
  const set = await api(demo.hub, credential(demo, who), 'PUT', '/v1/changes/delivery', {
    mode: 'push',
    url,
  });
  assert.equal(set.status, 200, JSON.stringify(set.body));
}

/** What CPAS Liège has pulled from its feed: event id → times seen. */
type Pulled = Map<string, { change: string; times: number; at: number }>;

/** Reads one page of CPAS Liège's feed and acknowledges it; answers how many events it had. */
async function pullOnce(demo: DemoFile, pulled: Pulled): Promise<number> {
  const token = credential(demo, 'cpasLiege');
  const page = await api<{ events: ChangeEvent[]; cursor: string | null }>(
    demo.hub,
    token,
    'GET',
    '/v1/changes/feed?limit=1000',
  );
  assert.equal(page.status, 200, JSON.stringify(page.body));
  for (const event of page.body.events) {
    const seen = pulled.get(event.id);
    if (seen) seen.times += 1;
    else pulled.set(event.id, { change: event.data.change, times: 1, at: performance.now() });
  }
  if (page.body.cursor !== null) {
    const ack = await api(demo.hub, token, 'POST', '/v1/changes/ack', { cursor: page.body.cursor });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
  }
  return page.body.events.length;
}

const RECIPIENTS = ['sfpd', 'cpasLiege', 'ocmwGent'] as const;
type Recipient = (typeof RECIPIENTS)[number];

interface AcceptedChange {
  readonly changeId: string;
  readonly recipients: number;
  readonly insz: string;
  /** The one institution the demo's registrations (and the authorisations) make its recipient. */
  readonly recipient: Recipient;
}

/** The demo people each recipient holds a registration for; nobody is held by two of them. */
function heldPeople(): Map<Recipient, DemoPerson[]> {
  const held = new Map<Recipient, DemoPerson[]>(RECIPIENTS.map((r) => [r, []]));
  for (const person of generatePeople(PEOPLE)) {
    const by = new Set(
      demoRegistrations(person)
        .map(([key]) => key)
        .filter((key): key is Recipient => (RECIPIENTS as readonly string[]).includes(key)),
    );
    assert.ok(by.size <= 1, `${person.insz} is held by one of ${RECIPIENTS.join(', ')} at most`);
    for (const r of by) held.get(r)!.push(person);
  }
  for (const [r, people] of held) assert.ok(people.length > 0, `the demo people include some held by ${r}`);
  return held;
}

/** The demo's ended nr.identity authorisation of the Federal Pension Service, amended back in force. */
async function authorisePensionService(demo: DemoFile): Promise<void> {
  const sfpd = demo.institutions.find((i) => i.key === 'sfpd')!.kbo;
  const ended = demoAuthorisations().find(
    (a) => a.recipients.institutions.includes(sfpd) && a.services.some((s) => s.service === 'nr.identity'),
  );
  assert.ok(ended && ended.validTo !== null, 'the demo has an ended nr.identity authorisation for the SFPD');
  const amended = await api(demo.hub, demo.operator.token, 'POST', '/admin/authorisations/amend', {
    ...ended,
    validTo: null,
    note: 'Crash test: back in force, so that the Pension Service receives address changes.',
  });
  assert.equal(amended.status, 201, JSON.stringify(amended.body));
  const subscriptions = await api<{ subscriptions: { service: string; authorised: boolean }[] }>(
    demo.hub,
    credential(demo, 'sfpd'),
    'GET',
    '/v1/subscriptions',
  );
  assert.ok(
    subscriptions.body.subscriptions.some((s) => s.service === 'nr.identity' && s.authorised),
    JSON.stringify(subscriptions.body),
  );
}

async function crashDuringFanOut(
  t: TestContext,
  mode: { nats?: { url: string; stream: string } },
): Promise<void> {
  const started = performance.now();
  const since = () => `${Math.round(performance.now() - started)} ms`;
  const work = mkdtempSync(join(tmpdir(), 'crossroads-change-crash-'));
  works.add(work);
  const databaseUrl = await databaseFor(work);
  if (databaseUrl) databases.add(databaseUrl);
  const env = {
    CROSSROADS_DATA_DIR: work,
    ...databaseEnv(databaseUrl),
    CROSSROADS_PORT: '0',
    CROSSROADS_DEMO_PORT_BASE: '0',
    CROSSROADS_DEMO_PEOPLE: String(PEOPLE),
    CROSSROADS_LOG_LEVEL: 'warn',
    CROSSROADS_DELIVERY_RETRY_BASE_MS: '50',
    CROSSROADS_DELIVERY_RETRY_MAX_MS: '500',
    // The webhooks are down for a few seconds: with the default 12 attempts a delivery could park as
    // dead (by design, for an operator to replay), which is not what this test is about.
    CROSSROADS_DELIVERY_MAX_ATTEMPTS: '1000',
    CROSSROADS_NATS_URL: mode.nats?.url ?? '',
    CROSSROADS_NATS_STREAM: mode.nats?.stream ?? '',
    CROSSROADS_NATS_ACK_WAIT_MS: String(NATS_ACK_WAIT_MS),
    CROSSROADS_DELIVERY_CLAIM_MS: String(CLAIM_MS),
  };
  const held = heldPeople();
  const day = new Date().toISOString().slice(0, 10);
  const run = randomUUID().slice(0, 8);

  const first = startHub(env);
  const demo = await waitForDemoFile(work, undefined, first);
  t.diagnostic(`hub started after ${since()}`);

  // The Pension Service and OCMW Gent take their changes pushed to receivers in this process (which
  // check the hub's signatures); CPAS Liège pulls its feed.
  await authorisePensionService(demo);
  const jwks = (await (await fetch(`${demo.hub}/public/changes/keys`)).json()) as {
    keys: { kid?: string }[];
  };
  const inbox = new Map<'sfpd' | 'ocmwGent', ChangeInbox>();
  /** When each change first reached a webhook of this process. */
  const arrivedAt = new Map<string, number>();
  for (const who of ['sfpd', 'ocmwGent'] as const) {
    const receiver = await startChangeInbox({
      key: keysFromJwks(jwks),
      onEvent: (e) => arrivedAt.set(e.data.change, performance.now()),
    });
    inboxes.add(receiver);
    inbox.set(who, receiver);
    await pushTo(demo, who, receiver.url);
  }
  const receivers = [...inbox.values()];
  const liege = await api<{ mode: string }>(
    demo.hub,
    credential(demo, 'cpasLiege'),
    'GET',
    '/v1/changes/delivery',
  );
  assert.equal(liege.body.mode, 'pull', 'CPAS Liège pulls its feed');

  // The burst: 16 National Register clients publish address changes — about people of each
  // recipient in turn — until the hub dies under them. Once OPEN_FOR changes are accepted and each
  // webhook took PUSHED_FIRST events, both webhooks go down (every request refused with 503), so
  // the deliveries of the next DOWN_FOR changes are still queued, retried with backoff, when the
  // hub is killed. CPAS Liège pulls and acks its feed meanwhile.
  const nr = credential(demo, 'nr');
  const accepted: AcceptedChange[] = [];
  const failures: string[] = [];
  const pulled: Pulled = new Map();
  let next = 0;
  let downAt: number | undefined;
  let killed = false;
  const client = async () => {
    while (!killed && next < MAX_CHANGES) {
      const n = next++;
      const recipient = RECIPIENTS[n % RECIPIENTS.length]!;
      const people = held.get(recipient)!;
      const person = people[Math.floor(n / RECIPIENTS.length) % people.length]!;
      try {
        const answer = await api<{ changeId: string; recipients: number; repeated: boolean }>(
          demo.hub,
          nr,
          'POST',
          '/v1/changes',
          {
            service: 'nr.identity',
            insz: person.insz,
            effectiveDate: day,
            kind: 'updated',
            data: { address: movedAddress(person.region, n) },
            sourceReference: `crash-${run}-${n}`,
          },
        );
        assert.equal(answer.status, 202, JSON.stringify(answer.body));
        assert.equal(answer.body.repeated, false);
        accepted.push({
          changeId: answer.body.changeId,
          recipients: answer.body.recipients,
          insz: person.insz,
          recipient,
        });
      } catch (error) {
        if (error instanceof assert.AssertionError && !killed) throw error;
        failures.push(String(error));
        return;
      }
      if (
        downAt === undefined &&
        accepted.length >= OPEN_FOR &&
        receivers.every((r) => r.events.length >= PUSHED_FIRST)
      ) {
        for (const r of receivers) r.failNext(Number.MAX_SAFE_INTEGER);
        downAt = accepted.length;
      }
      if (downAt !== undefined && accepted.length >= downAt + DOWN_FOR && !killed) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    }
  };
  const puller = async () => {
    while (!killed) {
      try {
        if ((await pullOnce(demo, pulled)) === 0) await sleep(20);
      } catch (error) {
        if (!killed) throw error;
        return;
      }
    }
  };
  const exit = exited(first.child);
  await Promise.all([...Array.from({ length: CLIENTS }, client), puller()]);
  assert.ok(killed, `the hub was not killed after ${accepted.length} accepted changes`);
  await exit;
  assert.equal(first.child.signalCode, 'SIGKILL');
  t.diagnostic(
    `killed after ${since()}: ${accepted.length} changes accepted (webhooks down from #${downAt}), ` +
      `${failures.length} requests cut off`,
  );

  // Every change answered 202 has the one recipient the demo's registrations give its person.
  for (const a of accepted) assert.equal(a.recipients, 1, `change ${a.changeId} for ${a.insz}`);

  /** The ids of the changes each recipient has received so far. */
  let atDemoInbox: ChangeEvent[] = [];
  const received = (): Map<Recipient, Set<string>> =>
    new Map([
      ['sfpd', new Set(inbox.get('sfpd')!.events.map((e) => e.data.change))],
      ['ocmwGent', new Set([...inbox.get('ocmwGent')!.events, ...atDemoInbox].map((e) => e.data.change))],
      ['cpasLiege', new Set([...pulled.values()].map((p) => p.change))],
    ]);
  const notYet = (): AcceptedChange[] => {
    const got = received();
    return accepted.filter((a) => !got.get(a.recipient)!.has(a.changeId));
  };
  const count = (changes: readonly AcceptedChange[]) =>
    RECIPIENTS.map((r) => `${r} ${changes.filter((a) => a.recipient === r).length}`).join(', ');

  // The point of the test: accepted push deliveries were still queued when the hub died (every
  // push after the webhooks went down was refused, so this does not depend on timing).
  const openAtKill = notYet();
  t.diagnostic(`accepted: ${count(accepted)}; not received at the kill: ${count(openAtKill)}`);
  for (const who of ['sfpd', 'ocmwGent'] as const) {
    assert.ok(
      openAtKill.some((a) => a.recipient === who),
      `some accepted deliveries to ${who} had not reached its webhook at the kill`,
    );
  }
  for (const r of receivers) {
    assert.equal(r.refused.size, 0, `bad signatures: ${JSON.stringify([...r.refused])}`);
  }

  // What the crash left in the store for the restart to take up.
  const left = openTestReader(work);
  try {
    const pending = async (mode: 'push' | 'pull') =>
      Number(
        (
          await left.all<{ n: unknown }>(
            `SELECT count(*) AS n FROM deliveries WHERE status = 'pending' AND mode = ?`,
            [mode],
          )
        )[0]!.n,
      );
    t.diagnostic(
      `the crash left ${await pending('push')} push and ${await pending('pull')} pull deliveries pending`,
    );
  } finally {
    await left.close();
  }

  // The webhooks come back; the hub restarts on the same data and Gent is pointed at its own again.
  for (const r of receivers) r.failNext(0);
  const second = startHub(env);
  const again = await waitForDemoFile(work, demo.hub, second);
  const keysAgain = (await (await fetch(`${again.hub}/public/changes/keys`)).json()) as typeof jwks;
  assert.deepEqual(keysAgain, jwks, 'the delivery key survives the restart');
  await pushTo(again, 'ocmwGent', inbox.get('ocmwGent')!.url);
  const restartedAt = performance.now();
  t.diagnostic(`restarted after ${since()}`);

  // Wait for every accepted change to reach its recipient; Gent's may also be at the demo's inbox.
  const deadline = Date.now() + DELIVERY_DEADLINE_MS;
  for (;;) {
    while ((await pullOnce(again, pulled)) > 0);
    atDemoInbox = ((await (await fetch(again.changes.webhook)).json()) as { events: ChangeEvent[] }).events;
    const lost = notYet();
    if (lost.length === 0) break;
    if (Date.now() > deadline) {
      assert.deepEqual(
        lost.map((a) => `${a.changeId} (${a.recipient})`),
        [],
        `${lost.length} of ${accepted.length} accepted changes did not reach their recipient ` +
          `within ${DELIVERY_DEADLINE_MS} ms of the restart`,
      );
    }
    await sleep(50);
  }
  // How long after the restart the last change open at the kill arrived, per recipient. The demo
  // inbox's arrivals are not timed; they come before the restarted hub is reported started, so they
  // count as +0 (a later duplicate at Gent's receiver in this process does not make them late).
  const pulledAt = new Map([...pulled.values()].map((p) => [p.change, p.at]));
  const atDemo = new Set(atDemoInbox.map((e) => e.data.change));
  const lastArrival = RECIPIENTS.map((r) => {
    const times = openAtKill
      .filter((a) => a.recipient === r && !atDemo.has(a.changeId))
      .map((a) => (r === 'cpasLiege' ? pulledAt : arrivedAt).get(a.changeId) ?? restartedAt);
    return `${r} +${Math.round(Math.max(restartedAt, ...times) - restartedAt)} ms`;
  });
  t.diagnostic(`last delivery open at the kill arrived after the restart: ${lastArrival.join(', ')}`);
  const pullDuplicates = [...pulled.values()].filter((p) => p.times > 1).length;
  t.diagnostic(
    `every accepted change reached its recipient ${since()} in; ` +
      `sfpd webhook ${inbox.get('sfpd')!.events.length} events (${inbox.get('sfpd')!.duplicates} duplicates), ` +
      `ocmwGent webhook ${inbox.get('ocmwGent')!.events.length} ` +
      `(${inbox.get('ocmwGent')!.duplicates} duplicates) + ${atDemoInbox.length} at the restarted demo's inbox, ` +
      `cpasLiege pulled ${pulled.size} (${pullDuplicates} more than once)`,
  );

  // The hub agrees: nothing waiting, nothing dead, every change logged.
  const operator = again.operator.token;
  await waitFor(
    'the hub to record every delivery as delivered',
    async () => {
      const status = await api<{
        pending: { push: number; pull: number };
        dead: number;
      }>(again.hub, operator, 'GET', '/admin/changes/status');
      const s = status.body;
      return s.pending.push === 0 && s.pending.pull === 0 && s.dead === 0;
    },
    15_000,
  );

  second.child.kill('SIGTERM');
  await waitFor(
    'the restarted hub to shut down',
    () => second.child.exitCode !== null || second.child.signalCode !== null,
    15_000,
  );
  assert.equal(second.child.exitCode, 0, second.output());

  const verify = await runCli(['log', 'verify'], {
    CROSSROADS_DATA_DIR: work,
    ...databaseEnv(databaseUrl),
  });
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const verdict = cliJson(verify);
  assert.equal(verdict.ok, true);

  // One exchange-log record per delivery: none missing, none doubled.
  const db = openTestReader(work);
  try {
    const rows = (
      await db.all(
        `SELECT c.id AS change, d.id AS delivery, d.status AS status,
                (SELECT count(*) FROM exchange_log l WHERE l.exchange_id = d.id) AS records
           FROM deliveries d JOIN changes c ON c.id = d.change_id`,
        [],
      )
    ).map((r) => ({
      change: String(r.change),
      delivery: String(r.delivery),
      status: String(r.status),
      records: Number(r.records),
    }));
    const wrong = rows.filter((r) => r.records !== 1);
    assert.deepEqual(wrong, [], 'every delivery has exactly one exchange-log record');
    const byChange = Map.groupBy(rows, (r) => r.change);
    for (const a of accepted) {
      const deliveries = byChange.get(a.changeId) ?? [];
      assert.equal(deliveries.length, a.recipients, `deliveries of change ${a.changeId}`);
      assert.ok(
        deliveries.every((d) => d.status === 'delivered'),
        `change ${a.changeId}: ${JSON.stringify(deliveries)}`,
      );
    }
    const logged = Number((await db.all<{ n: unknown }>('SELECT count(*) AS n FROM exchange_log', []))[0]!.n);
    assert.equal(verdict.records, logged);
    t.diagnostic(`${rows.length} deliveries in the store, ${logged} exchange-log records, verify ok`);
  } finally {
    await db.close();
  }
  for (const r of receivers) {
    await r.close();
    inboxes.delete(r);
  }
}

test('after SIGKILL during the fan-out of a burst of changes and a restart, every accepted change reaches every recipient', (t) =>
  crashDuringFanOut(t, {}));

test(
  'the same over NATS JetStream: every change accepted before the SIGKILL reaches every recipient',
  { skip: NATS_URL ? false : 'set CROSSROADS_TEST_NATS_URL to run the crash test over NATS JetStream' },
  async (t) => {
    const stream = `CRASH_TEST_${randomUUID().replaceAll('-', '').slice(0, 12).toUpperCase()}`;
    try {
      await crashDuringFanOut(t, { nats: { url: NATS_URL!, stream } });
    } finally {
      await deleteNatsStream(NATS_URL!, stream);
    }
  },
);
