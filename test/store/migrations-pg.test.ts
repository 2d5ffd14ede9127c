// One set of migrations for both engines: they run on a fresh PostgreSQL database (when
// CROSSROADS_TEST_PG_URL names a server; .ci/run sets it) exactly as on SQLite, a second run
// changes nothing, and the keys the database numbers itself (changes and deliveries) work.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { type Database, migrationProvider } from '../../src/store/index.ts';

const url = process.env.CROSSROADS_TEST_PG_URL;
const skip = url
  ? false
  : 'set CROSSROADS_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run';
const name = `crossroads_test_${randomBytes(6).toString('hex')}`;
let admin: pg.Client | undefined;
let db: Kysely<Database> | undefined;

before(async () => {
  if (!url) return;
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: target.href, max: 2 });
  // An idle connection the final DROP DATABASE ... WITH (FORCE) ends is expected, not a failure.
  pool.on('error', () => undefined);
  db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
});

after(async () => {
  await db?.destroy();
  if (admin) {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
});

test(
  'every migration runs on a fresh PostgreSQL database, and a second run changes nothing',
  { skip },
  async () => {
    const migrator = new Migrator({ db: db!, provider: migrationProvider });
    const first = await migrator.migrateToLatest();
    assert.equal(first.error, undefined, String(first.error));
    const names = Object.keys(await migrationProvider.getMigrations());
    assert.deepEqual(
      first.results?.map((r) => [r.migrationName, r.status]),
      names.map((n) => [n, 'Success']),
    );
    const second = await migrator.migrateToLatest();
    assert.equal(second.error, undefined);
    assert.deepEqual(second.results, []);
    const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(
      db!,
    );
    for (const table of [
      'changes',
      'deliveries',
      'exchange_log',
      'merkle_nodes',
      'registrations',
      'subscriptions',
    ])
      assert.ok(
        tables.rows.some((r) => r.table_name === table),
        `table ${table}`,
      );
  },
);

test('changes and deliveries are numbered by the database, in insertion order', { skip }, async () => {
  const now = new Date().toISOString();
  const change = (id: string) => ({
    id,
    service: 'nr.identity',
    service_version: 1,
    source_id: 'nr',
    source_reference: id,
    content_hash: 'h',
    insz: '85073003328',
    effective_date: '2026-11-30',
    kind: 'updated',
    data: '{}',
    received_at: now,
    received_by: 'test',
    recipients: 0,
  });
  const rows = await db!
    .insertInto('changes')
    .values([change('c1'), change('c2')])
    .returning('seq')
    .execute();
  const [a, b] = rows.map((r) => Number(r.seq));
  assert.ok(a! > 0 && b === a! + 1, JSON.stringify(rows));
});
