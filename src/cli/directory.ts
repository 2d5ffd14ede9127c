// `crossroads directory import FILE`: loads registrations from a CSV or NDJSON file into the persons
//    directory of the hub's database, in chunks; bad lines go to a reject file; an interrupted
//    import continues where it stopped when the same command runs again.
// `crossroads directory export FILE`: writes registrations in the format import reads.
// Prints a JSON summary on stdout; exit 0 when done (rejects included), 1 on a failure, 2 on a
// usage error, 130 when stopped by Ctrl-C (after the chunk in progress: run it again to continue).
import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SqliteAdapter, sql } from 'kysely';
import { readConfig, storeOptions } from '../config.ts';
import {
  BULK_FORMATS,
  type BulkFormat,
  BulkUsageError,
  DEFAULT_CHUNK_LINES,
  DirectoryBulkLoad,
  type IdentitySource,
  PersonsDirectory,
  formatFromName,
} from '../directory/index.ts';
import { Problem, isIsoDate, parseKbo, systemClock } from '../kernel/index.ts';
import { NetworkRegistry } from '../network/index.ts';
import { type Store, openStore, redactUrl } from '../store/index.ts';

const USAGE = `usage: crossroads directory import FILE [--institution KBO] [--format csv|ndjson] [--rejects PATH]
                                      [--chunk LINES] [--again] [--defer-indexes]
       crossroads directory export FILE [--institution KBO] [--format csv|ndjson] [--active-on YYYY-MM-DD]

A line: insz, institution (KBO; or --institution for a file without that column), sector, capacity,
start, end (empty: open), phase (optional: 0 definitive, 902 provisional). CSV with a header line
(comma or semicolon), or NDJSON (.ndjson/.jsonl). Bad lines go to FILE.rejects.csv.
--defer-indexes (an initial load, before the hub serves): builds the person indexes once, at the end.`;

