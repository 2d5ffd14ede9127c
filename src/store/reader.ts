// Hot-path reads without the query builder, on either engine (see Store.reader).
import { createHash } from 'node:crypto';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import pg from 'pg';

export interface StoreReader {
  /**
   * The rows of one read-only statement. Placeholders are `?` (written by hand) or the store's own
   * dialect (compiled by Kysely for this store: `$1` on PostgreSQL).
   */
  all<Row = Record<string, unknown>>(sql: string, parameters: readonly unknown[]): Promise<Row[]>;
}

const CACHE_LIMIT = 500;

/** SQLite: prepared statements on the read-only connection, run synchronously. */
export class SqliteReader implements StoreReader {
  readonly #connection: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(connection: DatabaseSync) {
    this.#connection = connection;
  }

  all<Row>(sql: string, parameters: readonly unknown[]): Promise<Row[]> {
    try {
      return Promise.resolve(this.#prepared(sql).all(...(parameters as SQLInputValue[])) as Row[]);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  close(): void {
    this.#statements.clear();
    this.#connection.close();
  }

  #prepared(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      if (this.#statements.size >= CACHE_LIMIT) this.#statements.clear();
      statement = this.#connection.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * PostgreSQL: named prepared statements (parsed and planned once per pooled connection). The
 * name is a hash of the text, so every node and connection agrees on it.
 */
export class PgReader implements StoreReader {
  readonly #pool: pg.Pool;
  readonly #named = new Map<string, { readonly name: string; readonly text: string }>();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async all<Row>(sql: string, parameters: readonly unknown[]): Promise<Row[]> {
    const result = await this.#pool.query({ ...namedStatement(this.#named, sql), values: [...parameters] });
    return result.rows as Row[];
  }
}

/** The statement's name and its text with `?` turned into `$n` (when it has no `$1` already). */
export function namedStatement(
  cache: Map<string, { readonly name: string; readonly text: string }>,
  sql: string,
): { readonly name: string; readonly text: string } {
  let entry = cache.get(sql);
  if (!entry) {
    let n = 0;
    const text = sql.includes('$1') ? sql : sql.replace(/\?/g, () => `$${++n}`);
    entry = { name: `cr_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text };
    cache.set(sql, entry);
  }
  return entry;
}

// int8 (count(*), bigint keys and sizes) arrives as a string by default. Every one we store fits a
// double; a value that does not is refused, not rounded. numeric (sum()) likewise.
function safeNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value)))
    throw new Error(`PostgreSQL returned ${text}, which does not fit a JavaScript number exactly`);
  return value;
}
pg.types.setTypeParser(pg.types.builtins.INT8, safeNumber);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, safeNumber);

/**
 * Connection settings for every PostgreSQL connection of the hub: a dead peer (a host lost without
 * closing its sockets) is noticed within seconds on both sides — by this process (socket
 * keepalive) and by the server, which then ends the session and frees its advisory locks (server
 * keepalive, session options); a connect attempt gives up after 10 s; a session that sits in an
 * open transaction for 60 s (a stalled writer holding the log's append lock) is ended.
 */
export function pgConnection(url: string, applicationName: string): pg.ClientConfig {
  return {
    connectionString: url,
    application_name: applicationName,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    connectionTimeoutMillis: 10_000,
    options:
      '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3 ' +
      '-c idle_in_transaction_session_timeout=60000',
  };
}

export function openPgPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ ...pgConnection(url, 'crossroads'), max });
  // An idle pooled connection that the server ends (restart, failover) is replaced on next use;
  // without a listener the 'error' event would crash the process.
  pool.on('error', () => undefined);
  return pool;
}

/** A reader of its own for a tool that only looks (e.g. `crossroads log verify`); close() ends it. */
export interface ReadOnlyReader extends StoreReader {
  readonly location: string;
  close(): Promise<void>;
}

/**
 * Opens a store's database for reading only, without migrating or writing anything: the SQLite
 * file read-only, or a one-connection PostgreSQL pool whose transactions are read-only.
 */
export function openReadOnlyReader(
  target: { readonly path: string } | { readonly url: string },
): ReadOnlyReader {
  if ('url' in target) {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: 1,
      application_name: 'crossroads',
      options: '-c default_transaction_read_only=on',
    });
    pool.on('error', () => undefined);
    const reader = new PgReader(pool);
    return {
      location: redactUrl(target.url),
      all: <Row>(sql: string, parameters: readonly unknown[]) => reader.all<Row>(sql, parameters),
      close: () => pool.end(),
    };
  }
  const connection = new DatabaseSync(target.path, { readOnly: true });
  connection.exec('PRAGMA busy_timeout = 5000');
  const reader = new SqliteReader(connection);
  return {
    location: target.path,
    all: <Row>(sql: string, parameters: readonly unknown[]) => reader.all<Row>(sql, parameters),
    close: () => Promise.resolve(reader.close()),
  };
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
