// `crossroads directory import` and `export` on PostgreSQL (CROSSROADS_DATABASE_URL set): the real
// CLI in a child process, each test on its own fresh database, a copy (CREATE DATABASE ... TEMPLATE)
// of one the demo network was seeded into. The key cases of import-export.test.ts: good and bad
// lines, an import killed with SIGKILL and run again, a deferred-index import stopped by Ctrl-C and
// finished (the person indexes built again), a finished import run again, export then import.
// Runs when CROSSROADS_TEST_PG_URL names a server; within `npm test`, in its PostgreSQL pass.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { readConfig } from '../../src/config.ts';
import { startDemo } from '../../src/demo/index.ts';
import { createHub } from '../../src/hub.ts';
import {
  A,
  B,
  C,
  CM,
  GENT,
  type ImportSummary,
  LIEGE,
  type Loaded,
  NOT_IN_HUB,
  SFPD,
  bigCsv,
  directoryCli,
  rejects,
  waitForProgress as waitFor,
} from './import-helpers.ts';

const adminUrl = process.env.CROSSROADS_TEST_PG_URL;
const skip = !adminUrl
  ? 'set CROSSROADS_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run'
  : process.env.CROSSROADS_TEST_ENGINE === 'sqlite'
    ? 'runs in the PostgreSQL pass of npm test'
    : false;

interface Target {
  /** A data directory without a SQLite file: the CLI finds the database by its URL alone. */
  readonly dir: string;
  readonly url: string;
  query<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]>;
}

const { work, file, start, cli, ok, killChildren, close } = directoryCli(
  'crossroads-bulk-pg-',
  (t: Target) => ({ CROSSROADS_DATA_DIR: t.dir, CROSSROADS_DATABASE_URL: t.url }),
);
const prefix = `crossroads_bulk_${randomBytes(4).toString('hex')}`;
const databases: string[] = [];
let admin: pg.Client | undefined;
let pristine = '';
let counter = 0;

function urlOf(name: string): string {
  const url = new URL(adminUrl!);
  url.pathname = `/${name}`;
  return url.href;
}

before(async () => {
  if (skip) return;
  admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  pristine = `${prefix}_pristine`;
  await createDatabase(pristine, 'template0');
  // The demo network (institutions, capacities, 30 people's registrations), as a hub seeds it.
  const seedDir = join(work, 'seed');
  const hub = await createHub(
    readConfig(
      {
        CROSSROADS_DATA_DIR: seedDir,
        CROSSROADS_DATABASE_URL: urlOf(pristine),
        CROSSROADS_LOG_LEVEL: 'silent',
        CROSSROADS_DEMO_PEOPLE: '30',
      },
      { demo: true },
    ),
  );
  try {
    const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const demo = await startDemo(hub, { hubUrl: url, portBase: 0, dataDir: seedDir, people: 30 });
    await demo.close();
  } finally {
    await hub.close();
  }
});

after(async () => {
  killChildren();
  if (admin) {
    for (const name of databases.reverse()) {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    }
    await admin.end();
  }
  close();
});

