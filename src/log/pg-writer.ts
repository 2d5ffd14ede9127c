// The log writer on PostgreSQL, where several hub nodes append to one log. Each commit takes a
// transaction-scoped advisory lock, reads the chain head, and appends: commits from all nodes are
// serialised, so sequence numbers are dense, links unbroken, and records become visible in order.
// Every write message queued while a commit runs joins the next one (group commit).
//
// One node at a time runs the sequencer: the holder of a session advisory lock on its own
// connection. When that node dies its connection closes, PostgreSQL frees the lock, and another
// node takes it within one interval, rebuilding the tree's state from the stored nodes. A stale
// leader cannot fork the tree: checkpoint sizes and node addresses are primary keys.
import { createPrivateKey } from 'node:crypto';
import pg from 'pg';
import { namedStatement, pgConnection } from '../store/index.ts';
import {
  type CompactRange,
  EMPTY_COMPACT_RANGE,
  compactRangeFromStore,
  createNoteSigner,
} from './merkle/index.ts';
import type { NoteSigner } from './merkle/index.ts';
import { GENESIS_HASH, type ExchangeRecord } from './record.ts';
import { type ChainHead, sequenceRecords } from './sequence.ts';
import { SEQUENCER_MAX_BATCH, growTree } from './sequencer.ts';
import type { IntegrationEvents, LogWriter, Statement, UnitResult, WriteUnit, Written } from './writer.ts';

/** Advisory lock keys (one 64-bit space per database): "CRLOG" and "CRSEQ" in ASCII. */
export const LOG_APPEND_LOCK = 0x43524c4f47;
export const SEQUENCER_LOCK = 0x4352534551;

export interface PgWriterOptions {
  readonly url: string;
  readonly origin: string;
  readonly privateKeyPem: string;
  readonly integrateEveryMs: number;
  readonly integrateWhenWaiting: number;
}

interface Queued {
  readonly records: readonly ExchangeRecord[];
  readonly units: readonly WriteUnit[];
  readonly resolve: (written: Written) => void;
  readonly reject: (error: Error) => void;
}

const INSERT_RECORDS = `INSERT INTO exchange_log (seq, exchange_id, at, person, caller, record, hash)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`;
const HEAD = 'SELECT seq, hash FROM exchange_log ORDER BY seq DESC LIMIT 1';
const BEGIN_LOCKED_HEAD = `BEGIN; SELECT pg_advisory_xact_lock(${LOG_APPEND_LOCK}); ${HEAD}`;
const TREE_SIZE = 'SELECT COALESCE(MAX(size), 0) AS size FROM checkpoints';

export class PgLogWriter implements LogWriter {
  readonly #options: PgWriterOptions;
  /** The connection commits run on; replaced when it breaks (undefined until the next commit). */
  #writer: pg.Client | undefined;
  readonly #sequencer: PgSequencer;
  readonly #statements = new Map<string, { readonly name: string; readonly text: string }>();
  #events: IntegrationEvents | undefined;
  #head: ChainHead;
  #queue: Queued[] = [];
  #committing: Promise<void> | undefined;
  #closed: Promise<void> | undefined;

  private constructor(options: PgWriterOptions, writer: pg.Client, sequencer: PgSequencer, head: ChainHead) {
    this.#options = options;
    this.#writer = writer;
    this.#sequencer = sequencer;
    this.#head = head;
    this.#watch(writer);
  }

  #watch(client: pg.Client): void {
    // A broken connection is dropped; the next commit opens a new one.
    client.on('error', () => {
      if (this.#writer === client) this.#writer = undefined;
      void client.end().catch(() => undefined);
    });
  }

  static async open(options: PgWriterOptions): Promise<PgLogWriter> {
    const writer = await connect(options.url, 'crossroads-log-writer');
    try {
      const head = toHead((await writer.query<{ seq: number; hash: string }>(HEAD)).rows[0]);
      const sequencer = await PgSequencer.open(options);
      const log = new PgLogWriter(options, writer, sequencer, head);
      sequencer.onProgress({
        integrated: (size) => log.#events?.integrated(size),
        integrationFailed: (message) => log.#events?.integrationFailed(message),
      });
      return log;
    } catch (error) {
      await writer.end().catch(() => undefined);
      throw error;
    }
  }

