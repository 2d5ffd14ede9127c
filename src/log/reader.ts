// Reading the exchange log back: by exchange id, by person, and a chain check over the whole log.
import type { Kysely } from 'kysely';
import type { Database, StoreReader } from '../store/index.ts';
import { GENESIS_HASH, type StoredRecord, hashRecord } from './record.ts';

export async function recordByExchangeId(
  db: Kysely<Database>,
  exchangeId: string,
): Promise<StoredRecord | undefined> {
  const row = await db
    .selectFrom('exchange_log')
    .select('record')
    .where('exchange_id', '=', exchangeId)
    .executeTakeFirst();
  return row ? (JSON.parse(row.record) as StoredRecord) : undefined;
}

export type ChainCheck =
  | { readonly ok: true; readonly size: number }
  | { readonly ok: false; readonly seq: number; readonly problem: string };

/** Recomputes every hash and link, in order; names the first record that disagrees. */
export async function verifyChain(db: Kysely<Database>, pageSize = 5000): Promise<ChainCheck> {
  let expectedSeq = 1;
  let prev = GENESIS_HASH;
  for (;;) {
    const rows = await db
      .selectFrom('exchange_log')
      .select(['seq', 'record', 'hash'])
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    if (rows.length === 0) return { ok: true, size: expectedSeq - 1 };
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq)
        return { ok: false, seq: expectedSeq, problem: `record ${expectedSeq} is missing` };
      const record = JSON.parse(row.record) as StoredRecord;
      if (record.seq !== seq)
        return { ok: false, seq, problem: `the record says it is number ${record.seq}` };
      if (record.prev !== prev)
        return { ok: false, seq, problem: 'its link to the previous record is broken' };
      if (hashRecord(row.record) !== row.hash)
        return { ok: false, seq, problem: 'its stored hash does not match its content' };
      prev = row.hash;
      expectedSeq += 1;
    }
  }
}

export interface AccessQuery {
  /** Only records older than this sequence number (the paging cursor). */
  readonly beforeSeq?: number;
  /** ISO 8601 instants, inclusive from / exclusive to, on the record's time. */
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
}

/** Records about a person, newest first, with their canonical text (for offline verification). */
export async function recordsAboutPerson(
  reader: StoreReader,
  insz: string,
  query: AccessQuery,
): Promise<{ readonly record: StoredRecord; readonly canonical: string }[]> {
  const rows = await reader.all<{ record: string }>(
    'SELECT record FROM exchange_log WHERE person = ? AND seq < ? AND at >= ? AND at < ? ORDER BY seq DESC LIMIT ?',
    [
      insz,
      query.beforeSeq ?? Number.MAX_SAFE_INTEGER,
      query.from ?? '',
      // After every ISO 8601 instant in any collation ('9' follows the digits of every year).
      query.to ?? '99999',
      query.limit,
    ],
  );
  return rows.map((r) => ({
    record: JSON.parse(String(r.record)) as StoredRecord,
    canonical: String(r.record),
  }));
}
