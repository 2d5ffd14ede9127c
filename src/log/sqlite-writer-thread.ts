// The body of the log's worker thread: its own SQLite connection, its own fsync. It commits the
// batches of records the hub sends (answering "written" only after COMMIT), and runs the
// sequencer: at least once a second, and at once when 1,000 records wait, it integrates committed
// records into the Merkle tree and signs a checkpoint. The hub's event loop never waits for a disk.
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { GENESIS_HASH, type ExchangeRecord } from './record.ts';
import { type ChainHead, sequenceRecords } from './sequence.ts';
import { Sequencer } from './sequencer.ts';
import type { Database } from '../store/index.ts';
import type { Statement, UnitResult, WriteUnit } from './writer.ts';

export interface WriterThreadOptions {
  readonly path: string;
  readonly origin: string;
  readonly privateKeyPem: string;
  readonly integrateEveryMs: number;
  readonly integrateWhenWaiting: number;
}

export type WriterRequest =
  | {
      readonly type: 'write';
      readonly id: number;
      readonly records: ExchangeRecord[];
      readonly units: WriteUnit[];
    }
  | { readonly type: 'pause' | 'resume' | 'close' };

export type WriterReply =
  | { readonly type: 'ready'; readonly head: ChainHead; readonly treeSize: number }
  | {
      readonly type: 'written';
      readonly id: number;
      readonly receipts: { seq: number; hash: string }[];
      readonly units: UnitResult[];
    }
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

const statements = new Map<string, StatementSync>();
function prepared(sql: string): StatementSync {
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}

const params = (s: Statement) => s.parameters as SQLInputValue[];

type WriteMessage = Extract<WriterRequest, { type: 'write' }>;

/**
 * Commits every write message that arrived since the last commit in one transaction (one fsync),
 * then answers each. A unit that fails is undone alone (savepoint); anything else fails them all.
 */
function write(messages: readonly WriteMessage[]): void {
  let chain = head;
  const inserted: Database['exchange_log'][] = [];
  const append = (batchRecords: readonly ExchangeRecord[]) => {
    const batch = sequenceRecords(batchRecords, chain);
    for (const r of batch.rows) insert.run(r.seq, r.exchange_id, r.at, r.person, r.caller, r.record, r.hash);
    inserted.push(...batch.rows);
    chain = batch.head;
    return batch.receipts;
  };
  const runUnit = (unit: WriteUnit): UnitResult => {
    if (unit.unlessExists) {
      const row = prepared(unit.unlessExists.sql).get(...params(unit.unlessExists));
      if (row) return { skipped: { ...row } };
    }
    const before = chain;
    db.exec('SAVEPOINT unit');
    try {
      const results = unit.statements.map((s) => {
        const r = prepared(s.sql).run(...params(s));
        return { lastInsertRowid: Number(r.lastInsertRowid), changes: Number(r.changes) };
      });
      const receipts = append(unit.records);
      db.exec('RELEASE unit');
      return { results, receipts };
    } catch (error) {
      db.exec('ROLLBACK TO unit');
      db.exec('RELEASE unit');
      const undone = inserted.findIndex((r) => r.seq > before.lastSeq);
      if (undone >= 0) inserted.length = undone;
      chain = before;
      return { failed: error instanceof Error ? error.message : String(error) };
    }
  };
  let answers: Extract<WriterReply, { type: 'written' }>[];
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      answers = messages.map((m) => ({
        type: 'written',
        id: m.id,
        receipts: append(m.records),
        units: m.units.map(runUnit),
      }));
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    for (const m of messages) reply({ type: 'failed', id: m.id, message });
    return;
  }
  head = chain;
  for (const answer of answers) reply(answer);
  const first = inserted[0];
  if (first)
    sequencer.remember(
      first.seq,
      inserted.map((r) => r.record),
    );
  if (head.lastSeq - sequencer.size >= options.integrateWhenWaiting) integrate();
}

/** Write messages waiting for the next commit. */
let queued: WriteMessage[] = [];
function flush(): void {
  const messages = queued;
  queued = [];
  if (messages.length > 0) write(messages);
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
      // Messages that arrive while a commit runs join the next one (group commit across batches).
      queued.push(message);
      if (queued.length === 1) setImmediate(flush);
      return;
    case 'pause':
      paused = true;
      return;
    case 'resume':
      paused = false;
      return integrate();
    case 'close':
      clearInterval(timer);
      flush();
      integrateAll();
      db.close();
      return reply({ type: 'closed' });
  }
});
