// Gives records their place in the log: sequence number, link to the previous record, hash.
// Pure, so every log writer (in-thread, worker thread, another engine) chains records the same way.
import type { Database } from '../store/index.ts';
import { type ExchangeRecord, type StoredRecord, encodeRecord, hashRecord } from './record.ts';

export interface AppendReceipt {
  readonly seq: number;
  readonly hash: string;
}

export interface ChainHead {
  readonly lastSeq: number;
  readonly lastHash: string;
}

export interface SequencedBatch {
  readonly rows: Database['exchange_log'][];
  readonly receipts: AppendReceipt[];
  readonly head: ChainHead;
}

export function sequenceRecords(records: readonly ExchangeRecord[], head: ChainHead): SequencedBatch {
  let seq = head.lastSeq;
  let prev = head.lastHash;
  const rows: Database['exchange_log'][] = [];
  const receipts: AppendReceipt[] = [];
  for (const record of records) {
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
  return { rows, receipts, head: { lastSeq: seq, lastHash: prev } };
}
