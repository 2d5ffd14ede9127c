// Where committed log records go. The exchange log batches appends and hands each batch to one
// writer; a writer resolves only once the batch is durably committed.
import type { ExchangeRecord } from './record.ts';
import type { AppendReceipt, ChainHead } from './sequence.ts';

export interface LogWriter {
  /** The chain head found on opening. */
  readonly head: ChainHead;
  /** Commits the records, in order, after everything written before. */
  write(records: readonly ExchangeRecord[]): Promise<AppendReceipt[]>;
  close(): Promise<void>;
}
