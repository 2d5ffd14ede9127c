// A log writer that commits in a worker thread with its own SQLite connection. Measured here: with
// synchronous=FULL, COMMIT's fsync blocked the hub's event loop for about 15 % of its time; off the
// main thread that time is spent waiting, not blocking. Batches are pipelined: the thread takes
// them in order, so the hub never waits for one batch before sending the next.
import { Worker } from 'node:worker_threads';
import type { LogWriter } from './log-writer.ts';
import type { ExchangeRecord } from './record.ts';
import type { AppendReceipt, ChainHead } from './sequence.ts';
import type { WriterReply, WriterRequest } from './sqlite-writer-thread.ts';

interface InFlight {
  readonly resolve: (receipts: AppendReceipt[]) => void;
  readonly reject: (error: Error) => void;
}

export class SqliteWorkerWriter implements LogWriter {
  readonly #worker: Worker;
  readonly #inFlight = new Map<number, InFlight>();
  #nextId = 1;
  #head: ChainHead;
  #broken: Error | undefined;
  #closed: Promise<void> | undefined;

  private constructor(worker: Worker, head: ChainHead) {
    this.#worker = worker;
    this.#head = head;
    worker.on('message', (message: WriterReply) => this.#onReply(message));
    worker.on('error', (error: unknown) =>
      this.#fail(error instanceof Error ? error : new Error(String(error))),
    );
    worker.on('exit', (code) => this.#fail(new Error(`the log writer thread exited (${code})`)));
  }

  static open(path: string): Promise<SqliteWorkerWriter> {
    const worker = new Worker(new URL('./sqlite-writer-thread.ts', import.meta.url), {
      workerData: { path },
    });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (message: WriterReply) => {
        worker.off('error', reject);
        if (message.type === 'ready') resolve(new SqliteWorkerWriter(worker, message.head));
        else reject(new Error('the log writer thread did not start'));
      });
    });
  }

  get head(): ChainHead {
    return this.#head;
  }

  write(records: readonly ExchangeRecord[]): Promise<AppendReceipt[]> {
    if (this.#broken) return Promise.reject(this.#broken);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#inFlight.set(id, { resolve, reject });
      this.#worker.postMessage({ type: 'write', id, records: [...records] } satisfies WriterRequest);
    });
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (this.#broken) return resolve();
      this.#worker.once('exit', () => resolve());
      this.#worker.postMessage({ type: 'close' } satisfies WriterRequest);
    });
    return this.#closed;
  }

  #onReply(message: WriterReply): void {
    if (message.type === 'closed') {
      void this.#worker.terminate();
      return;
    }
    if (message.type === 'ready') return;
    const waiting = this.#inFlight.get(message.id);
    this.#inFlight.delete(message.id);
    if (message.type === 'written') {
      const last = message.receipts.at(-1);
      if (last) this.#head = { lastSeq: last.seq, lastHash: last.hash };
      waiting?.resolve(message.receipts);
    } else {
      waiting?.reject(new Error(`exchange log write failed: ${message.message}`));
    }
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#broken = error;
    for (const waiting of this.#inFlight.values()) waiting.reject(error);
    this.#inFlight.clear();
  }
}
