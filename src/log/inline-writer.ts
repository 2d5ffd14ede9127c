// A log writer on the hub's own database connection (Kysely): used for in-memory databases, and
// the shape a PostgreSQL writer will take.
import type { Kysely } from 'kysely';
import { type Database, type Precompiled, precompile, slot } from '../store/index.ts';
import type { LogWriter } from './log-writer.ts';
import { GENESIS_HASH, type ExchangeRecord } from './record.ts';
import { type AppendReceipt, type ChainHead, sequenceRecords } from './sequence.ts';

const INSERT_SIZES = [64, 8, 1]; // largest first; 1 guarantees every remainder fits
const COLUMNS = ['seq', 'exchange_id', 'at', 'person', 'caller', 'record', 'hash'] as const;

export class InlineLogWriter implements LogWriter {
  readonly #db: Kysely<Database>;
  /** Multi-row inserts compiled once per size; a batch takes as few statements as it can. */
  readonly #inserts: readonly { readonly rows: number; readonly query: Precompiled<unknown> }[];
  #head: ChainHead;

  private constructor(db: Kysely<Database>, head: ChainHead) {
    this.#db = db;
    this.#head = head;
    this.#inserts = INSERT_SIZES.map((rows) => ({ rows, query: precompile(insertRows(db, rows)) }));
  }

  static async open(db: Kysely<Database>): Promise<InlineLogWriter> {
    const last = await db
      .selectFrom('exchange_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return new InlineLogWriter(db, {
      lastSeq: last ? Number(last.seq) : 0,
      lastHash: last?.hash ?? GENESIS_HASH,
    });
  }

  get head(): ChainHead {
    return this.#head;
  }

  async write(records: readonly ExchangeRecord[]): Promise<AppendReceipt[]> {
    const { rows, receipts, head } = sequenceRecords(records, this.#head);
    await this.#db.transaction().execute(async (trx) => {
      let done = 0;
      for (const { rows: size, query } of this.#inserts) {
        for (; rows.length - done >= size; done += size) {
          await query.run(trx, slotValues(rows.slice(done, done + size)));
        }
      }
    });
    this.#head = head;
    return receipts;
  }

  async close(): Promise<void> {}
}

function insertRows(db: Kysely<Database>, count: number) {
  const rows = Array.from({ length: count }, (_, i) => {
    const row: Record<string, unknown> = {};
    for (const column of COLUMNS) row[column] = slot(`${column}${i}`);
    return row as unknown as Database['exchange_log'];
  });
  return db.insertInto('exchange_log').values(rows);
}

function slotValues(rows: readonly Database['exchange_log'][]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  rows.forEach((row, i) => {
    for (const column of COLUMNS) values[`${column}${i}`] = row[column];
  });
  return values;
}
