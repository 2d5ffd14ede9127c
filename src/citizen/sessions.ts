// Citizens' sessions. The cookie holds 32 random bytes; the store keeps only their SHA-256, so a
// copy of the database logs nobody in. Times are the hub's clock.
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../kernel/index.ts';
import type { Database } from '../store/index.ts';

export const SESSION_COOKIE = 'crossroads_session';
export const SESSION_HOURS = 8;

export interface CitizenSession {
  /** SHA-256 (hex) of the cookie value: the row's key, and what form tokens are bound to. */
  readonly idHash: string;
  readonly insz: string;
  readonly name: string;
  readonly expiresAt: string;
}

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export class SessionStore {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  /** Opens a session and returns the cookie value (shown to nobody else, stored nowhere). */
  async create(insz: string, name: string): Promise<{ id: string; session: CitizenSession }> {
    const id = randomBytes(32).toString('base64url');
    const now = this.#clock.now();
    const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3_600_000).toISOString();
    const session = { idHash: hashSessionId(id), insz, name, expiresAt };
    // Expired rows are removed as new ones arrive, so the table never outgrows the active sessions.
    await this.#db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).execute();
    await this.#db
      .insertInto('sessions')
      .values({ id_hash: session.idHash, insz, name, created_at: now.toISOString(), expires_at: expiresAt })
      .execute();
    return { id, session };
  }

  async find(id: string | undefined): Promise<CitizenSession | undefined> {
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const row = await this.#db
      .selectFrom('sessions')
      .select(['id_hash', 'insz', 'name', 'expires_at'])
      .where('id_hash', '=', hashSessionId(id))
      .executeTakeFirst();
    if (!row || row.expires_at <= this.#clock.now().toISOString()) return undefined;
    return { idHash: row.id_hash, insz: row.insz, name: row.name, expiresAt: row.expires_at };
  }

  async delete(idHash: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }
}
