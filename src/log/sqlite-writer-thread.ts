// The body of the log's worker thread: its own SQLite connection, its own fsync. It commits the
// batches of records the hub sends (answering "written" only after COMMIT), and runs the
// sequencer: at least once a second, and at once when 1,000 records wait, it integrates committed
// records into the Merkle tree and signs a checkpoint. The hub's event loop never waits for a disk.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { GENESIS_HASH, type ExchangeRecord } from './record.ts';
import { type ChainHead, sequenceRecords } from './sequence.ts';
import { Sequencer } from './sequencer.ts';

export interface WriterThreadOptions {
  readonly path: string;
  readonly origin: string;
  readonly privateKeyPem: string;
  readonly integrateEveryMs: number;
  readonly integrateWhenWaiting: number;
}

export type WriterRequest =
  | { readonly type: 'write'; readonly id: number; readonly records: ExchangeRecord[] }
  | { readonly type: 'pause' | 'resume' | 'close' };

export type WriterReply =
  | { readonly type: 'ready'; readonly head: ChainHead; readonly treeSize: number }
  | { readonly type: 'written'; readonly id: number; readonly receipts: { seq: number; hash: string }[] }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
  | { readonly type: 'integrated'; readonly treeSize: number }
  | { readonly type: 'integration-failed'; readonly message: string }
  | { readonly type: 'closed' };

const options = workerData as WriterThreadOptions;
const port = parentPort!;
const db = new DatabaseSync(options.path);
db.exec('PRAGMA journal_mode = WAL');
db.exec('PRAGMA synchronous = FULL');
db.exec('PRAGMA busy_timeout = 5000');
const last = db.prepare('SELECT seq, hash FROM exchange_log ORDER BY seq DESC LIMIT 1').get();
let head: ChainHead = { lastSeq: Number(last?.seq ?? 0), lastHash: last ? String(last.hash) : GENESIS_HASH };
const insert = db.prepare(
  'INSERT INTO exchange_log (seq, exchange_id, at, person, caller, record, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
);
const sequencer = new Sequencer(db, { origin: options.origin, privateKeyPem: options.privateKeyPem });
let paused = false;

const reply = (message: WriterReply) => port.postMessage(message);

function write(id: number, records: ExchangeRecord[]): void {
  try {
    const batch = sequenceRecords(records, head);
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const r of batch.rows)
        insert.run(r.seq, r.exchange_id, r.at, r.person, r.caller, r.record, r.hash);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
    head = batch.head;
    reply({ type: 'written', id, receipts: batch.receipts });
    const first = batch.rows[0];
    if (first)
      sequencer.remember(
        first.seq,
        batch.rows.map((r) => r.record),
      );
  } catch (error) {
    reply({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) });
  }
  if (head.lastSeq - sequencer.size >= options.integrateWhenWaiting) integrate();
}

/** One bounded step; a backlog continues on the next turn, so queued writes are not held up. */
function integrate(): void {
  if (paused || sequencer.size >= head.lastSeq) return;
  try {
    sequencer.integrate();
    reply({ type: 'integrated', treeSize: sequencer.size });
    if (sequencer.size < head.lastSeq) setImmediate(integrate);
  } catch (error) {
    reply({ type: 'integration-failed', message: error instanceof Error ? error.message : String(error) });
  }
}

/** Everything committed, before the thread closes. */
function integrateAll(): void {
  while (!paused && sequencer.size < head.lastSeq) {
    const before = sequencer.size;
    integrate();
    if (sequencer.size === before) return; // it failed; integrate() reported why
  }
}

const timer = setInterval(integrate, options.integrateEveryMs);
reply({ type: 'ready', head, treeSize: sequencer.size });

port.on('message', (message: WriterRequest) => {
  switch (message.type) {
    case 'write':
      return write(message.id, message.records);
    case 'pause':
      paused = true;
      return;
    case 'resume':
      paused = false;
      return integrate();
    case 'close':
      clearInterval(timer);
      integrateAll();
      db.close();
      return reply({ type: 'closed' });
  }
});
