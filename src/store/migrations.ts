// Schema migrations, one list for every engine. Append only: a released migration never changes.
import { type ColumnDefinitionBuilder, type Kysely, SqliteAdapter, sql } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('institutions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kbo', 'text', (c) => c.notNull().unique())
      .addColumn('name_nl', 'text', (c) => c.notNull())
      .addColumn('name_fr', 'text', (c) => c.notNull())
      .addColumn('sector', 'integer')
      .addColumn('subsector', 'integer')
      .addColumn('source_url', 'text')
      .addColumn('source_token', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('capacities')
      .addColumn('sector', 'integer', (c) => c.notNull())
      .addColumn('code', 'integer', (c) => c.notNull())
      .addColumn('label_nl', 'text', (c) => c.notNull())
      .addColumn('label_fr', 'text', (c) => c.notNull())
      .addColumn('exclusive', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('capacities_pk', ['sector', 'code'])
      .execute();

    await db.schema
      .createTable('services')
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('title_nl', 'text', (c) => c.notNull())
      .addColumn('title_fr', 'text', (c) => c.notNull())
      .addColumn('title_en', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('fields_schema', 'text', (c) => c.notNull())
      .addColumn('provider_rule', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('services_pk', ['id', 'version'])
      .execute();

    await db.schema
      .createTable('credentials')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('institution_id', 'text')
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_by', 'text')
      .execute();

    await db.schema
      .createTable('registrations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('insz', 'text', (c) => c.notNull())
      .addColumn('institution_id', 'text', (c) => c.notNull())
      .addColumn('sector', 'integer', (c) => c.notNull())
      .addColumn('subsector', 'integer', (c) => c.notNull())
      .addColumn('capacity', 'integer', (c) => c.notNull())
      .addColumn('phase', 'integer', (c) => c.notNull())
      .addColumn('start_date', 'text', (c) => c.notNull())
      .addColumn('end_date', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text')
      .addColumn('ended_by', 'text')
      .execute();
    await db.schema
      .createIndex('registrations_person_institution')
      .on('registrations')
      .columns(['insz', 'institution_id'])
      .execute();
    await db.schema
      .createIndex('registrations_person_sector')
      .on('registrations')
      .columns(['insz', 'sector'])
      .execute();

    await db.schema
      .createTable('directory_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('registration_id', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('by', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('directory_events_registration')
      .on('directory_events')
      .column('registration_id')
      .execute();

    await db.schema
      .createTable('authorisations')
      .addColumn('ref', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('decided_on', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('recipients', 'text', (c) => c.notNull())
      .addColumn('services', 'text', (c) => c.notNull())
      .addColumn('purposes', 'text', (c) => c.notNull())
      .addColumn('capacities', 'text', (c) => c.notNull())
      .addColumn('valid_from', 'text', (c) => c.notNull())
      .addColumn('valid_to', 'text')
      .addColumn('data_level', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('authorisations_pk', ['ref', 'version'])
      .execute();

    await db.schema
      .createTable('exchange_log')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('exchange_id', 'text', (c) => c.notNull().unique())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('person', 'text')
      .addColumn('caller', 'text')
      .addColumn('record', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('exchange_log_person')
      .on('exchange_log')
      .columns(['person', 'seq'])
      .execute();
  },
};

// The tamper-evident log (RFC 9162 tree nodes, signed checkpoints, witnesses' cosignatures),
// citizens' sessions, and authorisations whose exchanges are shown to the person only later.
const merkleLogAndCitizens: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('merkle_nodes')
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('idx', 'bigint', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('merkle_nodes_pk', ['level', 'idx'])
      // On SQLite a table keyed by its primary key alone: one B-tree search per node read, not two
      // (proofs read about log2(n) nodes at random). PostgreSQL has no such clause.
      .$call((table) =>
        db.getExecutor().adapter instanceof SqliteAdapter ? table.modifyEnd(sql`without rowid`) : table,
      )
      .execute();
    await db.schema
      .createTable('checkpoints')
      .addColumn('size', 'bigint', (c) => c.primaryKey())
      .addColumn('root_hash', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('witnesses')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('verifier_key', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('cosignatures')
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('witness', 'text', (c) => c.notNull())
      .addColumn('signature_line', 'text', (c) => c.notNull())
      .addColumn('cosigned_at', 'bigint', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('cosignatures_pk', ['size', 'witness'])
      .execute();
    await db.schema
      .createTable('sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('insz', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('authorisations').addColumn('embargo_days', 'integer').execute();
  },
};

// Change push (automatic communication of changes): published changes, institutions'
// subscriptions and delivery settings, and the outbox of deliveries (one per recipient), each
// committed with its exchange-log record.
const changePush: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('changes')
      .addColumn(...sequenceColumn(db))
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('service_version', 'integer', (c) => c.notNull())
      .addColumn('source_id', 'text', (c) => c.notNull())
      .addColumn('source_reference', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('insz', 'text', (c) => c.notNull())
      .addColumn('effective_date', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('received_by', 'text', (c) => c.notNull())
      .addColumn('recipients', 'integer', (c) => c.notNull())
      .addUniqueConstraint('changes_source_reference', ['source_id', 'source_reference'])
      .execute();

    await db.schema
      .createTable('subscriptions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('institution_id', 'text', (c) => c.notNull())
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('capacities', 'text')
      .addColumn('purpose', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text')
      .addColumn('ended_by', 'text')
      .execute();
    await db.schema
      .createIndex('subscriptions_institution_service')
      .on('subscriptions')
      .columns(['institution_id', 'service'])
      .execute();

    await db.schema
      .createTable('delivery_settings')
      .addColumn('institution_id', 'text', (c) => c.primaryKey())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('url', 'text')
      .addColumn('batch', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('deliveries')
      .addColumn(...sequenceColumn(db))
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('change_id', 'text', (c) => c.notNull())
      .addColumn('recipient_id', 'text', (c) => c.notNull())
      .addColumn('insz', 'text', (c) => c.notNull())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('authorisation_ref', 'text', (c) => c.notNull())
      .addColumn('authorisation_version', 'integer', (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('registrations', 'text', (c) => c.notNull())
      .addColumn('fields', 'text', (c) => c.notNull())
      // pending → delivered, or pending → dead (after too many failures) → pending (replay).
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('delivered_at', 'text')
      .execute();
    await db.schema.createIndex('deliveries_change').on('deliveries').columns(['change_id']).execute();
    await db.schema
      .createIndex('deliveries_recipient_status')
      .on('deliveries')
      .columns(['recipient_id', 'status', 'seq'])
      .execute();
    await db.schema
      .createIndex('deliveries_status')
      .on('deliveries')
      .columns(['status', 'mode', 'seq'])
      .execute();
  },
};

// Bulk loads of the persons directory (`crossroads directory import`): one row per import of a
// file, advanced in the same transaction as each chunk of registrations it loads, so that an
// interrupted import resumes after its last committed chunk.
const directoryImports: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('directory_imports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // The file, as identified on every run: absolute path, size, SHA-256 of its first 64 KiB.
      .addColumn('file_path', 'text', (c) => c.notNull())
      .addColumn('file_size', 'bigint', (c) => c.notNull())
      .addColumn('file_head_sha256', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('institution', 'text')
      .addColumn('rejects_path', 'text', (c) => c.notNull())
      // Progress up to the last committed chunk: its last line number (1-based, header included),
      // the byte offset after that line, the counts so far and the reject file's size then.
      .addColumn('lines_done', 'bigint', (c) => c.notNull())
      .addColumn('bytes_done', 'bigint', (c) => c.notNull())
      .addColumn('loaded', 'bigint', (c) => c.notNull())
      .addColumn('rejected', 'bigint', (c) => c.notNull())
      .addColumn('rejects_bytes', 'bigint', (c) => c.notNull())
      // 1 when the import dropped the person indexes of registrations, to rebuild them at its end.
      .addColumn('deferred_indexes', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('started_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .execute();
    await db.schema
      .createIndex('directory_imports_file')
      .on('directory_imports')
      .columns(['file_path', 'file_size', 'file_head_sha256'])
      .execute();
  },
};

/** Tables whose rows every hub node holds in memory (registry, authorisations, subscriptions). */
export const CACHED_TABLES = [
  'institutions',
  'capacities',
  'services',
  'credentials',
  'authorisations',
  'subscriptions',
  'delivery_settings',
] as const;

/** The PostgreSQL channel that tells every node which cached table changed. */
export const CACHE_CHANNEL = 'crossroads_cache';

const severalNodes: Migration = {
  async up(db: Kysely<unknown>) {
    // A push delivery is worked on by one node at a time: the one whose claim has not expired.
    await db.schema.alterTable('deliveries').addColumn('claimed_by', 'text').execute();
    await db.schema.alterTable('deliveries').addColumn('claim_expires', 'text').execute();
    if (db.getExecutor().adapter instanceof SqliteAdapter) return;
    // Every committed change to a cached table is announced (NOTIFY is sent at commit), whoever
    // wrote it: the node, another node, an operator in psql.
    await sql`
      CREATE FUNCTION crossroads_notify_cache() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(${sql.lit(CACHE_CHANNEL)}, TG_TABLE_NAME);
        RETURN NULL;
      END $$`.execute(db);
    for (const table of CACHED_TABLES)
      await sql`
        CREATE TRIGGER ${sql.id(`${table}_notify_cache`)}
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${sql.table(table)}
        FOR EACH STATEMENT EXECUTE FUNCTION crossroads_notify_cache()`.execute(db);
  },
};

/**
 * A `seq` key the database numbers itself: SQLite's rowid (an `integer primary key`), a bigint
 * identity on PostgreSQL.
 */
function sequenceColumn(
  db: Kysely<unknown>,
): [string, 'integer' | 'bigint', (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  return db.getExecutor().adapter instanceof SqliteAdapter
    ? ['seq', 'integer', (c) => c.primaryKey()]
    : ['seq', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity()];
}

export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_merkle_log_and_citizens': merkleLogAndCitizens,
  '0003_change_push': changePush,
  '0004_directory_imports': directoryImports,
  '0005_several_nodes': severalNodes,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
