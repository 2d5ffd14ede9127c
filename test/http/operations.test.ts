// What the operator's monitoring reads: /ready turns 503 when the log cannot keep up (and while
// shutting down), /metrics counts exchanges by service and outcome, denials by reason, the log's
// size and the change backlog.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ManualClock } from '../../src/kernel/index.ts';
import { engine } from '../helpers/engine.ts';
import { type TestHub, startTestHub } from '../helpers/test-hub.ts';

let th: TestHub;
let clock: ManualClock;
const WINDOW_MS = 1000;

before(async () => {
  clock = new ManualClock(new Date());
  th = await startTestHub({ clock, env: { CROSSROADS_LOG_FAIL_CLOSED_AFTER_MS: String(WINDOW_MS) } });
});
after(async () => {
  await th?.close();
});

interface Readiness {
  status: string;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/** The value of one sample line of the Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** The demo's example that the hub permits (OCMW Gent reads a leefloon recipient's identity). */
function permitted() {
  const example = th.demo.file.examples.find((e) => e.expect.status === 200)!;
  return { token: th.demo.credential('ocmwGent'), body: example.request.body };
}

async function metrics(): Promise<string> {
  const result = await th.call<string>('GET', '/metrics');
  assert.equal(result.status, 200);
  assert.match(result.headers.get('content-type') ?? '', /^text\/plain/);
  return result.body;
}

test('/ready answers 200 with each check when the database and the log are fine', async () => {
  const result = await th.call<Readiness>('GET', '/ready');
  assert.equal(result.status, 200, JSON.stringify(result.body));
  assert.equal(result.body.status, 'ready');
  assert.equal(result.body.checks.database?.ok, true);
  assert.equal(result.body.checks.logSequencer?.ok, true);
});

test('/metrics counts exchanges by service and outcome, and denials by reason', async () => {
  const before = await metrics();
  const forwardedBefore =
    sample(before, 'crossroads_exchanges_total', {
      kind: 'exchange',
      service: 'nr.identity',
      outcome: 'forwarded',
    }) ?? 0;
  const deniedBefore = sample(before, 'crossroads_decision_denials_total', { code: 'NO_AUTHORISATION' }) ?? 0;

  const ok = await th.call('POST', '/v1/exchanges', permitted());
  assert.equal(ok.status, 200);
  const refused = await th.call('POST', '/v1/exchanges', {
    token: th.demo.credential('energy'),
    body: { ...permitted().body, service: 'rva.unemployment', purpose: 'social-tariff' },
  });
  assert.equal(refused.status, 403);

  const text = await metrics();
  assert.equal(
    sample(text, 'crossroads_exchanges_total', {
      kind: 'exchange',
      service: 'nr.identity',
      outcome: 'forwarded',
    }),
    forwardedBefore + 1,
  );
  assert.equal(
    sample(text, 'crossroads_decision_denials_total', { code: 'NO_AUTHORISATION' }),
    deniedBefore + 1,
  );
  assert.ok(
    (sample(text, 'crossroads_exchange_duration_seconds_count', {
      service: 'nr.identity',
      outcome: 'forwarded',
    }) ?? 0) >= 1,
  );
  assert.ok((sample(text, 'crossroads_log_records', {}) ?? 0) > 0);
  assert.notEqual(sample(text, 'crossroads_deliveries_backlog', { state: 'pending_pull' }), undefined);
  assert.notEqual(sample(text, 'crossroads_process_resident_memory_bytes', {}), undefined);
  // The database pool on PostgreSQL; SQLite has none.
  const poolTotal = sample(text, 'crossroads_database_pool_connections', { state: 'total' });
  if (engine === 'postgres') assert.ok((poolTotal ?? 0) >= 1, 'pool connections reported');
  else assert.equal(poolTotal, undefined);
  assert.ok(!text.includes(String(permitted().body.insz)), 'no national number in the metrics');
});

test('/ready turns 503 naming the log when records wait too long for the signed tree', async () => {
  const operator = { token: th.demo.file.operator.token };
  assert.equal(
    (await th.call('POST', '/admin/log/sequencer', { ...operator, body: { paused: true } })).status,
    204,
  );
  try {
    await th.call('POST', '/v1/exchanges', permitted());
    clock.advance(WINDOW_MS + 1);
    const result = await th.call<Readiness>('GET', '/ready');
    assert.equal(result.status, 503, JSON.stringify(result.body));
    assert.equal(result.body.checks.logSequencer?.ok, false);
    assert.equal(result.body.checks.database?.ok, true);
  } finally {
    await th.call('POST', '/admin/log/sequencer', { ...operator, body: { paused: false } });
  }
  const deadline = Date.now() + 5000;
  while ((await th.call('GET', '/ready')).status !== 200) {
    assert.ok(Date.now() < deadline, 'ready again within 5 s of resuming the sequencer');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

test('shutting down finishes the exchanges in flight (runs last: closes the hub)', async () => {
  const nr = th.demo.sources.get('nr')!;
  nr.setDelay(400);
  const inFlight = th.call('POST', '/v1/exchanges', permitted());
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closing = th.hub.close();
  const answer = await inFlight;
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  await closing;
  nr.setDelay(0);
});
