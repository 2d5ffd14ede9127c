// Opens the store and brings its schema up to date: the embedded SQLite file (WAL, full fsync on
// commit) by default, or a PostgreSQL database when given a postgres:// URL. Every capability
// reads and writes through the same Kysely instance and the same reader on both engines.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { NodeSqliteAdapter } from './sqlite-adapter.ts';
import { migrationProvider } from './migrations.ts';
import { PgReader, SqliteReader, type StoreReader, openPgPool, redactUrl } from './reader.ts';
import type pg from 'pg';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * Hot-path reads that skip the query builder: on SQLite a second, read-only connection run
   * synchronously (committed data only, never waiting for Kysely's connection lock); on
   * PostgreSQL named prepared statements on the pool.
   */
  readonly reader: StoreReader;
  /** The SQLite file, or the PostgreSQL URL without its password (for messages). */
  readonly location: string;
  /** The PostgreSQL connection string (undefined on SQLite), for connections of their own. */
  readonly url: string | undefined;
  /** The PostgreSQL pool (undefined on SQLite): for listeners and pool metrics. */
  readonly pool: pg.Pool | undefined;
  close(): Promise<void>;
}

export type StoreOptions =
  /** The SQLite database file (created when missing). */
  | { readonly path: string; readonly url?: undefined }
  /** A postgres:// (or postgresql://) connection string. */
  | { readonly url: string; readonly path?: undefined; readonly poolSize?: number };

export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

export async function openStore(options: StoreOptions): Promise<Store> {
  return options.url === undefined ? openSqlite(options.path) : openPostgres(options.url, options.poolSize);
}

async function openSqlite(path: string): Promise<Store> {
  mkdirSync(dirname(path), { recursive: true });
  const raw = new DatabaseSync(path);
  // WAL lets readers run beside the writer; synchronous=FULL fsyncs each commit, so an answered
  // write survives a power cut, not only a process crash. Batched writers amortise the fsync.
  raw.exec('PRAGMA journal_mode = WAL');
  raw.exec('PRAGMA synchronous = FULL');
  raw.exec('PRAGMA busy_timeout = 5000');
  raw.exec('PRAGMA foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new NodeSqliteAdapter(raw) }) });
  await migrateToLatest(db);
  const connection = new DatabaseSync(path, { readOnly: true });
  connection.exec('PRAGMA busy_timeout = 5000');
  const reader = new SqliteReader(connection);
  return {
    db,
    dialect: 'sqlite',
    reader,
    location: path,
    url: undefined,
    pool: undefined,
    close: async () => {
      reader.close();
      await db.destroy();
    },
  };
}

async function openPostgres(url: string, poolSize = 10): Promise<Store> {
  const pool = openPgPool(url, poolSize);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    db,
    dialect: 'postgres',
    reader: new PgReader(pool),
    location: redactUrl(url),
    url,
    pool,
    // Destroying Kysely ends the pool.
    close: () => db.destroy(),
  };
}

async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `database migration ${failed} failed: ${error instanceof Error ? error.message : 'unknown error'}`,
      { cause: error },
    );
  }
}

/** Migrations this code knows that the database has not run (empty: current). */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  const all = await new Migrator({ db, provider: migrationProvider }).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