const OPTIONS = {
  institution: { type: 'string' },
  format: { type: 'string' },
  rejects: { type: 'string' },
  chunk: { type: 'string' },
  again: { type: 'boolean', default: false },
  'defer-indexes': { type: 'boolean', default: false },
  'active-on': { type: 'string' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>
>['values'];

export async function runDirectoryCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: OPTIONS }));
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  if ((sub !== 'import' && sub !== 'export') || positionals.length !== 1) return usage();
  try {
    return sub === 'import'
      ? await importFile(positionals[0]!, values)
      : await exportFile(positionals[0]!, values);
  } catch (error) {
    if (error instanceof BulkUsageError) return usage(error.message);
    console.error(`crossroads directory ${sub}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function usage(problem?: string): number {
  console.error(problem ? `${problem}\n\n${USAGE}` : USAGE);
  return 2;
}

async function importFile(file: string, values: Values): Promise<number> {
  if (values['active-on'] !== undefined) throw new BulkUsageError('--active-on is an option of export');
  const format = formatOption(values.format, file);
  const chunkLines = chunkOption(values.chunk);
  if (!existsSync(file)) {
    console.error(`crossroads directory import: cannot read ${file}: no such file`);
    return 1;
  }
  const path = resolve(file);
  return withDirectory(async (bulk, registry) => {
    const institution = institutionOption(values.institution, registry);
    let stopRequested = false;
    const onInterrupt = () => {
      stopRequested = true;
      console.error(
        '\nstopping after the chunk in progress (run the same command to continue; Ctrl-C again aborts)',
      );
      process.removeListener('SIGINT', onInterrupt);
      process.removeListener('SIGTERM', onInterrupt);
    };
    process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', onInterrupt);
    const started = performance.now();
    let progress: ProgressLine | undefined;
    try {
      const outcome = await bulk.import({
        path,
        format,
        ...(institution ? { institution } : {}),
        ...(values.rejects !== undefined ? { rejectsPath: values.rejects } : {}),
        chunkLines,
        again: values.again,
        deferIndexes: values['defer-indexes'],
        startedBy: operatingSystemUser(),
        onStart: (start) => {
          if (start.resumedAfterLine !== null) {
            console.error(
              `resuming import ${start.importId} of ${path} after line ${start.resumedAfterLine}`,
            );
          }
          if (start.warning) console.error(`warning: ${start.warning}`);
          if (start.ignoredColumns.length > 0) {
            console.error(`note: ignoring the column(s) ${start.ignoredColumns.join(', ')}`);
          }
          progress = new ProgressLine('import', 'lines', start.fileSize, start.bytesDone);
        },
        onProgress: (p) => progress?.update(p.bytesDone, p.lines),
        onBuildingIndexes: () => {
          progress?.end();
          console.error('building the person indexes of the directory…');
        },
        shouldStop: () => stopRequested,
      });
      progress?.end();
      const seconds = (performance.now() - started) / 1000;
      if (outcome.status === 'already-imported') {
        console.error(
          `${path} was imported completely on ${outcome.finishedAt} (import ${outcome.importId}: ` +
            `${outcome.totalLoaded} loaded, ${outcome.totalRejected} rejected); nothing loaded. --again loads it again.`,
        );
      } else if (outcome.status === 'stopped') {
        console.error(
          'stopped: run the same command again to continue the import' +
            (outcome.indexesDropped
              ? ' (until it finishes, the person indexes are missing: look-ups by person are slow)'
              : ''),
        );
      }
      console.log(
        JSON.stringify({
          status: outcome.status,
          file: outcome.file,
          import: outcome.importId,
          resumedAfterLine: outcome.resumedAfterLine,
          loaded: outcome.loaded,
          rejected: outcome.rejected,
          totalLoaded: outcome.totalLoaded,
          totalRejected: outcome.totalRejected,
          rejects: outcome.rejects,
          seconds: round(seconds),
          linesPerSecond: Math.round(outcome.lines / Math.max(seconds, 0.001)),
        }),
      );
      return outcome.status === 'stopped' ? 130 : 0;
    } finally {
      progress?.end();
      process.removeListener('SIGINT', onInterrupt);
      process.removeListener('SIGTERM', onInterrupt);
    }
  });
}

async function exportFile(file: string, values: Values): Promise<number> {
  for (const option of ['rejects', 'chunk', 'again', 'defer-indexes'] as const) {
    if (values[option] !== undefined && values[option] !== false) {
      throw new BulkUsageError(`--${option} is an option of import`);
    }
  }
  const format = formatOption(values.format, file);
  const activeOn = values['active-on'];
  if (activeOn !== undefined && !isIsoDate(activeOn)) {
    throw new BulkUsageError(`--active-on ${activeOn} is not a date (YYYY-MM-DD)`);
  }
  const path = resolve(file);
  return withDirectory(async (bulk, registry) => {
    const institution = institutionOption(values.institution, registry);
    const started = performance.now();
    let progress: ProgressLine | undefined;
    const outcome = await bulk.export({
      path,
      format,
      ...(institution ? { institution } : {}),
      ...(activeOn ? { activeOn } : {}),
      onStart: ({ total }) => (progress = new ProgressLine('export', 'registrations', total)),
      onProgress: (p) => progress?.update(p.exported, p.exported),
    });
    progress?.end();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      JSON.stringify({
        status: 'done',
        file: outcome.file,
        format: outcome.format,
        exported: outcome.exported,
        seconds: round(seconds),
        linesPerSecond: Math.round(outcome.exported / Math.max(seconds, 0.001)),
      }),
    );
    return 0;
  });
}

/**
 * Opens the hub's database as the hub does (PostgreSQL when CROSSROADS_DATABASE_URL is set, else
 * the SQLite file of the data directory) and its directory, runs `work`, closes it.
 */
async function withDirectory(
  work: (bulk: DirectoryBulkLoad, registry: NetworkRegistry) => Promise<number>,
): Promise<number> {
  const config = readConfig(process.env);
  const options = storeOptions(config);
  // A missing SQLite file would be created empty (a mistyped data directory, not a directory to load).
  if (options.url === undefined && !existsSync(options.path)) {
    throw new BulkUsageError(
      `no database at ${options.path}: set CROSSROADS_DATA_DIR (or CROSSROADS_DB, or CROSSROADS_DATABASE_URL) as for the hub`,
    );
  }
  const where = options.url === undefined ? options.path : redactUrl(options.url);
  let store: Store;
  try {
    // A small pool: the import commits one chunk at a time, the export reads one page at a time.
    store = await openStore(options.url === undefined ? options : { url: options.url, poolSize: 2 });
  } catch (error) {
    console.error(`cannot open the database ${where}: ${error instanceof Error ? error.message : ''}`);
    return 1;
  }
  try {
    await enlargeCache(store);
    const registry = await NetworkRegistry.load(store.db, systemClock);
    const directory = new PersonsDirectory(store, registry, NO_IDENTITY_SOURCE, systemClock);
    return await work(new DirectoryBulkLoad(store, directory, registry, systemClock), registry);
  } finally {
    await store.close();
  }
}

/**
 * SQLite keeps 2 MiB of pages by default: a load of millions of lines re-reads index pages all the
 * time. This connection only (the hub's are not changed).
 */
async function enlargeCache(store: Store): Promise<void> {
  if (store.db.getExecutor().adapter instanceof SqliteAdapter) {
    await sql`PRAGMA cache_size = ${sql.raw(String(-CACHE_KIB))}`.execute(store.db);
  }
}

const CACHE_KIB = 256 * 1024;

/** A bulk load checks no proof of identity (the directory being loaded answers for it). */
const NO_IDENTITY_SOURCE: IdentitySource = {
  lookup: () => Promise.reject(new Problem('IDENTITY_SOURCE_UNAVAILABLE', 'not in a bulk load')),
};

function formatOption(value: string | undefined, file: string): BulkFormat {
  if (value === undefined) return formatFromName(file);
  if (!(BULK_FORMATS as readonly string[]).includes(value)) {
    throw new BulkUsageError(`--format is ${BULK_FORMATS.join(' or ')}, not ${value}`);
  }
  return value as BulkFormat;
}

function chunkOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_CHUNK_LINES;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1_000_000) {
    throw new BulkUsageError(`--chunk is a number of lines from 1 to 1000000, not ${value}`);
  }
  return n;
}

function institutionOption(value: string | undefined, registry: NetworkRegistry): string | undefined {
  if (value === undefined) return undefined;
  const kbo = parseKbo(value);
  if (!kbo.ok) throw new BulkUsageError(`--institution ${value}: ${kbo.reason}`);
  const institution = registry.institutionByKbo(kbo.kbo);
  if (!institution) throw new BulkUsageError(`--institution ${value}: no such institution in this hub`);
  if (institution.sector === null) {
    throw new BulkUsageError(
      `--institution ${value}: ${institution.nameNl} is in no sector and holds no registrations`,
    );
  }
  return kbo.kbo;
}

function operatingSystemUser(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no user name in this environment
  }
  return `cli:${user}@${hostname()}`;
}

function round(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}

/**
 * Progress on stderr: a bar redrawn in place on a terminal (at most 5 times a second); otherwise a
 * plain line every 10 seconds, for logs.
 */
class ProgressLine {
  readonly #label: string;
  readonly #unit: string;
  readonly #total: number;
  readonly #tty = process.stderr.isTTY === true;
  readonly #started = performance.now();
  readonly #startDone: number;
  #shownAt = 0;
  #drawn = false;

  /** `startDone`: what earlier runs did (a resumed import), which is not this run's speed. */
  constructor(label: string, unit: string, total: number, startDone = 0) {
    this.#label = label;
    this.#unit = unit;
    this.#total = total;
    this.#startDone = startDone;
  }

  /** `done` of the total (bytes, rows) and the `count` of lines handled in this run. */
  update(done: number, count: number): void {
    const now = performance.now();
    if (now - this.#shownAt < (this.#tty ? 200 : 10_000)) return;
    this.#shownAt = now;
    const seconds = (now - this.#started) / 1000;
    const share = this.#total > 0 ? Math.min(1, done / this.#total) : 1;
    const perSecond = count / Math.max(seconds, 0.001);
    const doneThisRun = done - this.#startDone;
    const eta = doneThisRun > 0 ? ((this.#total - done) * seconds) / doneThisRun : undefined;
    const text =
      `${(share * 100).toFixed(1).padStart(5)}%  ${count.toLocaleString('en')} ${this.#unit}  ` +
      `${Math.round(perSecond).toLocaleString('en')} ${this.#unit}/s  ETA ${eta === undefined ? '?' : duration(eta)}`;
    if (this.#tty) {
      const width = 24;
      const filled = Math.round(share * width);
      const line = `${this.#label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${text}`;
      process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 100) - 1)}\u001b[K`);
      this.#drawn = true;
    } else {
      process.stderr.write(`${this.#label}: ${text}\n`);
    }
  }

  end(): void {
    if (this.#drawn) process.stderr.write('\n');
    this.#drawn = false;
  }
}

function duration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
