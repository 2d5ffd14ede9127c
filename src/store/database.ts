// Opens the embedded SQLite store (WAL, full fsync on commit) and brings its schema up to date.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { NodeSqliteAdapter } from './sqlite-adapter.ts';
import { migrationProvider } from './migrations.ts';
import type { Database } from './schema.ts';

export interface Store {
  readonly db: Kysely<Database>;
  /**
   * A second, read-only connection for hot-path reads, run synchronously without the query
   * executor. It sees only committed data (a WAL snapshot per statement) and never waits for
   * Kysely's connection lock.
   */
  readonly reader: DatabaseSync;
  readonly location: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** The database file (created when missing). */
  readonly path: string;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  mkdirSync(dirname(options.path), { recursive: true });
  const raw = new DatabaseSync(options.path);
  // WAL lets readers run beside the writer; synchronous=FULL fsyncs each commit, so an answered
  // write survives a power cut, not only a process crash. Batched writers amortise the fsync.
  raw.exec('PRAGMA journal_mode = WAL');
  raw.exec('PRAGMA synchronous = FULL');
  raw.exec('PRAGMA busy_timeout = 5000');
  raw.exec('PRAGMA foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new NodeSqliteAdapter(raw) }) });
  await migrateToLatest(db);
  const reader = new DatabaseSync(options.path, { readOnly: true });
  reader.exec('PRAGMA busy_timeout = 5000');
  return {
    db,
    reader,
    location: options.path,
    close: async () => {
      reader.close();
      await db.destroy();
    },
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
