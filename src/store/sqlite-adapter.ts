// Makes node:sqlite's DatabaseSync look like the client Kysely's SqliteDialect expects
// (kysely/dist/dialect/sqlite/sqlite-dialect-config.d.ts), with a prepared-statement cache.
//
// Kysely asks `reader` to pick all() or run(): without it SELECTs silently return nothing.
// Parameters arrive as an array and are passed spread. iterate() gets a fresh statement so two
// open iterators never share one.
import type { DatabaseSync, StatementSync, SQLInputValue } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

const CACHE_LIMIT = 500;

export class NodeSqliteAdapter implements SqliteDatabase {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, CachedStatement>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  prepare(sql: string): SqliteStatement {
    // Kysely opens transactions with a deferred `begin`. Ours all write, and another connection
    // (the log writer thread) writes too: a deferred transaction that read first cannot become a
    // writer once the other committed (SQLITE_BUSY without waiting). BEGIN IMMEDIATE takes the
    // write lock up front, so busy_timeout applies.
    if (sql === 'begin') sql = 'begin immediate';
    let cached = this.#cache.get(sql);
    if (!cached) {
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      cached = new CachedStatement(this.#db, sql);
      this.#cache.set(sql, cached);
    }
    return cached;
  }

  close(): void {
    this.#cache.clear();
    this.#db.close();
  }
}

class CachedStatement implements SqliteStatement {
  readonly reader: boolean;
  readonly #db: DatabaseSync;
  readonly #sql: string;
  readonly #stmt: StatementSync;

  constructor(db: DatabaseSync, sql: string) {
    this.#db = db;
    this.#sql = sql;
    this.#stmt = db.prepare(sql);
    this.reader = this.#stmt.columns().length > 0;
  }

  all(parameters: readonly unknown[]): unknown[] {
    return this.#stmt.all(...toInputs(parameters));
  }

  run(parameters: readonly unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#stmt.run(...toInputs(parameters));
  }

  iterate(parameters: readonly unknown[]): IterableIterator<unknown> {
    return this.#db.prepare(this.#sql).iterate(...toInputs(parameters));
  }
}

function toInputs(parameters: readonly unknown[]): SQLInputValue[] {
  return parameters.map((p) => {
    if (p === undefined) return null;
    if (typeof p === 'boolean') return p ? 1 : 0;
    if (p instanceof Date) return p.toISOString();
    return p as SQLInputValue;
  });
}
