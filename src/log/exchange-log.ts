// The exchange log's append path. Every attempt is appended and committed (fsync) before the
// caller gets its answer. Appends that arrive in the same event-loop turn are committed together
// ("group commit"): one transaction and one fsync per batch. A worker thread commits them and
// integrates them into the signed Merkle tree (sequencer.ts) within about a second.
//
// Fail closed: when committed records have waited longer than `failClosedAfterMs` for the tree
// (the sequencer cannot integrate or sign), `available()` turns false and the broker refuses new
// exchanges with LOG_UNAVAILABLE until the sequencer catches up.
import type { Clock } from '../kernel/index.ts';
import type { Store } from '../store/index.ts';
import type { ExchangeRecord } from './record.ts';
import type { AppendReceipt } from './sequence.ts';
import { PgLogWriter } from './pg-writer.ts';
import { SqliteWorkerWriter } from './sqlite-worker-writer.ts';
import type { LogWriter, UnitResult, WriteUnit } from './writer.ts';

export interface ExchangeLogOptions {
  readonly origin: string;
  readonly privateKeyPem: string;
  readonly clock: Clock;
  /** How long committed records may wait for the signed tree before exchanges are refused. */
  readonly failClosedAfterMs?: number;
  readonly integrateEveryMs?: number;
  /** Most records committed in one transaction. */
  readonly maxBatch?: number;
}

interface Pending {
  readonly record: ExchangeRecord;
  readonly resolve: (receipt: AppendReceipt) => void;
  readonly reject: (error: unknown) => void;
}

interface PendingUnit {
  readonly unit: WriteUnit;
  readonly resolve: (result: UnitResult) => void;
  readonly reject: (error: unknown) => void;
}

export class ExchangeLog {
  readonly #writer: LogWriter;
  readonly #clock: Clock;
  readonly #maxBatch: number;
  readonly #failClosedAfterMs: number;
  #pending: Pending[] = [];
  #pendingUnits: PendingUnit[] = [];
  #scheduled = false;
  readonly #inFlight = new Set<Promise<void>>();
  /** Since when the oldest record not yet in the signed tree has waited (ms), or undefined. */
  #waitingSince: number | undefined;
  #lastIntegrationError: string | undefined;
  #observers: ((record: ExchangeRecord) => void)[] = [];

  private constructor(writer: LogWriter, options: ExchangeLogOptions) {
    this.#writer = writer;
    this.#clock = options.clock;
    this.#maxBatch = options.maxBatch ?? 1000;
    this.#failClosedAfterMs = options.failClosedAfterMs ?? 300_000;
    if (writer.treeSize < writer.head.lastSeq) this.#waitingSince = this.#clock.now().getTime();
    writer.onIntegration({
      integrated: () => this.#onIntegrated(),
      integrationFailed: (message) => {
        this.#lastIntegrationError = message;
      },
    });
  }

  static async open(store: Store, options: ExchangeLogOptions): Promise<ExchangeLog> {
    const common = {
      origin: options.origin,
      privateKeyPem: options.privateKeyPem,
      integrateEveryMs: options.integrateEveryMs ?? 1000,
      integrateWhenWaiting: 1000,
    };
    const writer =
      store.url === undefined
        ? await SqliteWorkerWriter.open({ path: store.location, ...common })
        : await PgLogWriter.open({ url: store.url, ...common });
    return new ExchangeLog(writer, options);
  }

  /** Calls `observer` with every record appended from now on (metrics). */
  observe(observer: (record: ExchangeRecord) => void): void {
    this.#observers.push(observer);
  }

  /** Resolves once the record is committed; rejects if it could not be written. */
  append(record: ExchangeRecord): Promise<AppendReceipt> {
    for (const observer of this.#observers) observer(record);
    return new Promise((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * Commits other writes together with their log records, in one transaction with the records
   * appended in the same event-loop turn (e.g. a change, its deliveries and their records).
   */
  commit(unit: WriteUnit): Promise<UnitResult> {
    return new Promise((resolve, reject) => {
      this.#pendingUnits.push({ unit, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (!this.#scheduled) {
      this.#scheduled = true;
      // Let the appends of this event-loop turn join the batch.
      setImmediate(() => this.#send());
    }
  }

  /** Records committed so far (the sequence number of the last one). */
  get size(): number {
    return this.#writer.head.lastSeq;
  }

  /** Whether this node runs the log's sequencer now (one node at a time on PostgreSQL). */
  get sequencerLeader(): boolean {
    return this.#writer.leader;
  }

  /** Records in the latest signed tree. */
  get treeSize(): number {
    return this.#writer.treeSize;
  }

  /**
   * False when the log's thread has died, or when committed records have waited too long for the
   * signed tree (fail closed).
   */
  available(): boolean {
    if (this.#writer.broken) return false;
    if (this.#waitingSince === undefined) return true;
    return this.#clock.now().getTime() - this.#waitingSince <= this.#failClosedAfterMs;
  }

  /** Why the sequencer last failed, for operators (undefined once it succeeds again). */
  get integrationError(): string | undefined {
    return this.#lastIntegrationError;
  }

  /** Stops integrating (operator maintenance); records are still committed. */
  pauseSequencer(): void {
    this.#writer.pause();
  }

  resumeSequencer(): void {
    this.#writer.resume();
  }

  /** Waits until everything appended so far is committed. */
  async flush(): Promise<void> {
    while (this.#scheduled || this.#inFlight.size > 0) {
      await Promise.allSettled([...this.#inFlight, new Promise((resolve) => setImmediate(resolve))]);
    }
  }

  /** Commits what is pending, integrates it, and stops the worker thread. */
  async close(): Promise<void> {
    await this.flush();
    await this.#writer.close();
  }

  #onIntegrated(): void {
    this.#lastIntegrationError = undefined;
    // What is still waiting started waiting now.
    this.#waitingSince =
      this.#writer.treeSize < this.#writer.head.lastSeq ? this.#clock.now().getTime() : undefined;
  }

  #send(): void {
    this.#scheduled = false;
    while (this.#pending.length > 0 || this.#pendingUnits.length > 0) {
      const batch = this.#pending.splice(0, this.#maxBatch);
      let records = batch.length;
      const units: PendingUnit[] = [];
      while (this.#pendingUnits.length > 0 && records < this.#maxBatch) {
        const next = this.#pendingUnits.shift()!;
        units.push(next);
        records += next.unit.records.length;
      }
      const done = this.#writer
        .write(
          batch.map((p) => p.record),
          units.map((u) => u.unit),
        )
        .then(
          (written) => {
            // Only records wait for the tree (a commit of other writes alone starts no clock).
            if (this.#writer.treeSize < this.#writer.head.lastSeq)
              this.#waitingSince ??= this.#clock.now().getTime();
            batch.forEach((p, i) => p.resolve(written.receipts[i]!));
            units.forEach((u, i) => {
              const result = written.units[i]!;
              // Observed once stored: a skipped (repeated) or failed unit added no record.
              if ('receipts' in result)
                for (const record of u.unit.records) for (const observer of this.#observers) observer(record);
              u.resolve(result);
            });
          },
          (error: unknown) => {
            batch.forEach((p) => p.reject(error));
            units.forEach((u) => u.reject(error));
          },
        );
      this.#inFlight.add(done);
      void done.finally(() => this.#inFlight.delete(done));
    }
  }
}
