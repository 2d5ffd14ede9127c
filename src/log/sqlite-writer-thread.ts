// The body of the SQLite log writer's worker thread: its own connection, its own fsync. The hub's
// event loop never waits for the disk; it only waits for this thread's "committed".
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { GENESIS_HASH, type ExchangeRecord } from './record.ts';
import { type ChainHead, sequenceRecords } from './sequence.ts';

export type WriterRequest =
  | { readonly type: 'write'; readonly id: number; readonly records: ExchangeRecord[] }
  | { readonly type: 'close' };
export type WriterReply =
  | { readonly type: 'ready'; readonly head: ChainHead }
  | { readonly type: 'written'; readonly id: number; readonly receipts: { seq: number; hash: string }[] }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
  | { readonly type: 'closed' };

const port = parentPort!;
const db = new DatabaseSync((workerData as { path: string }).path);
db.exec('PRAGMA journal_mode = WAL');
db.exec('PRAGMA synchronous = FULL');
db.exec('PRAGMA busy_timeout = 5000');
const last = db.prepare('SELECT seq, hash FROM exchange_log ORDER BY seq DESC LIMIT 1').get() as
  { seq: number; hash: string } | undefined;
let head: ChainHead = { lastSeq: last ? Number(last.seq) : 0, lastHash: last?.hash ?? GENESIS_HASH };
const insert = db.prepare(
  'INSERT INTO exchange_log (seq, exchange_id, at, person, caller, record, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
);

const reply = (message: WriterReply) => port.postMessage(message);
reply({ type: 'ready', head });

port.on('message', (message: WriterRequest) => {
  if (message.type === 'close') {
    db.close();
    reply({ type: 'closed' });
    return;
  }
  try {
    const batch = sequenceRecords(message.records, head);
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
    reply({ type: 'written', id: message.id, receipts: batch.receipts });
  } catch (error) {
    reply({
      type: 'failed',
      id: message.id,
      message: error instanceof Error ? error.message : String(error),
    });
  }
});