async function createDatabase(name: string, template: string): Promise<void> {
  databases.push(name);
  for (let attempt = 1; ; attempt++) {
    try {
      await admin!.query(
        `CREATE DATABASE ${name} TEMPLATE ${template} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`,
      );
      return;
    } catch (error) {
      // The seeding hub's connections may still be closing ("being accessed by other users").
      if (attempt === 20 || (error as { code?: string }).code !== '55006') throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A fresh database holding the demo network (its registrations emptied when asked). */
async function target(options: { emptyDirectory?: boolean } = {}): Promise<Target> {
  const name = `${prefix}_${++counter}`;
  await createDatabase(name, pristine);
  const dir = join(work, `data-${counter}`);
  mkdirSync(dir);
  const url = urlOf(name);
  const query = async <Row>(text: string, values: unknown[] = []): Promise<Row[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as Row[];
    } finally {
      await client.end();
    }
  };
  if (options.emptyDirectory) await query('DELETE FROM registrations');
  return { dir, url, query };
}

/** The registrations an import loaded (all of them when no import is named), in a stable order. */
function loaded(t: Target, importId?: string): Promise<Loaded[]> {
  return t.query<Loaded>(
    `SELECT r.insz, i.kbo, r.sector, r.subsector, r.capacity, r.phase, r.start_date AS start, r.end_date AS "end"
       FROM registrations r JOIN institutions i ON i.id = r.institution_id
      WHERE $1::text IS NULL OR r.created_by = 'operator:directory-import:' || $1
      ORDER BY r.insz, i.kbo, r.capacity, r.start_date`,
    [importId ?? null],
  );
}

async function progressOf(t: Target): Promise<{ lines: number; finished: boolean } | undefined> {
  const [row] = await t.query<{ lines_done: number; finished_at: string | null }>(
    'SELECT lines_done, finished_at FROM directory_imports',
  );
  return row ? { lines: Number(row.lines_done), finished: row.finished_at !== null } : undefined;
}

function waitForProgress(t: Target, atLeast: number): Promise<number> {
  return waitFor(() => progressOf(t), atLeast, 120_000);
}

async function personIndexes(t: Target): Promise<string[]> {
  const rows = await t.query<{ indexname: string }>(
    `SELECT indexname FROM pg_indexes WHERE tablename = 'registrations' AND indexname LIKE 'registrations_person_%'
      ORDER BY indexname`,
  );
  return rows.map((r) => r.indexname);
}

describe('directory import on PostgreSQL', { skip }, () => {
  test('good and bad lines: the good ones load with every column, each bad one is in the reject file; no SQLite file is made', async () => {
    const t = await target();
    const csv = file(
      'mixed.csv',
      [
        'insz,institution,sector,capacity,start,end,phase',
        `${A},${GENT},17,2,2024-01-01,,0`, // 2 good, open
        `85.07.30-033.28,${CM},11,1,2020-01-01,2024-01-01,`, // 3 good
        `${B},${SFPD},5,100,2023-05-01,,902`, // 4 good: provisional
        `85073003329,${GENT},17,2,2024-01-01,,0`, // 5 INSZ_CHECKSUM
        `${A},${NOT_IN_HUB},17,2,2024-01-01,,0`, // 6 UNKNOWN_INSTITUTION
        `${A},${GENT},17,99,2024-01-01,,0`, // 7 UNKNOWN_CAPACITY
        `${A},${GENT},17,2,2024-03-01,2024-03-01,0`, // 8 PERIOD_INVALID
        `${A},${GENT},11,2,2024-01-01,,0`, // 9 SECTOR_MISMATCH
        '', // 10 blank
        `"${C}",${LIEGE},17,"1",2022-01-01,2023-01-01,0`, // 11 good: quoted fields
      ].join('\n'),
    );
    const summary = await ok(t, 'import', csv);
    assert.deepEqual([summary.status, summary.loaded, summary.rejected], ['done', 4, 5]);
    assert.deepEqual(
      rejects(summary.rejects!).map((r) => [r.line, r.code]),
      [
        [5, 'INSZ_CHECKSUM'],
        [6, 'UNKNOWN_INSTITUTION'],
        [7, 'UNKNOWN_CAPACITY'],
        [8, 'PERIOD_INVALID'],
        [9, 'SECTOR_MISMATCH'],
      ],
    );
    assert.deepEqual(await loaded(t, summary.import), [
      {
        insz: B,
        kbo: SFPD,
        sector: 5,
        subsector: 0,
        capacity: 100,
        phase: 902,
        start: '2023-05-01',
        end: null,
      },
      {
        insz: C,
        kbo: LIEGE,
        sector: 17,
        subsector: 1,
        capacity: 1,
        phase: 0,
        start: '2022-01-01',
        end: '2023-01-01',
      },
      { insz: A, kbo: GENT, sector: 17, subsector: 1, capacity: 2, phase: 0, start: '2024-01-01', end: null },
      {
        insz: A,
        kbo: CM,
        sector: 11,
        subsector: 1,
        capacity: 1,
        phase: 0,
        start: '2020-01-01',
        end: '2024-01-01',
      },
    ]);
    const [row] = await t.query<{ created_at: string; created_by: string; ended_at: null; ended_by: null }>(
      'SELECT created_at, created_by, ended_at, ended_by FROM registrations WHERE insz = $1 AND sector = 5',
      [B],
    );
    assert.equal(row!.created_by, `operator:directory-import:${summary.import}`);
    assert.match(row!.created_at, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual([row!.ended_at, row!.ended_by], [null, null]);
    assert.equal(existsSync(join(t.dir, 'crossroads.db')), false, 'no SQLite file');

    const again = await ok(t, 'import', csv);
    assert.deepEqual([again.status, again.import, again.loaded], ['already-imported', summary.import, 0]);
    const forced = await ok(t, 'import', csv, '--again');
    assert.deepEqual([forced.status, forced.loaded], ['done', 4]);
    assert.equal((await loaded(t)).filter((r) => r.insz === B && r.kbo === SFPD).length, 2);
  });

  const big = bigCsv(200_000, 997, (i) => (i % 3 === 0 ? 902 : 0));

  test('killed with SIGKILL mid-file, then run again: every line loaded once, every reject written once', async () => {
    const t = await target({ emptyDirectory: true });
    const csv = file('big.csv', big.text);
    const first = start(t, ['import', csv, '--chunk', '5000']);
    await waitForProgress(t, 30_001);
    first.child.kill('SIGKILL');
    assert.equal((await first.done).signal, 'SIGKILL');
    const committed = (await progressOf(t))!;
    assert.ok(!committed.finished && committed.lines < 200_001, String(committed.lines));
    assert.equal(
      (await loaded(t)).length,
      committed.lines - 1 - big.bad.filter((l) => l <= committed.lines).length,
      'no line past the last committed chunk is in the database',
    );

    const resumed = await cli(t, 'import', csv, '--chunk', '5000');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`resuming import .* after line ${committed.lines}`));
    const summary = JSON.parse(resumed.stdout) as ImportSummary;
    assert.deepEqual(
      [summary.status, summary.resumedAfterLine, summary.totalLoaded, summary.totalRejected],
      ['done', committed.lines, big.good, big.bad.length],
    );
    const rows = await loaded(t);
    assert.equal(rows.length, big.good, 'every good line loaded');
    assert.equal(
      new Set(rows.map((r) => `${r.insz} ${r.kbo} ${r.capacity} ${r.start}`)).size,
      big.good,
      'no line loaded twice',
    );
    assert.deepEqual(
      rejects(summary.rejects!).map((r) => [r.line, r.code]),
      big.bad.map((line) => [line, 'INSZ_CHECKSUM']),
    );
  });

  test('--defer-indexes, stopped by Ctrl-C: the indexes are dropped; a rerun cuts the reject file back, finishes and builds them again', async () => {
    const t = await target({ emptyDirectory: true });
    const csv = file('big.csv', big.text);
    assert.deepEqual(await personIndexes(t), [
      'registrations_person_institution',
      'registrations_person_sector',
    ]);
    const first = start(t, ['import', csv, '--chunk', '5000', '--defer-indexes']);
    await waitForProgress(t, 10_001);
    first.child.kill('SIGINT');
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /person indexes are missing/);
    assert.deepEqual(await personIndexes(t), []);
    const summary = JSON.parse(stopped.stdout) as ImportSummary;
    assert.equal((await loaded(t)).length, summary.totalLoaded);
    appendFileSync(`${csv}.rejects.csv`, '199999,INSZ_CHECKSUM,of a chunk that did not commit,x\n');

    const finished = await cli(t, 'import', csv, '--chunk', '5000');
    assert.equal(finished.code, 0, finished.stderr);
    assert.match(finished.stderr, /building the person indexes/);
    assert.equal((JSON.parse(finished.stdout) as ImportSummary).totalLoaded, big.good);
    assert.deepEqual(await personIndexes(t), [
      'registrations_person_institution',
      'registrations_person_sector',
    ]);
    assert.equal((await loaded(t)).length, big.good);
    assert.deepEqual(
      rejects(`${csv}.rejects.csv`).map((r) => r.line),
      big.bad,
    );
    // The planner has statistics for the loaded table (the build ends with ANALYZE).
    const [stats] = await t.query<{ n: number }>(
      "SELECT reltuples::bigint AS n FROM pg_class WHERE relname = 'registrations'",
    );
    assert.ok(Number(stats!.n) > big.good / 2, String(stats!.n));
  });
});

