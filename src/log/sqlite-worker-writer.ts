// The hub's side of the log's worker thread (sqlite-writer-thread.ts). Measured here: with
// synchronous=FULL, COMMIT's fsync blocked the hub's event loop for about 15 % of its time; off the
// main thread that time is spent waiting, not blocking. Batches are pipelined: the thread takes
// them in order, so the hub never waits for one batch before sending the next.
import { Worker } from 'node:worker_threads';
import type { ExchangeRecord } from './record.ts';
import type { ChainHead } from './sequence.ts';
import type { WriterReply, WriterRequest, WriterThreadOptions } from './sqlite-writer-thread.ts';
import type { IntegrationEvents, LogWriter, WriteUnit, Written } from './writer.ts';

interface InFlight {
  readonly resolve: (written: Written) => void;
  readonly reject: (error: Error) => void;
}

export class SqliteWorkerWriter implements LogWriter {
  /** One process owns a SQLite file: its thread always runs the sequencer. */
  readonly leader = true;
  readonly #worker: Worker;
  #events: IntegrationEvents | undefined;
  readonly #inFlight = new Map<number, InFlight>();
  #nextId = 1;
  #head: ChainHead;
  #treeSize: number;
  #broken: Error | undefined;
  #closed: Promise<void> | undefined;

  private constructor(worker: Worker, ready: Extract<WriterReply, { type: 'ready' }>) {
    this.#worker = worker;
    this.#head = ready.head;
    this.#treeSize = ready.treeSize;
    worker.on('message', (message: WriterReply) => this.#onReply(message));
    worker.on('error', (error: unknown) =>
      this.#fail(error instanceof Error ? error : new Error(String(error))),
    );
    worker.on('exit', (code) => this.#fail(new Error(`the log writer thread exited (${code})`)));
  }

  static open(options: WriterThreadOptions): Promise<SqliteWorkerWriter> {
    const worker = new Worker(new URL('./sqlite-writer-thread.ts', import.meta.url), { workerData: options });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (message: WriterReply) => {
        worker.off('error', reject);
        if (message.type === 'ready') resolve(new SqliteWorkerWriter(worker, message));
        else reject(new Error('the log writer thread did not start'));
      });
    });
  }

  /** Who hears about the sequencer's progress and failures. */
  onIntegration(events: IntegrationEvents): void {
    this.#events = events;
  }

  get head(): ChainHead {
    return this.#head;
  }

  get treeSize(): number {
    return this.#treeSize;
  }

  /** Set once the thread has died: nothing can be committed any more. */
  get broken(): boolean {
    return this.#broken !== undefined;
  }

  /** Commits the records, then the units (each with its own records), in one transaction. */
  write(records: readonly ExchangeRecord[], units: readonly WriteUnit[] = []): Promise<Written> {
    if (this.#broken) return Promise.reject(this.#broken);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#inFlight.set(id, { resolve, reject });
      this.#send({ type: 'write', id, records: [...records], units: [...units] });
    });
  }

  pause(): void {
    this.#send({ type: 'pause' });
  }

  resume(): void {
    this.#send({ type: 'resume' });
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (this.#broken) return resolve();
      this.#worker.once('exit', () => resolve());
      this.#send({ type: 'close' });
    });
    return this.#closed;
  }

  #send(message: WriterRequest): void {
    this.#worker.postMessage(message);
  }

  #onReply(message: WriterReply): void {
    switch (message.type) {
      case 'closed':
        void this.#worker.terminate();
        return;
      case 'ready':
        return;
      case 'integrated':
        this.#treeSize = message.treeSize;
        return this.#events?.integrated(message.treeSize);
      case 'integration-failed':
        return this.#events?.integrationFailed(message.message);
      case 'written': {
        const waiting = this.#inFlight.get(message.id);
        this.#inFlight.delete(message.id);
        const last = [
          ...message.receipts,
          ...message.units.flatMap((u) => ('receipts' in u ? u.receipts : [])),
        ].at(-1);
        if (last) this.#head = { lastSeq: last.seq, lastHash: last.hash };
        return waiting?.resolve({ receipts: message.receipts, units: message.units });
      }
      case 'failed': {
        const waiting = this.#inFlight.get(message.id);
        this.#inFlight.delete(message.id);
        return waiting?.reject(new Error(`exchange log write failed: ${message.message}`));
      }
    }
  }

  #fail(error: Error): void {
    this.#broken ??= error;
    for (const waiting of this.#inFlight.values()) waiting.reject(error);
    this.#inFlight.clear();
  }
}
