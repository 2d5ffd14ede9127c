// Writes committed with the log's writer thread ("write units"): a unit's statements and records
// commit together; a failing unit is undone alone; an idempotency guard skips a repeated unit; and
// a commit that carries no records never makes the log look stuck (fail closed).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ManualClock } from '../../src/kernel/index.ts';
import {
  ExchangeLog,
  type ExchangeRecord,
  loadOrCreateSigningKey,
  verifyChain,
} from '../../src/log/index.ts';
import { type Store, openStore } from '../../src/store/index.ts';

let dir: string;
let store: Store;
let log: ExchangeLog;
const clock = new ManualClock(new Date());

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crossroads-units-'));
  store = await openStore({ path: join(dir, 'hub.db') });
  const key = loadOrCreateSigningKey(join(dir, 'log.pem'), 'test.localhost/log');
  log = await ExchangeLog.open(store, {
    origin: key.origin,
    privateKeyPem: key.privateKeyPem,
    clock,
    failClosedAfterMs: 1000,
    integrateEveryMs: 50,
  });
  await store.db.schema
    .createTable('notes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .execute();
});
after(async () => {
  await log?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function record(exchangeId: string): ExchangeRecord {
  return {
    kind: 'change',
    exchangeId,
    time: clock.now().toISOString(),
    caller: '0212234515',
    endUser: null,
    caseReference: null,
    person: null,
    service: 'nr.identity',
    serviceVersion: 1,
    purpose: 'social-investigation',
    period: null,
    decision: 'permit',
    code: null,
    reason: null,
    authorisation: null,
    registrations: [],
    providers: [],
    fields: [],
    outcome: 'forwarded',
    durationMs: 0,
  };
}

const insertNote = (id: string) => ({ sql: 'INSERT INTO notes (id) VALUES (?)', parameters: [id] });
const noteExists = (id: string) => ({ sql: 'SELECT id FROM notes WHERE id = ?', parameters: [id] });

test('units of one turn commit together; a failing one is undone alone; a guarded repeat is skipped', async () => {
  const [ok, failing, plain, repeated] = await Promise.all([
    log.commit({ statements: [insertNote('a')], records: [record('u-1'), record('u-2')] }),
    // Fails on its second statement: its first insert and its record must be undone too.
    log.commit({ statements: [insertNote('b'), insertNote('a')], records: [record('u-3')] }),
    log.append(record('u-4')),
    log.commit({ unlessExists: noteExists('a'), statements: [insertNote('a')], records: [record('u-5')] }),
  ]);
  assert.ok('receipts' in ok && ok.receipts.length === 2);
  assert.ok('failed' in failing, JSON.stringify(failing));
  assert.deepEqual(repeated, { skipped: { id: 'a' } });
  const notes = await store.db
    .selectFrom('notes' as never)
    .selectAll()
    .execute();
  assert.deepEqual(
    notes.map((n) => ({ ...n })),
    [{ id: 'a' }],
  );
  // Plain appends come first in a commit, then the units' records; no hole where the failed unit's was.
  assert.deepEqual(
    (await store.db.selectFrom('exchange_log').select(['seq', 'exchange_id']).orderBy('seq').execute()).map(
      (r) => r.exchange_id,
    ),
    ['u-4', 'u-1', 'u-2'],
  );
  assert.equal(plain.seq, 1);
  assert.deepEqual(await verifyChain(store.db), { ok: true, size: 3 });
});

test('a commit that carries no records does not start the fail-closed clock', async () => {
  const deadline = Date.now() + 5000;
  while (log.treeSize < log.size) {
    assert.ok(Date.now() < deadline, 'the tree caught up');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await log.commit({ statements: [insertNote('c')], records: [] });
  await new Promise((resolve) => setTimeout(resolve, 200));
  clock.advance(5000);
  assert.equal(log.available(), true);
});