describe('directory export on PostgreSQL', { skip }, () => {
  test('export then import into an empty directory gives the same registrations, as CSV and as NDJSON', async () => {
    const source = await target();
    await ok(source, 'import', file('source.csv', bigCsv(3_000, 500).text));
    const expected = (await loaded(source)).filter((r) => r.end === null || r.end > r.start);
    assert.ok(expected.length > 3_000);
    for (const format of ['csv', 'ndjson']) {
      const exported = join(work, `export-${++counter}.${format}`);
      const out = await ok<{ exported: number; format: string }>(source, 'export', exported);
      assert.deepEqual([out.exported, out.format], [expected.length, format]);
      const copy = await target({ emptyDirectory: true });
      const summary = await ok(copy, 'import', exported);
      assert.deepEqual([summary.loaded, summary.rejected], [expected.length, 0]);
      assert.deepEqual(await loaded(copy), expected);
    }
  });

  test('--institution and --active-on narrow the export', async () => {
    const t = await target({ emptyDirectory: true });
    await ok(
      t,
      'import',
      file(
        'few.csv',
        [
          'insz,institution,sector,capacity,start,end,phase',
          `${A},${GENT},17,2,2024-01-01,,0`,
          `${B},${GENT},17,2,2020-01-01,2024-01-01,0`,
          `${C},${GENT},17,1,2024-06-02,,902`,
          `${A},${CM},11,1,2020-01-01,,0`,
        ].join('\n'),
      ),
    );
    const out = join(work, `gent-${++counter}.csv`);
    const result = await ok<{ exported: number }>(
      t,
      'export',
      out,
      '--institution',
      GENT,
      '--active-on',
      '2024-06-01',
    );
    assert.equal(result.exported, 1);
    assert.deepEqual(readFileSync(out, 'utf8').trimEnd().split('\n'), [
      'insz,institution,sector,capacity,start,end,phase',
      `${A},${GENT},17,2,2024-01-01,,0`,
    ]);
  });
});

describe('directory on PostgreSQL: failures', { skip }, () => {
  test('a server that does not answer → 1, naming the database without its password', async () => {
    const dir = join(work, 'nowhere');
    const csv = file(
      'one.csv',
      `insz,institution,sector,capacity,start,end\n${A},${GENT},17,2,2024-01-01,\n`,
    );
    const result = await cli(
      { dir, url: 'postgres://someone:secret@127.0.0.1:1/nothing', query: () => Promise.resolve([]) },
      'import',
      csv,
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /cannot open the database postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nothing/,
    );
    assert.doesNotMatch(result.stderr, /secret/);
  });
});
