// The exchange log's append path. Every attempt is appended and committed (fsync) before the
// caller gets its answer. Appends that arrive together are committed together ("group commit"):
// one transaction and one fsync per batch, so durability does not cost a disk flush per request.
import type { Kysely } from 'kysely';
import { type Database, type Precompiled, precompile, slot } from '../store/index.ts';
import { type ExchangeRecord, GENESIS_HASH, type StoredRecord, encodeRecord, hashRecord } from './record.ts';

export interface AppendReceipt {
  readonly seq: number;
  readonly hash: string;
}

export interface ExchangeLogOptions {
  /** Most records committed in one transaction. */
  readonly maxBatch?: number;
}

interface Pending {
  readonly record: ExchangeRecord;
  readonly resolve: (receipt: AppendReceipt) => void;
  readonly reject: (error: unknown) => void;
}

export class ExchangeLog {
  readonly #db: Kysely<Database>;
  readonly #maxBatch: number;
  #lastSeq: number;
  #lastHash: string;
  #pending: Pending[] = [];
  #flushing: Promise<void> | undefined;
  /** Multi-row inserts compiled once per size; a batch is written with as few statements as it takes. */
  readonly #inserts: readonly { readonly rows: number; readonly query: Precompiled<unknown> }[];

  private constructor(db: Kysely<Database>, lastSeq: number, lastHash: string, options: ExchangeLogOptions) {
    this.#db = db;
    this.#inserts = INSERT_SIZES.map((rows) => ({ rows, query: precompile(insertRows(db, rows)) }));
    this.#lastSeq = lastSeq;
    this.#lastHash = lastHash;
    this.#maxBatch = options.maxBatch ?? 1000;
  }

  static async open(db: Kysely<Database>, options: ExchangeLogOptions = {}): Promise<ExchangeLog> {
    const last = await db
      .selectFrom('exchange_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return new ExchangeLog(db, last ? Number(last.seq) : 0, last?.hash ?? GENESIS_HASH, options);
  }

  /** Resolves once the record is committed; rejects if it could not be written. */
  append(record: ExchangeRecord): Promise<AppendReceipt> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      this.#flushing ??= this.#drain();
    });
  }

  get size(): number {
    return this.#lastSeq;
  }

  /** Waits until everything appended so far is committed. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #drain(): Promise<void> {
    // Let the appends of this event-loop turn join the batch.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.#maxBatch);
        await this.#commit(batch);
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    let seq = this.#lastSeq;
    let prev = this.#lastHash;
    const rows: Database['exchange_log'][] = [];
    const receipts: AppendReceipt[] = [];
    for (const { record } of batch) {
      seq += 1;
      const stored: StoredRecord = { ...record, seq, prev };
      const canonical = encodeRecord(stored);
      const hash = hashRecord(canonical);
      rows.push({
        seq,
        exchange_id: record.exchangeId,
        at: record.time,
        person: record.person,
        caller: record.caller,
        record: canonical,
        hash,
      });
      receipts.push({ seq, hash });
      prev = hash;
    }
    try {
      await this.#db.transaction().execute(async (trx) => {
        let done = 0;
        for (const { rows: size, query } of this.#inserts) {
          for (; rows.length - done >= size; done += size)
            await query.run(trx, slotValues(rows.slice(done, done + size)));
        }
      });
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    this.#lastSeq = seq;
    this.#lastHash = prev;
    batch.forEach((p, i) => p.resolve(receipts[i]!));
  }
}

const INSERT_SIZES = [64, 8, 1]; // largest first; 1 guarantees every remainder fits
const COLUMNS = ['seq', 'exchange_id', 'at', 'person', 'caller', 'record', 'hash'] as const;

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
