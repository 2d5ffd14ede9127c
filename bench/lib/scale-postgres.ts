// The PostgreSQL side of bench:scale: a database of its own (C collation, as the README asks),
// its size, and the CPU its server processes use, read from /proc (the server runs on this machine).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';

/** The server to use: --pg-url, else CROSSROADS_TEST_PG_URL, else the local default. */
export function adminUrl(given: string | undefined): string {
  return given ?? process.env.CROSSROADS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function databaseUrl(admin: string, name: string): string {
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.href;
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database named crossroads_scale_<random>; answers its name. */
export async function createDatabase(admin: string): Promise<string> {
  const name = `crossroads_scale_${randomBytes(4).toString('hex')}`;
  await withClient(admin, (c) =>
    c.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`),
  );
  return name;
}

export async function dropDatabase(admin: string, name: string): Promise<void> {
  await withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

export async function databaseExists(admin: string, name: string): Promise<boolean> {
  return withClient(admin, async (c) => {
    const { rows } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rows.length === 1;
  });
}

export interface DatabaseSizes {
  readonly databaseBytes: number;
  readonly registrationsTableBytes: number;
  readonly registrationsIndexBytes: Record<string, number>;
  readonly registrations: number;
}

export async function databaseSizes(url: string): Promise<DatabaseSizes> {
  return withClient(url, async (c) => {
    const database = await c.query<{ bytes: string }>('SELECT pg_database_size(current_database()) AS bytes');
    const table = await c.query<{ bytes: string }>("SELECT pg_table_size('registrations') AS bytes");
    const indexes = await c.query<{ name: string; bytes: string }>(
      `SELECT indexrelid::regclass::text AS name, pg_relation_size(indexrelid) AS bytes
         FROM pg_index WHERE indrelid = 'registrations'::regclass ORDER BY 1`,
    );
    const count = await c.query<{ n: string }>('SELECT count(*) AS n FROM registrations');
    return {
      databaseBytes: Number(database.rows[0]!.bytes),
      registrationsTableBytes: Number(table.rows[0]!.bytes),
      registrationsIndexBytes: Object.fromEntries(indexes.rows.map((r) => [r.name, Number(r.bytes)])),
      registrations: Number(count.rows[0]!.n),
    };
  });
}

/** The server settings that bound a bulk load, for the record. */
export async function serverSettings(admin: string): Promise<Record<string, string>> {
  return withClient(admin, async (c) => {
    const { rows } = await c.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1) ORDER BY name`,
      [
        [
          'server_version',
          'shared_buffers',
          'max_wal_size',
          'checkpoint_timeout',
          'maintenance_work_mem',
          'max_parallel_maintenance_workers',
          'synchronous_commit',
          'wal_level',
        ],
      ],
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.unit ? `${r.setting} (${r.unit})` : r.setting]));
  });
}

/**
 * CPU used by the server for one database over a window: its client backends (and the parallel
 * workers they start), plus the server's shared background processes (WAL writer, checkpointer,
 * background writer, autovacuum), read from /proc. Call sample() now and then during the window:
 * a process that starts and ends between two samples is missed.
 */
export class ServerCpu {
  readonly #admin: string;
  readonly #database: string;
  readonly #first = new Map<number, number>();
  readonly #last = new Map<number, number>();
  #started = false;

  constructor(admin: string, database: string) {
    this.#admin = admin;
    this.#database = database;
  }

  async sample(): Promise<void> {
    const pids = await withClient(this.#admin, async (c) => {
      const { rows } = await c.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE pid <> pg_backend_pid()
            AND (datname = $1 OR backend_type IN ('walwriter', 'checkpointer', 'background writer',
                                                  'autovacuum launcher', 'autovacuum worker'))`,
        [this.#database],
      );
      return rows.map((r) => r.pid);
    });
    for (const pid of pids) {
      const seconds = processCpuSeconds(pid);
      if (seconds === undefined) continue;
      // A process first seen after the window began started within it.
      if (!this.#first.has(pid)) this.#first.set(pid, this.#started ? 0 : seconds);
      this.#last.set(pid, seconds);
    }
    this.#started = true;
  }

  /** CPU seconds used between the first sample and the last. */
  seconds(): number {
    let total = 0;
    for (const [pid, last] of this.#last) total += last - (this.#first.get(pid) ?? last);
    return Math.round(total * 100) / 100;
  }
}

/** user + system CPU seconds of a process so far (Linux /proc), or undefined. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine (Linux /proc/stat), for its busy share over a window. */
export function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

export function busyShare(
  before: { busy: number; total: number } | undefined,
  after: { busy: number; total: number } | undefined,
): number | null {
  if (!before || !after || after.total === before.total) return null;
  return Math.round(((after.busy - before.busy) / (after.total - before.total)) * 100) / 100;
}
