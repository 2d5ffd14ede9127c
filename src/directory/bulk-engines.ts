// How a bulk load writes to each engine (bulk-load.ts holds what is the same on both): the
// chunk writers and the person indexes a deferred-index load drops and builds again.
import { type Kysely, type Transaction, sql } from 'kysely';
import type { Database, Dialect, Store } from '../store/index.ts';
import type { PersonsDirectory } from './directory.ts';
import type { Registration } from './types.ts';

/** How checked registrations reach the registrations table, a chunk at a time (see BULK_ENGINES). */
export interface ChunkWriter {
  /**
   * Encodes a chunk for the engine (no I/O: done while the previous chunk commits). Every
   * registration of a chunk is created at `at` by `by`, and none is ended.
   */
  prepare(registrations: readonly Registration[], at: string, by: string): PreparedChunk;
}

export interface PreparedChunk {
  /** Inserts the chunk and runs `alsoInTransaction`, in one transaction. */
  write(alsoInTransaction: (trx: Transaction<Database>) => Promise<void>): Promise<void>;
}

/** What a bulk load does differently on each engine; everything else is the same code. */
export interface BulkEngine {
  writer(store: Store, directory: PersonsDirectory): ChunkWriter;
  /** Builds the person indexes again after a deferred-index load (idempotent). */
  buildPersonIndexes(db: Kysely<Database>): Promise<void>;
}

export const BULK_ENGINES: Readonly<Record<Dialect, BulkEngine>> = {
  sqlite: {
    // Multi-row INSERTs compiled once per row count (PersonsDirectory.loadRegistrations): SQLite
    // runs in this process, so a statement costs no round trip and no parsing of a large text.
    writer: (_store, directory) => ({
      prepare: (registrations) => ({
        write: (alsoInTransaction) => directory.loadRegistrations(registrations, alsoInTransaction),
      }),
    }),
    buildPersonIndexes: async (db) => {
      for (const index of PERSON_INDEXES) await createPersonIndex(db, index);
    },
  },
  postgres: {
    writer: (store) => unnestWriter(store.db),
    buildPersonIndexes: async (db) => {
      // Both or neither: DDL is transactional on PostgreSQL.
      await db.transaction().execute(async (trx) => {
        // Sorted in memory rather than in temporary files; this transaction only.
        await sql`set local maintenance_work_mem = ${sql.lit(INDEX_BUILD_MEMORY)}`.execute(trx);
        for (const index of PERSON_INDEXES) await createPersonIndex(trx, index);
      });
      // Statistics for the planner at once, not when autovacuum gets to millions of new rows.
      await sql`analyze registrations`.execute(db);
    },
  },
};

const INDEX_BUILD_MEMORY = '1GB';

/**
 * PostgreSQL: one `INSERT ... SELECT FROM unnest($1::text[], ...)` per chunk, each column that
 * varies by row one array parameter: a statement of 11 parameters whatever the chunk's size, which
 * the server parses and plans once per chunk (multi-row VALUES would be 13 parameters a row). The
 * chunk's creation time and author are single values: they are the same for every row of a chunk.
 */
function unnestWriter(db: Kysely<Database>): ChunkWriter {
  return {
    prepare(registrations, at, by) {
      // In the order of the person indexes, as on SQLite: each index page a chunk touches once.
      const sorted = [...registrations].sort(byPerson);
      for (const r of sorted) {
        if (r.createdAt !== at || r.createdBy !== by || r.endedAt !== null || r.endedBy !== null) {
          throw new Error('the registrations of a chunk are created together and not ended');
        }
      }
      const text = (of: (r: Registration) => string | null) => sql`${textArray(sorted.map(of))}::text[]`;
      const integer = (of: (r: Registration) => number) => sql`${integerArray(sorted.map(of))}::int4[]`;
      const insert = sql`insert into registrations (id, insz, institution_id, sector, subsector,
          capacity, phase, start_date, end_date, created_at, created_by, ended_at, ended_by)
        select u.*, ${at}, ${by}, null, null from unnest(${sql.join([
          text((r) => r.id),
          text((r) => r.insz),
          text((r) => r.institutionId),
          integer((r) => r.sector),
          integer((r) => r.subsector),
          integer((r) => r.capacity),
          integer((r) => r.phase),
          text((r) => r.start),
          text((r) => r.end),
        ])}) as u`;
      return {
        write: (alsoInTransaction) =>
          db.transaction().execute(async (trx) => {
            if (sorted.length > 0) await insert.execute(trx);
            await alsoInTransaction(trx);
          }),
      };
    },
  };
}

function byPerson(a: Registration, b: Registration): number {
  return a.insz < b.insz ? -1 : a.insz > b.insz ? 1 : 0;
}

/**
 * A PostgreSQL array literal of text values (or nulls). Array input syntax
 * (https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO): "elements containing curly
 * braces, commas (or the data type's delimiter character), double quotes, backslashes, or leading
 * or trailing whitespace must be double-quoted. Empty strings and strings matching the word NULL
 * must be quoted, too. To put a double quote or backslash in a quoted array element value, precede
 * it with a backslash." Built by one join into a flat string: a string grown by `+=` is a rope of
 * one node per element, alive (and copied by every young-generation GC) until it is sent.
 */
function textArray(values: readonly (string | null)[]): string {
  const elements = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value === null) elements[i] = 'NULL';
    else if (UNQUOTED.test(value) && !NULL_WORD.test(value)) elements[i] = value;
    else elements[i] = `"${value.replace(/["\\]/g, '\\$&')}"`;
  }
  return `{${elements.join(',')}}`;
}

/** Elements that need no quotes: not empty, none of `{`, `}`, `,`, `"`, `\` or white space. */
const UNQUOTED = /^[^\s{}",\\]+$/;
/** An unquoted NULL (any case) is the null element. */
const NULL_WORD = /^null$/i;

function integerArray(values: readonly unknown[]): string {
  for (const value of values) {
    if (!Number.isSafeInteger(value)) throw new Error(`${String(value)} is not an integer`);
  }
  return `{${values.join(',')}}`;
}

/**
 * The person indexes of registrations, as migration 0001 creates them: look-ups by person at an
 * institution and in a sector. A deferred-index import drops them and builds them again at its end
 * (one sort instead of a random B-tree insert per line, on PostgreSQL as on SQLite).
 */
const PERSON_INDEXES = [
  { name: 'registrations_person_institution', columns: ['insz', 'institution_id'] },
  { name: 'registrations_person_sector', columns: ['insz', 'sector'] },
] as const;

export async function dropPersonIndexes(db: Kysely<Database>): Promise<void> {
  for (const index of PERSON_INDEXES) await db.schema.dropIndex(index.name).ifExists().execute();
}

/** `create index if not exists` (SQLite 3.3+, PostgreSQL 9.5+). */
async function createPersonIndex(
  db: Kysely<Database>,
  index: (typeof PERSON_INDEXES)[number],
): Promise<void> {
  await db.schema
    .createIndex(index.name)
    .ifNotExists()
    .on('registrations')
    .columns([...index.columns])
    .execute();
}
