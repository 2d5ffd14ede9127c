// Which engine the store-touching tests run on. `npm test` runs the suite on SQLite, then again on
// PostgreSQL when CROSSROADS_TEST_PG_URL names a server (scripts/test.ts sets
// CROSSROADS_TEST_ENGINE=postgres for that pass). Each hub gets a fresh database of its own,
// dropped when the hub's data directory goes or, at the latest, when the test process ends.
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type ReadOnlyReader, openReadOnlyReader } from '../../src/store/index.ts';

export type TestEngine = 'sqlite' | 'postgres';

export const engine: TestEngine = process.env.CROSSROADS_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/** For `test(..., { skip: sqliteOnly('why') })`: skipped on the PostgreSQL pass, with the reason. */
export function sqliteOnly(reason: string): string | false {
  return engine === 'postgres' ? `SQLite only: ${reason}` : false;
}

const adminUrl = (): string => {
  const url = process.env.CROSSROADS_TEST_PG_URL;
  if (!url) throw new Error('CROSSROADS_TEST_ENGINE=postgres needs CROSSROADS_TEST_PG_URL');
  return url;
};

const created = new Set<string>();
let cleanupRegistered = false;

/** A new, empty PostgreSQL database (C collation, as the hub's docs ask); answers its URL. */
export async function createTestDatabase(
  prefix = 'crossroads_test',
  template = 'template0',
): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(
      template === 'template0'
        ? `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`
        : `CREATE DATABASE ${name} TEMPLATE ${template}`,
    );
  } finally {
    await admin.end();
  }
  created.add(name);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    // Databases a test left (a hub on a data directory the test owns): dropped before exit.
    process.once('beforeExit', () => void dropAll());
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.href;
}

export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!created.delete(name)) return;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function dropAll(): Promise<void> {
  for (const name of [...created]) {
    const url = new URL(adminUrl());
    url.pathname = `/${name}`;
    await dropTestDatabase(url.href).catch(() => undefined);
  }
}

const MARKER = 'test-database-url';

/**
 * The database of a hub's data directory on the PostgreSQL pass (created on first use, the same
 * one when a hub restarts on that directory); undefined on the SQLite pass.
 */
export async function databaseFor(dataDir: string): Promise<string | undefined> {
  if (engine === 'sqlite') return undefined;
  const marker = join(dataDir, MARKER);
  if (existsSync(marker)) {
    const url = readFileSync(marker, 'utf8').trim();
    created.add(new URL(url).pathname.slice(1));
    return url;
  }
  const url = await createTestDatabase();
  writeFileSync(marker, url);
  return url;
}

/**
 * Copies a stopped hub's data directory; on the PostgreSQL pass its database too (a new database
 * made from it as template), so the copy is a hub of its own that can diverge.
 */
export async function copyDataDir(from: string, to: string): Promise<void> {
  cpSync(from, to, { recursive: true });
  if (engine === 'sqlite' || !existsSync(join(from, MARKER))) return;
  const source = new URL(readFileSync(join(from, MARKER), 'utf8').trim());
  const url = await createTestDatabase('crossroads_copy', source.pathname.slice(1));
  writeFileSync(join(to, MARKER), url);
}

/**
 * The environment that puts a hub process or CLI command spawned on `dataDir` on the database of
 * the pass: CROSSROADS_DATABASE_URL set to `url` (from databaseFor); on the SQLite pass (`url`
 * undefined) set empty, so the hub's own SQLite file in its data directory is used even when the
 * test process itself has a CROSSROADS_DATABASE_URL.
 */
export function databaseEnv(url: string | undefined): { CROSSROADS_DATABASE_URL: string } {
  return { CROSSROADS_DATABASE_URL: url ?? '' };
}

/**
 * A read-only reader of the store of a hub that ran on `dataDir`, on the engine of the pass: its
 * SQLite file (crossroads.db), or on the PostgreSQL pass the database databaseFor(dataDir) gave it.
 * `?` placeholders work on both; close() it when done.
 */
export function openTestReader(dataDir: string): ReadOnlyReader {
  if (engine === 'sqlite') return openReadOnlyReader({ path: join(dataDir, 'crossroads.db') });
  const marker = join(dataDir, MARKER);
  if (!existsSync(marker)) throw new Error(`no test database for ${dataDir}: call databaseFor() first`);
  return openReadOnlyReader({ url: readFileSync(marker, 'utf8').trim() });
}
