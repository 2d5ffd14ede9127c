// The exchange log's append path. Every attempt is appended and committed (fsync) before the
// caller gets its answer. Appends that arrive in the same event-loop turn are committed together
// ("group commit"): one transaction and one fsync per batch, so durability does not cost a disk
// flush per request. The commit itself happens in the writer (on a file database, a worker thread).
import type { Store } from '../store/index.ts';
import { InlineLogWriter } from './inline-writer.ts';
import type { LogWriter } from './log-writer.ts';
import type { ExchangeRecord } from './record.ts';
import type { AppendReceipt } from './sequence.ts';
import { SqliteWorkerWriter } from './sqlite-worker-writer.ts';

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
  readonly #writer: LogWriter;
  readonly #maxBatch: number;
  #pending: Pending[] = [];
  #scheduled = false;
  readonly #inFlight = new Set<Promise<void>>();

  private constructor(writer: LogWriter, options: ExchangeLogOptions) {
    this.#writer = writer;
    this.#maxBatch = options.maxBatch ?? 1000;
  }

  static async open(store: Store, options: ExchangeLogOptions = {}): Promise<ExchangeLog> {
    const writer =
      store.location === ':memory:'
        ? await InlineLogWriter.open(store.db)
        : await SqliteWorkerWriter.open(store.location);
    return new ExchangeLog(writer, options);
  }

  /** Resolves once the record is committed; rejects if it could not be written. */
  append(record: ExchangeRecord): Promise<AppendReceipt> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // Let the appends of this event-loop turn join the batch.
        setImmediate(() => this.#send());
      }
    });
  }

  /** Records committed so far (the sequence number of the last one). */
  get size(): number {
    return this.#writer.head.lastSeq;
  }

  /** Waits until everything appended so far is committed. */
  async flush(): Promise<void> {
    while (this.#scheduled || this.#inFlight.size > 0) {
      await Promise.allSettled([...this.#inFlight, new Promise((resolve) => setImmediate(resolve))]);
    }
  }

  async close(): Promise<void> {
    await this.flush();
    await this.#writer.close();
  }

  #send(): void {
    this.#scheduled = false;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#maxBatch);
      const done = this.#writer.write(batch.map((p) => p.record)).then(
        (receipts) => batch.forEach((p, i) => p.resolve(receipts[i]!)),
        (error: unknown) => batch.forEach((p) => p.reject(error)),
      );
      this.#inFlight.add(done);
      void done.finally(() => this.#inFlight.delete(done));
    }
  }
}
