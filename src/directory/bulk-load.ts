// Bulk load and export of the persons directory (`crossroads directory import|export`).
//
// Import streams a file in chunks. Each chunk's good lines and the import's progress row
// (directory_imports: last line and byte offset committed, counts, reject-file size) commit in one
// transaction; the chunk's bad lines are appended to the reject file and flushed to disk before
// that commit. So after a crash at any point the database holds whole chunks only, and the reject
// file holds at least the rejects of those chunks: a rerun of the same command truncates the
// reject file to the size recorded with the last commit and reads on from the recorded byte offset
// — no line loaded twice, none skipped, no reject written twice.
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  fstatSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { resolve } from 'node:path';
import { type Clock, Problem, newId } from '../kernel/index.ts';
import { type NetworkRegistry, actorLabel } from '../network/index.ts';
import type { Database, Store } from '../store/index.ts';
import {
  type BulkFormat,
  type CsvLayout,
  type FileLine,
  type LineReader,
  REJECTS_HEADER,
  csvLayout,
  headerLine,
  lineReader,
  readFirstLine,
  readLines,
  recordLine,
  rejectLine,
} from './bulk-file.ts';
import type { PersonsDirectory } from './directory.ts';
import type { Registration } from './types.ts';
import { BULK_ENGINES, type ChunkWriter, type PreparedChunk, dropPersonIndexes } from './bulk-engines.ts';

/** A mistake in how the command was called (exit 2), not a failure while running it. */
export class BulkUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BulkUsageError';
  }
}

export const HEAD_BYTES = 64 * 1024;
export const DEFAULT_CHUNK_LINES = 10_000;

export interface ImportOptions {
  /** The file; the import is known by its real absolute path, its size and its first 64 KiB. */
  readonly path: string;
  readonly format: BulkFormat;
  /** A known KBO in a sector: the institution of lines that name none. */
  readonly institution?: string;
  /**
   * Where bad lines go (default: FILE.rejects.csv). A resumed import keeps the reject file of its
   * first run; naming another one is a usage error.
   */
  readonly rejectsPath?: string;
  /** Lines per transaction (default 10,000): how much a crash costs, and how long the write lock is held. */
  readonly chunkLines?: number;
  /** Load a file again that was loaded completely before (a new import). */
  readonly again?: boolean;
  /**
   * Drop the person indexes of registrations during the load and build them again at its end: an
   * initial load of millions is several times faster, but look-ups by person (the hub's exchanges,
   * REGISTER) scan the whole table until the import finishes.
   */
  readonly deferIndexes?: boolean;
  /** Who runs it, recorded with the import (e.g. the operating-system user). */
  readonly startedBy: string;
  readonly onStart?: (start: ImportStart) => void;
  readonly onProgress?: (progress: ImportProgress) => void;
  /** Called before the person indexes are built again, after the last chunk of a deferred-index import. */
  readonly onBuildingIndexes?: () => void;
  /** Asked after each committed chunk: true stops the import there (it can be resumed). */
  readonly shouldStop?: () => boolean;
}

export interface ImportStart {
  readonly importId: string;
  /** The last line committed by an earlier run of this import (0 or 1 when it is new). */
  readonly resumedAfterLine: number | null;
  readonly fileSize: number;
  /** Where this run starts reading. */
  readonly bytesDone: number;
  readonly ignoredColumns: readonly string[];
  /** Set when the reject file of an interrupted run could not be continued. */
  readonly warning?: string;
}

export interface ImportProgress {
  readonly bytesDone: number;
  readonly fileSize: number;
  /** Lines read in this run. */
  readonly lines: number;
  readonly loaded: number;
  readonly rejected: number;
}

