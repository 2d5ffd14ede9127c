// Where every delivery stands, in the store: the channels' reads, the pull feed and its
// acknowledgements, the dead-letter list and replay. Every delivery row was committed with its
// exchange-log record (outbox.ts), so any row may leave the hub. Outcomes and acknowledgements go
// through the log's writer (one writer thread, group commit) rather than a second connection that
// would wait for its lock.
import { type Kysely, type Selectable, sql } from 'kysely';
import { Problem } from '../kernel/index.ts';
import { type ExchangeLog, LOG_APPEND_LOCK, type Statement } from '../log/index.ts';
import type { Database, Store } from '../store/index.ts';
import type { ChangeEvent } from './rules.ts';
import type { DeliveryMode } from './subscriptions.ts';

export type DeliveryRow = Selectable<Database['deliveries']>;

/** A delivery as a channel carries it. */
export interface OutgoingDelivery {
  readonly seq: number;
  readonly id: string;
  readonly recipientId: string;
  readonly insz: string;
  /** The CloudEvent, serialised once at fan-out. */
  readonly event: string;
  readonly attempts: number;
}

export interface Settled {
  readonly seq: number;
  readonly delivered: boolean;
  readonly attempts: number;
  readonly error: string | null;
  /** Failed too often: parks in the dead-letter state. */
  readonly dead: boolean;
}

export interface FeedPage {
  readonly events: (ChangeEvent & { readonly cursor: string })[];
  /** Pass as `after` for the next page; ack it once the page is processed. Null: nothing returned. */
  readonly cursor: string | null;
}

export interface DeadDelivery {
  readonly id: string;
  readonly recipient: string;
  readonly change: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: string;
}

/**
 * Which hub node works on a push delivery: the one whose claim has not expired. A node claims the
 * deliveries it accepts, renews its claims while it runs, lets them go when it stops, and takes
 * over those whose claim expired (a node that died) — FOR UPDATE SKIP LOCKED on PostgreSQL, so two
 * nodes never take the same rows.
 */
export interface ClaimOptions {
  /** This node's name (unique per running process). */
  readonly node: string;
  /** How long a claim lasts without renewal. */
  readonly ms: number;
}

export class DeliveryLedger {
  readonly #db: Kysely<Database>;
  readonly #dialect: Store['dialect'];
  readonly claim: ClaimOptions;
  #settleQueue: { settled: Settled; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #settleScheduled = false;
  readonly #now: () => string;
  readonly #writer: Pick<ExchangeLog, 'commit'>;

  constructor(store: Store, writer: Pick<ExchangeLog, 'commit'>, now: () => string, claim: ClaimOptions) {
    this.#db = store.db;
    this.#dialect = store.dialect;
    this.claim = claim;
    this.#writer = writer;
    this.#now = now;
  }

