// Keeps every hub node's in-memory copies (registry, authorisations, subscriptions) in step with
// the database on PostgreSQL: a trigger announces each committed change of a cached table on
// CACHE_CHANNEL (migration 0005), and each node reloads what that table feeds — within
// milliseconds of the commit, on every node, whoever wrote it. When the listening connection
// breaks, the node reconnects and reloads everything (it may have missed announcements).
import pg from 'pg';
import { CACHE_CHANNEL, type CACHED_TABLES } from './migrations.ts';
import { pgConnection } from './reader.ts';
import type { Store } from './database.ts';

export type CachedTable = (typeof CACHED_TABLES)[number];

export interface CacheListener {
  close(): Promise<void>;
}

/** `reloads`: what to reload when each table changes. On SQLite (one process) nothing to do. */
export async function listenForCacheChanges(
  store: Pick<Store, 'url'>,
  reloads: Partial<Record<CachedTable, () => Promise<void>>>,
  onError: (error: unknown) => void,
): Promise<CacheListener> {
  if (store.url === undefined) return { close: () => Promise.resolve() };
  const listener = new Listener(store.url, reloads, onError);
  await listener.connect();
  return listener;
}

class Listener implements CacheListener {
  readonly #url: string;
  readonly #reloads: Partial<Record<CachedTable, () => Promise<void>>>;
  readonly #onError: (error: unknown) => void;
  /** Per reload: running now, and whether another announcement came meanwhile. */
  readonly #running = new Map<() => Promise<void>, { again: boolean; done: Promise<void> }>();
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    url: string,
    reloads: Partial<Record<CachedTable, () => Promise<void>>>,
    onError: (error: unknown) => void,
  ) {
    this.#url = url;
    this.#reloads = reloads;
    this.#onError = onError;
  }

  async connect(): Promise<void> {
    const client = new pg.Client(pgConnection(this.#url, 'crossroads-cache'));
    client.on('notification', (message) => {
      const reload = this.#reloads[message.payload as CachedTable];
      if (reload) this.#reload(reload);
    });
    client.on('error', (error) => {
      this.#onError(error);
      this.#lost(client);
    });
    client.on('end', () => this.#lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CACHE_CHANNEL}`);
    } catch (error) {
      void client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      void client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    // A connection dropped silently (a NAT or load balancer forgetting it) raises no event: a
    // heartbeat that gets no answer within 5 s counts as a lost connection.
    this.#heartbeat ??= setInterval(() => {
      const current = this.#client;
      if (!current) return;
      const timeout = setTimeout(() => this.#lost(current), 5_000);
      current.query('SELECT 1').then(
        () => clearTimeout(timeout),
        () => {
          clearTimeout(timeout);
          this.#lost(current);
        },
      );
    }, 10_000);
    this.#heartbeat.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    clearInterval(this.#heartbeat);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
  }

  /** Runs one reload at a time per cache; announcements that come meanwhile cause one more. */
  #reload(reload: () => Promise<void>): void {
    const running = this.#running.get(reload);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false, done: Promise.resolve() };
    this.#running.set(reload, state);
    state.done = (async () => {
      do {
        state.again = false;
        await reload().catch((error: unknown) => this.#onError(error));
      } while (state.again && !this.#closed);
      this.#running.delete(reload);
    })();
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client || this.#closed) return;
    this.#client = undefined;
    void client.end().catch(() => undefined);
    const reconnect = () => {
      this.#retry = undefined;
      if (this.#closed) return;
      this.connect().then(
        () => {
          for (const reload of new Set(Object.values(this.#reloads))) this.#reload(reload);
        },
        (error: unknown) => {
          this.#onError(error);
          this.#retry = setTimeout(reconnect, 1_000);
        },
      );
    };
    this.#retry = setTimeout(reconnect, 100);
  }
}