export interface ImportOutcome {
  /** done: the whole file is in; stopped: shouldStop() stopped it; already-imported: nothing to do. */
  readonly status: 'done' | 'stopped' | 'already-imported';
  readonly importId: string;
  readonly file: string;
  readonly resumedAfterLine: number | null;
  /** This run. */
  readonly lines: number;
  readonly loaded: number;
  readonly rejected: number;
  /** The whole import, earlier runs included. */
  readonly totalLoaded: number;
  readonly totalRejected: number;
  /** Null when the import rejected nothing. */
  readonly rejects: string | null;
  readonly finishedAt: string | null;
  /** A stopped deferred-index import: the person indexes are missing until it finishes. */
  readonly indexesDropped: boolean;
}

type ImportRow = Database['directory_imports'];

/** How an import is found again: the file's absolute path, its size and the SHA-256 of its head. */
export interface FileKey {
  readonly path: string;
  readonly size: number;
  readonly headSha256: string;
}

/** `path` may be relative or a symbolic link: the key holds the file's real absolute path. */
export function fileKey(given: string): FileKey {
  const path = realpathSync(given);
  const stat = statSync(path);
  if (!stat.isFile()) throw new Error(`${path} is not a file`);
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, stat.size));
    let read = 0;
    while (read < head.length) {
      const n = readSync(fd, head, read, head.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return {
      path,
      size: stat.size,
      headSha256: createHash('sha256').update(head.subarray(0, read)).digest('hex'),
    };
  } finally {
    closeSync(fd);
  }
}

export class DirectoryBulkLoad {
  readonly #store: Store;
  readonly #directory: PersonsDirectory;
  readonly #registry: NetworkRegistry;
  readonly #clock: Clock;

  constructor(store: Store, directory: PersonsDirectory, registry: NetworkRegistry, clock: Clock) {
    this.#store = store;
    this.#directory = directory;
    this.#registry = registry;
    this.#clock = clock;
  }