  /** Runs statements in the writer's next group commit; answers the rows each changed. */
  async #write(statements: readonly Statement[]): Promise<number[]> {
    if (statements.length === 0) return [];
    const result = await this.#writer.commit({ statements, records: [] });
    if (!('results' in result))
      throw new Error(`delivery update failed: ${'failed' in result ? result.failed : ''}`);
    return result.results.map((r) => r.changes);
  }

  /** Pending push deliveries this node holds, in order, after `afterSeq`. */
  async pendingPush(afterSeq: number, limit: number, recipientId?: string): Promise<OutgoingDelivery[]> {
    let query = this.#db
      .selectFrom('deliveries')
      .select(['seq', 'id', 'recipient_id', 'insz', 'event', 'attempts'])
      .where('status', '=', 'pending')
      .where('mode', '=', 'push')
      .where('claimed_by', '=', this.claim.node)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit);
    if (recipientId !== undefined) query = query.where('recipient_id', '=', recipientId);
    return (await query.execute()).map(outgoing);
  }

  /** A claim by this node from now, for rows it writes. */
  freshClaim(): { claimed_by: string; claim_expires: string } {
    return {
      claimed_by: this.claim.node,
      claim_expires: new Date(Date.parse(this.#now()) + this.claim.ms).toISOString(),
    };
  }

  /**
   * Takes pending push deliveries nobody holds (never claimed, claim expired, or — `all` — held by
   * any other node: on SQLite only one process runs). Answers them in order.
   */
  async claimUnheld(limit: number, all = false): Promise<OutgoingDelivery[]> {
    let candidates = this.#db
      .selectFrom('deliveries')
      .select('seq')
      .where('status', '=', 'pending')
      .where('mode', '=', 'push')
      .where((eb) =>
        all
          ? eb.or([eb('claimed_by', 'is', null), eb('claimed_by', '!=', this.claim.node)])
          : eb.or([eb('claim_expires', 'is', null), eb('claim_expires', '<', this.#now())]),
      )
      .orderBy('seq')
      .limit(limit);
    if (this.#dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
    const rows = await this.#db
      .updateTable('deliveries')
      .set(this.freshClaim())
      .where('seq', 'in', candidates)
      .returning(['seq', 'id', 'recipient_id', 'insz', 'event', 'attempts'])
      .execute();
    return rows.sort((a, b) => a.seq - b.seq).map(outgoing);
  }

  /**
   * A change's pending push deliveries that this node holds or nobody does, claimed by this node:
   * for a change published again after its first answer was lost (the commit may have happened
   * without this node handing its deliveries over).
   */
  async retakeChange(changeId: string): Promise<OutgoingDelivery[]> {
    const rows = await this.#db
      .updateTable('deliveries')
      .set(this.freshClaim())
      .where('change_id', '=', changeId)
      .where('status', '=', 'pending')
      .where('mode', '=', 'push')
      .where((eb) =>
        eb.or([
          eb('claimed_by', '=', this.claim.node),
          eb('claim_expires', 'is', null),
          eb('claim_expires', '<', this.#now()),
        ]),
      )
      .returning(['seq', 'id', 'recipient_id', 'insz', 'event', 'attempts'])
      .execute();
    return rows.sort((a, b) => a.seq - b.seq).map(outgoing);
  }

  /** Keeps this node's claims on the deliveries it still works on. */
  async renewClaims(): Promise<void> {
    await this.#inLogOrder((db) =>
      db
        .updateTable('deliveries')
        .set({ claim_expires: this.freshClaim().claim_expires })
        .where('claimed_by', '=', this.claim.node)
        .where('status', '=', 'pending')
        .execute(),
    );
  }

  /** Lets another node take what this one still holds (it is stopping). */
  async releaseClaims(): Promise<void> {
    await this.#inLogOrder((db) =>
      db
        .updateTable('deliveries')
        .set({ claimed_by: null, claim_expires: null })
        .where('claimed_by', '=', this.claim.node)
        .where('status', '=', 'pending')
        .execute(),
    );
  }

  /**
   * Row updates of many deliveries at once, taken in the same lock order as the log writer (its
   * append lock, then rows): the writer settles deliveries under that lock, and two transactions
   * locking the same rows in other orders would deadlock.
   */
  async #inLogOrder(work: (db: Kysely<Database>) => Promise<unknown>): Promise<void> {
    if (this.#dialect !== 'postgres') {
      await work(this.#db);
      return;
    }
    await this.#db.transaction().execute(async (trx) => {
      await this.#takeLogAppendLock(trx);
      await work(trx);
    });
  }

  /**
   * Records how deliveries went. Calls made in the same event-loop turn share one transaction;
   * the promise resolves once it is committed.
   */
  settle(settled: Settled): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#settleQueue.push({ settled, resolve, reject });
      if (!this.#settleScheduled) {
        this.#settleScheduled = true;
        setImmediate(() => void this.#flushSettled());
      }
    });
  }

  async #flushSettled(): Promise<void> {
    this.#settleScheduled = false;
    const batch = this.#settleQueue;
    this.#settleQueue = [];
    const now = this.#now();
    try {
      // Deliveries that succeeded share one statement per attempt count (most at once).
      const delivered = new Map<number, number[]>();
      const statements: Statement[] = [];
      for (const { settled } of batch) {
        if (settled.delivered) {
          delivered.set(settled.attempts, [...(delivered.get(settled.attempts) ?? []), settled.seq]);
          continue;
        }
        statements.push(
          this.#db
            .updateTable('deliveries')
            .set({
              status: settled.dead ? 'dead' : 'pending',
              attempts: atLeast(settled.attempts),
              last_error: settled.error,
            })
            .where('seq', '=', settled.seq)
            // A delivery settled already (e.g. acked) stays as it is.
            .where('status', '=', 'pending')
            .compile(),
        );
      }
      for (const [attempts, seqs] of delivered) {
        for (let i = 0; i < seqs.length; i += 500) {
          statements.push(
            this.#db
              .updateTable('deliveries')
              .set({ status: 'delivered', attempts: atLeast(attempts), last_error: null, delivered_at: now })
              .where('seq', 'in', seqs.slice(i, i + 500))
              .where('status', '=', 'pending')
              .compile(),
          );
        }
      }
      await this.#write(statements);
      for (const entry of batch) entry.resolve();
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }

  /** The caller's pending pull deliveries in order, after the cursor. */
  async feed(recipientId: string, after: string | undefined, limit: number): Promise<FeedPage> {
    const rows = await this.#db
      .selectFrom('deliveries')
      .select(['seq', 'event'])
      .where('recipient_id', '=', recipientId)
      .where('status', '=', 'pending')
      .where('mode', '=', 'pull')
      .where('seq', '>', parseCursor(after))
      .orderBy('seq')
      .limit(limit)
      .execute();
    const events = rows.map((r) => ({ ...(JSON.parse(r.event) as ChangeEvent), cursor: String(r.seq) }));
    return { events, cursor: events.at(-1)?.cursor ?? null };
  }

  /** Marks the caller's pull deliveries up to and including the cursor as delivered. */
  async ack(recipientId: string, cursor: string): Promise<number> {
    const upTo = parseCursor(cursor);
    const own = await this.#db
      .selectFrom('deliveries')
      .select('seq')
      .where('seq', '=', upTo)
      .where('recipient_id', '=', recipientId)
      .where('mode', '=', 'pull')
      .executeTakeFirst();
    if (!own) throw new Problem('CURSOR_INVALID', `cursor ${cursor} is not one of your feed's`);
    const [acknowledged = 0] = await this.#write([
      this.#db
        .updateTable('deliveries')
        .set({ status: 'delivered', delivered_at: this.#now() })
        .where('recipient_id', '=', recipientId)
        .where('status', '=', 'pending')
        .where('mode', '=', 'pull')
        .where('seq', '<=', upTo)
        .compile(),
    ]);
    return acknowledged;
  }

  /**
   * Moves the institution's waiting deliveries to its channel again, through the writer: so also
   * those of changes accepted under the old setting whose commit was still queued behind it.
   */
  async moveWaiting(recipientId: string, mode: DeliveryMode): Promise<void> {
    await this.#write([
      this.#db
        .updateTable('deliveries')
        .set({ ...movedTo(mode), ...this.freshClaim() })
        .where('recipient_id', '=', recipientId)
        .where('status', 'in', ['pending', 'dead'])
        .where('mode', '!=', mode)
        .compile(),
      ...(this.#dialect === 'postgres' ? [FEED_SEQUENCE_PAST_MOVES.compile(this.#db)] : []),
    ]);
  }

  /**
   * Feed positions moved to the end must stay in commit order with new deliveries: on PostgreSQL
   * the move waits for the log's append lock (every delivery insert holds it), and the identity
   * sequence then continues after the moved rows. SQLite has one writer and numbers after max.
   */
  async #takeLogAppendLock(trx: Kysely<Database>): Promise<void> {
    if (this.#dialect === 'postgres')
      await sql`SELECT pg_advisory_xact_lock(${LOG_APPEND_LOCK})`.execute(trx);
  }

  async #afterFeedMove(trx: Kysely<Database>): Promise<void> {
    if (this.#dialect === 'postgres') await FEED_SEQUENCE_PAST_MOVES.execute(trx);
  }

  /** Moves the institution's waiting deliveries to its new channel. */
  async switchMode(trx: Kysely<Database>, recipientId: string, mode: DeliveryMode): Promise<void> {
    await this.#takeLogAppendLock(trx);
    await trx
      .updateTable('deliveries')
      .set({ ...movedTo(mode), ...this.freshClaim() })
      .where('recipient_id', '=', recipientId)
      .where('status', 'in', ['pending', 'dead'])
      .where('mode', '!=', mode)
      .execute();
    await this.#afterFeedMove(trx);
  }

  async dead(limit: number, recipientId?: string): Promise<DeadDelivery[]> {
    let query = this.#db
      .selectFrom('deliveries as d')
      .select(['d.id', 'd.recipient_id', 'd.change_id', 'd.attempts', 'd.last_error', 'd.created_at'])
      .where('d.status', '=', 'dead')
      .orderBy('d.seq')
      .limit(limit);
    if (recipientId) query = query.where('d.recipient_id', '=', recipientId);
    const rows = await query.execute();
    return rows.map((r) => ({
      id: r.id,
      recipient: r.recipient_id,
      change: r.change_id,
      attempts: r.attempts,
      lastError: r.last_error,
      createdAt: r.created_at,
    }));
  }

  /**
   * Puts dead deliveries back in line with a fresh attempt count: the given ones, or every dead
   * delivery of a recipient. Answers the replayed push deliveries, for the push channel.
   */
  async replay(
    select: { ids: readonly string[] } | { recipientId: string },
  ): Promise<{ replayed: number; push: OutgoingDelivery[] }> {
    if ('ids' in select && select.ids.length === 0) return { replayed: 0, push: [] };
    return this.#db.transaction().execute(async (trx) => {
      let query = trx.selectFrom('deliveries').select('id').where('status', '=', 'dead');
      query =
        'ids' in select
          ? query.where('id', 'in', select.ids)
          : query.where('recipient_id', '=', select.recipientId);
      const found = (await query.execute()).map((r) => r.id);
      if ('ids' in select) {
        const missing = select.ids.filter((id) => !found.includes(id));
        if (missing.length > 0)
          throw new Problem('UNKNOWN_DELIVERY', `no dead delivery ${missing.join(', ')}`);
      }
      if (found.length === 0) return { replayed: 0, push: [] };
      await this.#takeLogAppendLock(trx);
      await trx
        .updateTable('deliveries')
        .set({ status: 'pending', attempts: 0, last_error: null, ...this.freshClaim() })
        .where('id', 'in', found)
        .execute();
      await trx
        .updateTable('deliveries')
        .set({ seq: atFeedEnd() })
        .where('id', 'in', found)
        .where('mode', '=', 'pull')
        .execute();
      await this.#afterFeedMove(trx);
      const rows = await trx
        .selectFrom('deliveries')
        .select(['seq', 'id', 'recipient_id', 'insz', 'event', 'attempts'])
        .where('id', 'in', found)
        .where('mode', '=', 'push')
        .orderBy('seq')
        .execute();
      return { replayed: found.length, push: rows.map(outgoing) };
    });
  }

  /** Deliveries waiting, by channel and status (for operators). */
  async backlog(): Promise<{ pending: { push: number; pull: number }; dead: number }> {
    const rows = await this.#db
      .selectFrom('deliveries')
      .select(['status', 'mode', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', 'in', ['pending', 'dead'])
      .groupBy(['status', 'mode'])
      .execute();
    const n = (status: string, mode?: string): number =>
      rows
        .filter((r) => r.status === status && (mode === undefined || r.mode === mode))
        .reduce((sum, r) => sum + Number(r.n), 0);
    return {
      pending: { push: n('pending', 'push'), pull: n('pending', 'pull') },
      dead: n('dead'),
    };
  }
}

function outgoing(
  r: Pick<DeliveryRow, 'id' | 'recipient_id' | 'insz' | 'event' | 'attempts'> & { seq: number },
): OutgoingDelivery {
  return {
    seq: r.seq,
    id: r.id,
    recipientId: r.recipient_id,
    insz: r.insz,
    event: r.event,
    attempts: r.attempts,
  };
}

/**
 * A delivery entering the pull feed late (a switch from push, a replay) goes to the feed's end: a
 * new position after every existing one, relative order kept, so no cursor the recipient has
 * already acknowledged covers it. (SQLite numbers later rows after the new maximum; on PostgreSQL
 * the identity's sequence is moved past it, see #afterFeedMove.)
 */
function atFeedEnd() {
  return sql<number>`seq + (select max(seq) from deliveries)`;
}

const FEED_SEQUENCE_PAST_MOVES = sql`SELECT setval(pg_get_serial_sequence('deliveries', 'seq'), (SELECT MAX(seq) FROM deliveries))`;

function movedTo(mode: DeliveryMode) {
  return mode === 'pull' ? { mode, seq: atFeedEnd() } : { mode };
}

/**
 * Never lowers a recorded attempt count: a delivery handed over again (JetStream redelivery after a
 * node stopped) counts its attempts from what it carried, which can be fewer than were made.
 */
function atLeast(attempts: number) {
  return sql<number>`case when attempts > ${attempts} then attempts else ${attempts} end`;
}

function parseCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  if (!/^\d{1,15}$/.test(cursor))
    throw new Problem('CURSOR_INVALID', `cursor ${cursor.slice(0, 40)} is not one the hub gave`);
  return Number(cursor);
}