  onIntegration(events: IntegrationEvents): void {
    this.#events = events;
  }

  get head(): ChainHead {
    return this.#head;
  }

  get treeSize(): number {
    return this.#sequencer.size;
  }

  /** Never: a broken connection is replaced at the next commit (that commit's callers get an error). */
  get broken(): boolean {
    return false;
  }

  get leader(): boolean {
    return this.#sequencer.leader;
  }

  write(records: readonly ExchangeRecord[], units: readonly WriteUnit[] = []): Promise<Written> {
    if (this.#closed) return Promise.reject(new Error('the exchange log is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ records, units, resolve, reject });
      this.#committing ??= this.#drain();
    });
  }

  pause(): void {
    this.#sequencer.pause();
  }

  resume(): void {
    this.#sequencer.resume();
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#committing;
      await this.#sequencer.close();
      await this.#writer?.end().catch(() => undefined);
    })();
    return this.#closed;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      await this.#commit(batch);
    }
    this.#committing = undefined;
  }

  async #commit(batch: readonly Queued[]): Promise<void> {
    let chain: ChainHead | undefined;
    let answers: Written[];
    let client: pg.Client | undefined;
    try {
      if (!this.#writer) {
        this.#writer = await connect(this.#options.url, 'crossroads-log-writer');
        this.#watch(this.#writer);
      }
      const open = (client = this.#writer);
      // One round trip: the lock, then (a statement of its own, so a snapshot taken after the
      // lock: under READ COMMITTED it sees the previous holder's commit) the chain head.
      try {
        const opened = (await open.query(BEGIN_LOCKED_HEAD)) as unknown as pg.QueryResult[];
        chain = toHead(opened[2]?.rows[0] as { seq: number; hash: string } | undefined);
        const append = async (records: readonly ExchangeRecord[]) => {
          const sequenced = sequenceRecords(records, chain!);
          if (sequenced.rows.length > 0) {
            const r = sequenced.rows;
            await open.query({
              name: 'cr_log_append',
              text: INSERT_RECORDS,
              values: [
                r.map((x) => x.seq),
                r.map((x) => x.exchange_id),
                r.map((x) => x.at),
                r.map((x) => x.person),
                r.map((x) => x.caller),
                r.map((x) => x.record),
                r.map((x) => x.hash),
              ],
            });
          }
          chain = sequenced.head;
          return sequenced.receipts;
        };
        answers = [];
        for (const message of batch) {
          const receipts = await append(message.records);
          const units: UnitResult[] = [];
          for (const unit of message.units)
            units.push(
              await this.#unit(
                open,
                unit,
                append,
                () => chain!,
                (c) => (chain = c),
              ),
            );
          answers.push({ receipts, units });
        }
        await open.query('COMMIT');
      } catch (error) {
        await open.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } catch (error) {
      const failure = new Error(
        `exchange log write failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      for (const message of batch) message.reject(failure);
      if (client && isConnectionError(error)) {
        if (this.#writer === client) this.#writer = undefined;
        void client.end().catch(() => undefined);
      }
      return;
    }
    this.#head = chain;
    batch.forEach((message, i) => message.resolve(answers[i]!));
    if (this.#head.lastSeq - this.#sequencer.size >= this.#options.integrateWhenWaiting)
      this.#sequencer.wake();
  }

  async #unit(
    client: pg.Client,
    unit: WriteUnit,
    append: (records: readonly ExchangeRecord[]) => Promise<{ seq: number; hash: string }[]>,
    chain: () => ChainHead,
    setChain: (head: ChainHead) => void,
  ): Promise<UnitResult> {
    if (unit.unlessExists) {
      const found = await this.#run(client, unit.unlessExists);
      const row = found.rows[0] as Record<string, unknown> | undefined;
      if (row) return { skipped: { ...row } };
    }
    const before = chain();
    await client.query('SAVEPOINT unit');
    try {
      const results = [];
      for (const statement of unit.statements) {
        const r = await this.#run(client, statement);
        // An INSERT … RETURNING answers the key the database gave (PostgreSQL has no rowid).
        const first = r.rows[0] as Record<string, unknown> | undefined;
        results.push({
          lastInsertRowid: Number(first ? Object.values(first)[0] : 0),
          changes: r.rowCount ?? 0,
        });
      }
      const receipts = await append(unit.records);
      await client.query('RELEASE SAVEPOINT unit');
      return { results, receipts };
    } catch (error) {
      if (isConnectionError(error)) throw error;
      await client.query('ROLLBACK TO SAVEPOINT unit');
      await client.query('RELEASE SAVEPOINT unit');
      setChain(before);
      return { failed: error instanceof Error ? error.message : String(error) };
    }
  }

  #run(client: pg.Client, statement: Statement): Promise<pg.QueryResult> {
    return client.query({
      ...namedStatement(this.#statements, statement.sql),
      values: [...statement.parameters],
    });
  }
}

/**
 * Runs the sequencer while this node holds the sequencer lock; otherwise follows the leader's
 * checkpoints, and tries to take the lock every interval.
 */
class PgSequencer {
  readonly #options: PgWriterOptions;
  readonly #signer: NoteSigner;
  #client: pg.Client | undefined;
  #range: CompactRange | undefined;
  #size = 0;
  #paused = false;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closing = false;
  #events: IntegrationEvents | undefined;

  private constructor(options: PgWriterOptions, size: number) {
    this.#options = options;
    this.#signer = createNoteSigner(options.origin, createPrivateKey(options.privateKeyPem));
    this.#size = size;
  }

  static async open(options: PgWriterOptions): Promise<PgSequencer> {
    const probe = await connect(options.url, 'crossroads-log-probe');
    let size: number;
    try {
      size = Number((await probe.query<{ size: number }>(TREE_SIZE)).rows[0]?.size ?? 0);
    } finally {
      await probe.end();
    }
    const sequencer = new PgSequencer(options, size);
    sequencer.#timer = setInterval(() => sequencer.wake(), options.integrateEveryMs);
    // Started once it knows whether it leads (what /ready and /admin/log/status then say).
    sequencer.wake();
    await sequencer.#running;
    return sequencer;
  }

  onProgress(events: IntegrationEvents): void {
    this.#events = events;
  }

  get size(): number {
    return this.#size;
  }

  get leader(): boolean {
    return this.#range !== undefined;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.wake();
  }

  /** Runs one round now (or right after the one running). */
  wake(): void {
    if (this.#closing) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#round().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#closing) {
        this.#again = false;
        this.wake();
      }
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#timer);
    await this.#running;
    // What was committed when it began to close, before it lets go (the next leader would do it
    // otherwise); not what other nodes keep committing meanwhile, or it might never stop.
    if (this.leader && !this.#paused) {
      try {
        const { rows } = await this.#client!.query<{ n: number }>(
          'SELECT COALESCE(MAX(seq), 0) AS n FROM exchange_log',
        );
        const target = Number(rows[0]?.n ?? 0);
        while (this.#range!.size < target && (await this.#integrate()) > 0);
      } catch (error) {
        this.#events?.integrationFailed(error instanceof Error ? error.message : String(error));
      }
    }
    const client = this.#client;
    this.#client = undefined;
    this.#range = undefined;
    // Ending the session frees the lock for another node at once.
    await client?.end().catch(() => undefined);
  }

  async #round(): Promise<void> {
    try {
      // A paused node does not take the lead (it would hold the lock without integrating).
      if (!this.leader && !this.#paused) await this.#tryLead();
      if (!this.leader) return await this.#follow();
      if (this.#paused) return;
      // Paused or closing stops it between batches (a pause must hold from the moment it is answered).
      while (!this.#closing && !this.#paused && (await this.#integrate()) > 0);
    } catch (error) {
      if (this.#client && isConnectionError(error)) this.#resign();
      this.#events?.integrationFailed(error instanceof Error ? error.message : String(error));
    }
  }

  async #tryLead(): Promise<void> {
    if (this.#closing) return;
    if (!this.#client) {
      this.#client = await connect(this.#options.url, 'crossroads-log-sequencer');
      this.#client.on('error', () => this.#resign());
    }
    const client = this.#client;
    const { rows } = await client.query<{ leader: boolean }>('SELECT pg_try_advisory_lock($1) AS leader', [
      SEQUENCER_LOCK,
    ]);
    if (rows[0]?.leader !== true) return;
    // Leader now: the tree as the last leader left it.
    try {
      const size = Number((await client.query<{ size: number }>(TREE_SIZE)).rows[0]?.size ?? 0);
      this.#range = size === 0 ? EMPTY_COMPACT_RANGE : await this.#storedRange(client, size);
      this.#size = size;
    } catch (error) {
      this.#resign(); // let another node try
      throw error;
    }
  }

  async #storedRange(client: pg.Client, size: number): Promise<CompactRange> {
    const wanted: [number, number][] = [];
    compactRangeFromStore(size, (level, index) => {
      wanted.push([level, index]);
      return new Uint8Array(32);
    });
    const { rows } = await client.query<{ level: number; idx: number; hash: string }>(
      'SELECT n.level, n.idx, n.hash FROM merkle_nodes n JOIN unnest($1::int[], $2::bigint[]) AS a(level, idx) ON n.level = a.level AND n.idx = a.idx',
      [wanted.map((w) => w[0]), wanted.map((w) => w[1])],
    );
    const found = new Map(rows.map((r) => [`${r.level}/${r.idx}`, String(r.hash)]));
    return compactRangeFromStore(size, (level, index) => {
      const hash = found.get(`${level}/${index}`);
      if (hash === undefined) throw new Error(`merkle node ${level}/${index} is missing from the store`);
      return new Uint8Array(Buffer.from(hash, 'base64'));
    });
  }

  /** Integrates up to a batch of committed records; answers how many. */
  async #integrate(): Promise<number> {
    const client = this.#client!;
    const range = this.#range!;
    const { rows } = await client.query<{ seq: number; record: string }>({
      name: 'cr_seq_records',
      text: 'SELECT seq, record FROM exchange_log WHERE seq > $1 ORDER BY seq LIMIT $2',
      values: [range.size, SEQUENCER_MAX_BATCH],
    });
    if (rows.length === 0) return 0;
    const texts = rows.map((row, i) => {
      const expected = range.size + i + 1;
      if (Number(row.seq) !== expected) throw new Error(`exchange log record ${expected} is missing`);
      return String(row.record);
    });
    const { result, rootHash, note } = growTree(range, texts, this.#options.origin, this.#signer);
    await client.query('BEGIN');
    try {
      if (result.nodes.length > 0)
        await client.query(
          'INSERT INTO merkle_nodes (level, idx, hash) SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[])',
          [
            result.nodes.map((n) => n.level),
            result.nodes.map((n) => n.index),
            result.nodes.map((n) => Buffer.from(n.hash).toString('base64')),
          ],
        );
      await client.query(
        'INSERT INTO checkpoints (size, root_hash, note, created_at) VALUES ($1, $2, $3, $4)',
        [result.range.size, rootHash, note, new Date().toISOString()],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    this.#range = result.range;
    this.#size = result.range.size;
    this.#events?.integrated(this.#size);
    return texts.length;
  }

  /** Not the leader: learn the tree size the leader reached. */
  async #follow(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    const size = Number((await client.query<{ size: number }>(TREE_SIZE)).rows[0]?.size ?? 0);
    if (size !== this.#size) {
      this.#size = size;
      this.#events?.integrated(size);
    }
  }

  #resign(): void {
    const client = this.#client;
    this.#client = undefined;
    this.#range = undefined;
    void client?.end().catch(() => undefined);
  }
}

async function connect(url: string, name: string): Promise<pg.Client> {
  const client = new pg.Client(pgConnection(url, name));
  await client.connect();
  return client;
}

function toHead(row: { seq?: unknown; hash?: unknown } | undefined): ChainHead {
  return row
    ? { lastSeq: Number(row.seq), lastHash: String(row.hash) }
    : { lastSeq: 0, lastHash: GENESIS_HASH };
}

/** A failure of the connection itself (not of one statement): the writer cannot go on with it. */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^(08|57P)/.test(code)) return true;
  return (
    error instanceof Error &&
    /Connection terminated|Client has encountered a connection error|not queryable/i.test(error.message)
  );
}