  async import(options: ImportOptions): Promise<ImportOutcome> {
    const db = this.#store.db;
    const chunkLines = options.chunkLines ?? DEFAULT_CHUNK_LINES;
    const key = fileKey(options.path);
    const rejectsPath = resolve(options.rejectsPath ?? `${options.path}.rejects.csv`);
    if (rejectsPath === key.path || realpathOrSelf(rejectsPath) === key.path) {
      throw new BulkUsageError('the reject file cannot be the file imported');
    }
    let layout: CsvLayout | undefined;
    let headerEnd = 0;
    if (options.format === 'csv') {
      const header = await readFirstLine(options.path);
      if (!header) throw new Error(`${options.path} is empty: a CSV file starts with a header line`);
      layout = csvLayout(header.text);
      headerEnd = header.end;
      if (!layout.columns.has('institution') && options.institution === undefined) {
        throw new BulkUsageError(
          'the file has no institution column: give the institution with --institution KBO',
        );
      }
    }
    const reader = lineReader(options.format, layout, options.institution);

    const previous = await db
      .selectFrom('directory_imports')
      .selectAll()
      .where('file_path', '=', key.path)
      .where('file_size', '=', key.size)
      .where('file_head_sha256', '=', key.headSha256)
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (previous?.finished_at && !options.again) {
      return summary(previous, { status: 'already-imported', resumedAfterLine: null });
    }

    let row: ImportRow;
    let rejects: RejectFile;
    let warning: string | undefined;
    let resumedAfterLine: number | null = null;
    if (previous && !previous.finished_at) {
      checkSameImport(previous, options);
      row = previous;
      resumedAfterLine = Number(row.lines_done);
      ({ rejects, warning } = RejectFile.resume(row.rejects_path, Number(row.rejects_bytes)));
    } else {
      rejects = RejectFile.create(rejectsPath);
      const at = this.#clock.now().toISOString();
      row = {
        id: newId(),
        file_path: key.path,
        file_size: key.size,
        file_head_sha256: key.headSha256,
        format: options.format,
        institution: options.institution ?? null,
        rejects_path: rejectsPath,
        lines_done: options.format === 'csv' ? 1 : 0,
        bytes_done: headerEnd,
        loaded: 0,
        rejected: 0,
        rejects_bytes: rejects.size,
        deferred_indexes: options.deferIndexes ? 1 : 0,
        started_at: at,
        started_by: options.startedBy,
        updated_at: at,
        finished_at: null,
      };
      await db.insertInto('directory_imports').values(row).execute();
    }
    if (options.deferIndexes && row.deferred_indexes !== 1) {
      await db
        .updateTable('directory_imports')
        .set({ deferred_indexes: 1 })
        .where('id', '=', row.id)
        .execute();
      row = { ...row, deferred_indexes: 1 };
    }
    // Recorded before they are dropped: whichever run finishes the import builds them again.
    const deferred = row.deferred_indexes === 1;
    if (deferred) await dropPersonIndexes(db);
    options.onStart?.({
      importId: row.id,
      resumedAfterLine,
      fileSize: key.size,
      bytesDone: Number(row.bytes_done),
      ignoredColumns: layout?.ignored ?? [],
      ...(warning ? { warning } : {}),
    });

    // Registrations name their import: created_by is operator:directory-import:<import id>.
    const by = actorLabel({ kind: 'operator', credentialId: `directory-import:${row.id}` });
    const engine = BULK_ENGINES[this.#store.dialect];
    const writer = engine.writer(this.#store, this.#directory);
    const run = { lines: 0, loaded: 0, rejected: 0 };
    let stopped = false;
    // While one chunk commits, the next one is read and checked, so this process and the database
    // work at the same time; the chunks still commit one after the other, in the file's order.
    let committing:
      { readonly chunk: CheckedChunk; readonly next: ImportRow; readonly done: Promise<void> } | undefined;
    const settle = async (): Promise<void> => {
      if (!committing) return;
      const { chunk, next, done } = committing;
      committing = undefined;
      await done;
      row = next;
      run.lines += chunk.lines;
      run.loaded += chunk.loaded;
      run.rejected += chunk.rejected;
      options.onProgress?.({ bytesDone: chunk.end, fileSize: key.size, ...run });
      if (options.shouldStop?.()) stopped = true;
    };
    try {
      for await (const lines of readLines(key.path, {
        start: Number(row.bytes_done),
        firstNumber: Number(row.lines_done) + 1,
        batch: chunkLines,
      })) {
        const chunk = this.#check(lines, reader, writer, by);
        await settle();
        if (stopped) break;
        // The chunk's rejects reach the disk before the chunk commits (see the top of this file).
        if (chunk.rejectText !== '') rejects.append(chunk.rejectText);
        const previous = row;
        const next: ImportRow = {
          ...previous,
          lines_done: chunk.lastLine,
          bytes_done: chunk.end,
          loaded: Number(previous.loaded) + chunk.loaded,
          rejected: Number(previous.rejected) + chunk.rejected,
          rejects_bytes: rejects.size,
          updated_at: chunk.at,
        };
        const done = chunk.prepared.write(async (trx) => {
          const result = await trx
            .updateTable('directory_imports')
            .set({
              lines_done: next.lines_done,
              bytes_done: next.bytes_done,
              loaded: next.loaded,
              rejected: next.rejected,
              rejects_bytes: next.rejects_bytes,
              updated_at: next.updated_at,
            })
            .where('id', '=', previous.id)
            .where('lines_done', '=', previous.lines_done)
            .executeTakeFirst();
          if (result.numUpdatedRows !== 1n) {
            throw new Error(
              `import ${previous.id} was advanced by another process: is the same file being imported twice?`,
            );
          }
        });
        // Awaited by settle(); until then a failure must not count as unhandled.
        done.catch(() => undefined);
        committing = { chunk, next, done };
      }
      await settle();
      if (stopped) {
        return summary(row, { status: 'stopped', resumedAfterLine, ...run, indexesDropped: deferred });
      }
      if (deferred) {
        options.onBuildingIndexes?.();
        await engine.buildPersonIndexes(db);
      }
    } catch (error) {
      // A chunk still in flight ends (commits or not) before the store closes.
      await committing?.done.catch(() => undefined);
      if (!deferred) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${message} (the person indexes stay dropped until this import runs again to its end)`,
        {
          cause: error,
        },
      );
    } finally {
      rejects.close();
    }
    const finishedAt = this.#clock.now().toISOString();
    await db
      .updateTable('directory_imports')
      .set({ finished_at: finishedAt, updated_at: finishedAt })
      .where('id', '=', row.id)
      .execute();
    if (Number(row.rejected) === 0) rmSync(row.rejects_path, { force: true });
    return summary({ ...row, finished_at: finishedAt }, { status: 'done', resumedAfterLine, ...run });
  }

  /** Checks a chunk's lines (no I/O): the registrations to load, ready to write, and the rejects. */
  #check(lines: readonly FileLine[], reader: LineReader, writer: ChunkWriter, by: string): CheckedChunk {
    const at = this.#clock.now().toISOString();
    const registrations: Registration[] = [];
    let rejectText = '';
    let rejected = 0;
    for (const line of lines) {
      try {
        const parsed = reader.read(line.text);
        if (parsed) registrations.push(this.#directory.checkImportLine(parsed, at, by));
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        rejectText += rejectLine(line.number, error.code, error.detail ?? error.message, line.text);
        rejected++;
      }
    }
    const last = lines.at(-1)!;
    return {
      at,
      lastLine: last.number,
      end: last.end,
      lines: lines.length,
      loaded: registrations.length,
      rejected,
      rejectText,
      prepared: writer.prepare(registrations, at, by),
    };
  }

  /** Writes the registrations (all, one institution's, or those active on a day) as `format`. */
  async export(options: ExportOptions): Promise<ExportOutcome> {
    const db = this.#store.db;
    const pageSize = options.pageSize ?? 10_000;
    const institutionId =
      options.institution === undefined
        ? undefined
        : this.#registry.institutionByKbo(options.institution)?.id;
    if (options.institution !== undefined && institutionId === undefined) {
      throw new BulkUsageError(`no institution ${options.institution}`);
    }
    const filtered = db
      .selectFrom('registrations')
      // Annulled registrations (an empty period, end = start) never held: import would refuse them.
      .where((eb) => eb.or([eb('end_date', 'is', null), eb('end_date', '>', eb.ref('start_date'))]))
      .$if(institutionId !== undefined, (q) => q.where('institution_id', '=', institutionId!))
      .$if(options.activeOn !== undefined, (q) =>
        q
          .where('start_date', '<=', options.activeOn!)
          .where((eb) => eb.or([eb('end_date', 'is', null), eb('end_date', '>', options.activeOn!)])),
      );
    const { total } = await filtered
      .select((eb) => eb.fn.countAll<number>().as('total'))
      .executeTakeFirstOrThrow();
    options.onStart?.({ total: Number(total) });

    // Written beside the target and renamed at the end: an interrupted export leaves no partial file.
    const partial = `${options.path}.partial`;
    const fd = openSync(partial, 'w');
    let exported = 0;
    try {
      writeSync(fd, headerLine(options.format));
      let after = '';
      for (;;) {
        const page = await filtered
          .select(['id', 'insz', 'institution_id', 'sector', 'capacity', 'start_date', 'end_date', 'phase'])
          .where('id', '>', after)
          .orderBy('id')
          .limit(pageSize)
          .execute();
        if (page.length === 0) break;
        let text = '';
        for (const r of page) {
          text += recordLine(options.format, {
            insz: r.insz,
            institution: this.#registry.institutionById(r.institution_id)?.kbo ?? r.institution_id,
            sector: r.sector,
            capacity: r.capacity,
            start: r.start_date,
            end: r.end_date,
            phase: r.phase,
          });
        }
        writeSync(fd, text);
        exported += page.length;
        after = page.at(-1)!.id;
        options.onProgress?.({ exported, total: Number(total) });
      }
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      rmSync(partial, { force: true });
      throw error;
    }
    closeSync(fd);
    renameSync(partial, options.path);
    return { file: options.path, format: options.format, exported };
  }
}

export interface ExportOptions {
  readonly path: string;
  readonly format: BulkFormat;
  /** Only this institution's registrations (a KBO). */
  readonly institution?: string;
  /** Only registrations whose period holds this day. */
  readonly activeOn?: string;
  readonly pageSize?: number;
  readonly onStart?: (start: { total: number }) => void;
  readonly onProgress?: (progress: { exported: number; total: number }) => void;
}

export interface ExportOutcome {
  readonly file: string;
  readonly format: BulkFormat;
  readonly exported: number;
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function summary(
  row: ImportRow,
  run: Pick<ImportOutcome, 'status' | 'resumedAfterLine'> &
    Partial<Pick<ImportOutcome, 'lines' | 'loaded' | 'rejected' | 'indexesDropped'>>,
): ImportOutcome {
  return {
    status: run.status,
    importId: row.id,
    file: row.file_path,
    resumedAfterLine: run.resumedAfterLine,
    lines: run.lines ?? 0,
    loaded: run.loaded ?? 0,
    rejected: run.rejected ?? 0,
    totalLoaded: Number(row.loaded),
    totalRejected: Number(row.rejected),
    rejects: Number(row.rejected) > 0 ? row.rejects_path : null,
    finishedAt: row.finished_at,
    indexesDropped: run.indexesDropped ?? false,
  };
}

/** A resumed import reads the file as its first run did. */
function checkSameImport(previous: ImportRow, options: ImportOptions): void {
  const started = `this file's import ${previous.id} was started`;
  if ((previous.institution ?? undefined) !== options.institution) {
    const how = previous.institution ? `with --institution ${previous.institution}` : 'without --institution';
    throw new BulkUsageError(`${started} ${how}: resume it the same way`);
  }
  if (previous.format !== options.format) {
    throw new BulkUsageError(`${started} as ${previous.format}: resume it the same way`);
  }
  if (options.rejectsPath !== undefined && previous.rejects_path !== resolve(options.rejectsPath)) {
    throw new BulkUsageError(
      `${started} with the reject file ${previous.rejects_path}: resume it with that one`,
    );
  }
}

/** A chunk of the file, checked: what to load and what to reject. */
interface CheckedChunk {
  /** When its registrations are recorded as created. */
  readonly at: string;
  readonly lastLine: number;
  /** The byte offset after its last line. */
  readonly end: number;
  readonly lines: number;
  readonly loaded: number;
  readonly rejected: number;
  readonly rejectText: string;
  readonly prepared: PreparedChunk;
}

/** The reject file, written at known offsets and flushed before each commit. */
class RejectFile {
  readonly #fd: number;
  #size: number;

  private constructor(fd: number, size: number) {
    this.#fd = fd;
    this.#size = size;
  }

  /** A new reject file (an existing one is replaced), with its header line. */
  static create(path: string): RejectFile {
    const file = new RejectFile(openSync(path, 'w'), 0);
    file.append(REJECTS_HEADER);
    return file;
  }

  /**
   * The reject file of an interrupted import, cut back to its size at the last commit: rejects
   * written for a chunk that did not commit go, as that chunk is read again.
   */
  static resume(path: string, committedSize: number): { rejects: RejectFile; warning?: string } {
    const size = existsSync(path) ? statSync(path).size : -1;
    if (size < committedSize) {
      // Moved, deleted or cut by someone: the rejects of the committed part are gone from it.
      const rejects = RejectFile.create(path);
      return {
        rejects,
        warning: `the reject file ${path} is ${size < 0 ? 'missing' : 'shorter than when the import stopped'}: the rejects of the lines loaded before are not in it`,
      };
    }
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, committedSize);
    fsyncSync(fd);
    return { rejects: new RejectFile(fd, fstatSync(fd).size) };
  }

  get size(): number {
    return this.#size;
  }

  append(text: string): void {
    const bytes = Buffer.from(text);
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(this.#fd, bytes, written, bytes.length - written, this.#size + written);
    }
    this.#size += bytes.length;
    fsyncSync(this.#fd);
  }

  close(): void {
    closeSync(this.#fd);
  }
}
