// What every log writer offers the exchange log (ExchangeLog): the SQLite worker thread
// (sqlite-worker-writer.ts) and the PostgreSQL writer (pg-writer.ts).
import type { ExchangeRecord } from './record.ts';
import type { AppendReceipt, ChainHead } from './sequence.ts';

/** One compiled statement (SQL with `?` placeholders and its parameters). */
export interface Statement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/**
 * Writes that commit together with log records, in the same transaction (architecture.md §5):
 * e.g. a published change, its deliveries and one log record per delivery. When `unlessExists`
 * finds a row, the unit is skipped and that row answered (idempotent intake).
 */
export interface WriteUnit {
  readonly unlessExists?: Statement;
  readonly statements: readonly Statement[];
  readonly records: readonly ExchangeRecord[];
}

export type UnitResult =
  | { readonly skipped: Record<string, unknown> }
  /** The unit's statements failed (rolled back alone); the rest of the batch committed. */
  | { readonly failed: string }
  | {
      /** Per statement: the rowid it inserted last, and how many rows it changed. */
      readonly results: readonly { readonly lastInsertRowid: number; readonly changes: number }[];
      readonly receipts: readonly { seq: number; hash: string }[];
    };

export interface Written {
  readonly receipts: AppendReceipt[];
  readonly units: UnitResult[];
}

export interface IntegrationEvents {
  integrated(treeSize: number): void;
  integrationFailed(message: string): void;
}

export interface LogWriter {
  /** The last record this node knows committed (every node's, on PostgreSQL, as of its last commit). */
  readonly head: ChainHead;
  /** Leaves in the latest signed tree this node knows of. */
  readonly treeSize: number;
  /** Set once the writer died: nothing can be committed any more. */
  readonly broken: boolean;
  /** Whether this node runs the sequencer now (always on SQLite; the lock holder on PostgreSQL). */
  readonly leader: boolean;
  onIntegration(events: IntegrationEvents): void;
  /** Commits the records, then the units (each with its own records), in one transaction. */
  write(records: readonly ExchangeRecord[], units?: readonly WriteUnit[]): Promise<Written>;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}
