// Bulk files of the persons directory: one registration per line, the I605-style line
// (INSZ, institution, sector, capacity, start, end, phase), as CSV with a header line (comma,
// semicolon or tab, detected from the header) or as NDJSON (one JSON object per line).
// Files are read line by line from a byte offset, never whole: `crossroads directory import`
// resumes an interrupted load at the offset after its last committed line.
import { open } from 'node:fs/promises';
import { type IsoDate, Problem, parseKbo } from '../kernel/index.ts';
import type { ImportLine } from './directory.ts';

export type BulkFormat = 'csv' | 'ndjson';

export const BULK_FORMATS: readonly BulkFormat[] = ['csv', 'ndjson'];

/** The columns of a bulk line, in the order export writes them. */
export const BULK_COLUMNS = ['insz', 'institution', 'sector', 'capacity', 'start', 'end', 'phase'] as const;
export type BulkColumn = (typeof BULK_COLUMNS)[number];

/** Columns a CSV header must have (`institution` may come from --institution instead). */
const REQUIRED_COLUMNS: readonly BulkColumn[] = ['insz', 'sector', 'capacity', 'start', 'end'];

/** Other names a header may use for a column (compared without case, spaces, `_` or `-`). */
const COLUMN_ALIASES: Readonly<Record<string, BulkColumn>> = {
  insz: 'insz',
  niss: 'insz',
  ssin: 'insz',
  inss: 'insz',
  institution: 'institution',
  kbo: 'institution',
  bce: 'institution',
  sector: 'sector',
  capacity: 'capacity',
  start: 'start',
  startdate: 'start',
  end: 'end',
  enddate: 'end',
  phase: 'phase',
};

/** `.ndjson` and `.jsonl` files are NDJSON; anything else is read as CSV. */
export function formatFromName(path: string): BulkFormat {
  return /\.(ndjson|jsonl)$/i.test(path) ? 'ndjson' : 'csv';
}

// ---- reading lines ----

export interface FileLine {
  /** 1-based physical line number in the file (a CSV header is line 1). */
  readonly number: number;
  /** The line without its line break (LF or CRLF) and, on line 1, without a UTF-8 byte-order mark. */
  readonly text: string;
  /** The byte offset just after the line's line break: where the next line starts. */
  readonly end: number;
}

const READ_SIZE = 1 << 20;
/** A longer "line" is not a line of a bulk file (a binary file, or one without line breaks). */
export const MAX_LINE_BYTES = 16 << 20;
const LF = 0x0a;
const CR = 0x0d;
const BOM = '\uFEFF';

export interface ReadLinesOptions {
  /** Byte offset to start at; must be the start of a line. */
  readonly start: number;
  /** The number of the line that starts at `start`. */
  readonly firstNumber: number;
  /** Lines per yielded batch. */
  readonly batch: number;
}

/** Reads the file's lines from `start`, in batches of `batch` lines (the last may be shorter). */
export async function* readLines(path: string, options: ReadLinesOptions): AsyncGenerator<FileLine[]> {
  const file = await open(path, 'r');
  try {
    let position = options.start;
    let number = options.firstNumber;
    let pending: Buffer = Buffer.alloc(0);
    /** File offset of pending[0]. */
    let pendingAt = position;
    let lines: FileLine[] = [];
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, READ_SIZE, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data =
        pending.length === 0
          ? buffer.subarray(0, bytesRead)
          : Buffer.concat([pending, buffer.subarray(0, bytesRead)]);
      let from = 0;
      for (let lf = data.indexOf(LF, from); lf !== -1; lf = data.indexOf(LF, from)) {
        lines.push({ number, text: decodeLine(data, from, lf, number), end: pendingAt + lf + 1 });
        number++;
        from = lf + 1;
        if (lines.length >= options.batch) {
          yield lines;
          lines = [];
        }
      }
      // Copy the unfinished tail: `buffer` is reused by the next read.
      pending = Buffer.from(data.subarray(from));
      pendingAt += from;
      if (pending.length > MAX_LINE_BYTES) {
        throw new Error(
          `line ${number} is longer than ${MAX_LINE_BYTES >> 20} MiB: is this a CSV or NDJSON file?`,
        );
      }
    }
    if (pending.length > 0) {
      lines.push({
        number,
        text: decodeLine(pending, 0, pending.length, number),
        end: pendingAt + pending.length,
      });
    }
    if (lines.length > 0) yield lines;
  } finally {
    await file.close();
  }
}

function decodeLine(data: Buffer, from: number, to: number, number: number): string {
  const end = to > from && data[to - 1] === CR ? to - 1 : to;
  const text = data.toString('utf8', from, end);
  return number === 1 && text.startsWith(BOM) ? text.slice(1) : text;
}

/** The file's first line (a CSV header), or undefined when the file is empty. */
export async function readFirstLine(path: string): Promise<FileLine | undefined> {
  for await (const lines of readLines(path, { start: 0, firstNumber: 1, batch: 1 })) return lines[0];
  return undefined;
}

// ---- CSV ----

export interface CsvLayout {
  readonly delimiter: string;
  /** Where each known column is on a line. */
  readonly columns: ReadonlyMap<BulkColumn, number>;
  /** Fields per line. */
  readonly width: number;
  /** Header names that are no bulk column (their values are ignored). */
  readonly ignored: readonly string[];
}

/** The delimiter the header uses most: comma, semicolon or tab. */
export function detectDelimiter(header: string): string {
  let best = ',';
  let most = -1;
  for (const candidate of [',', ';', '\t']) {
    const count = splitCsv(header, candidate)?.length ?? 0;
    if (count > most) {
      best = candidate;
      most = count;
    }
  }
  return best;
}

/** Reads a CSV header line; throws an Error naming what is wrong with it. */
export function csvLayout(header: string): CsvLayout {
  const delimiter = detectDelimiter(header);
  const names = splitCsv(header, delimiter);
  if (!names) throw new Error('the header line has an unterminated quote');
  const columns = new Map<BulkColumn, number>();
  const ignored: string[] = [];
  names.forEach((name, index) => {
    const column =
      COLUMN_ALIASES[
        name
          .trim()
          .toLowerCase()
          .replace(/[\s_-]/g, '')
      ];
    if (column === undefined) ignored.push(name);
    else if (columns.has(column)) throw new Error(`the header names the column ${column} twice`);
    else columns.set(column, index);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    throw new Error(
      `the header line has no column ${missing.join(', ')} (it needs ${BULK_COLUMNS.join(delimiter)}; institution and phase are optional)`,
    );
  }
  return { delimiter, columns, width: names.length, ignored };
}

/**
 * Splits one CSV line (RFC 4180 quoting, "" for a quote inside a quoted field). Undefined when a
 * quote is not closed: a field cannot span lines in a bulk file.
 */
export function splitCsv(line: string, delimiter: string): string[] | undefined {
  if (!line.includes('"')) return line.split(delimiter);
  const fields: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let atFieldStart = true;
  while (i < line.length) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
      atFieldStart = true;
      i++;
      continue;
    } else {
      field += c;
      atFieldStart = false;
    }
    i++;
  }
  if (quoted) return undefined;
  fields.push(field);
  return fields;
}

/** A field for a CSV line: quoted when it holds a comma, a quote, a line break or edge spaces. */
export function csvField(value: string): string {
  return /[",;\t\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

// ---- one line → ImportLine ----

/** One line's values before checking, as CSV (strings) or NDJSON (any JSON) gives them. */
type RawLine = Partial<Record<BulkColumn, unknown>>;

export interface LineReader {
  /** The registration a line asks for, or a Problem naming why it cannot be one. Undefined: a blank line. */
  read(text: string): ImportLine | undefined;
}

/**
 * Reads the lines of one file. `institution` (a checked KBO) is the institution of every line
 * that names none; a line naming another one is rejected.
 */
export function lineReader(
  format: BulkFormat,
  layout: CsvLayout | undefined,
  institution?: string,
): LineReader {
  if (format === 'ndjson') {
    return {
      read: (text) => (text.trim() === '' ? undefined : importLine(ndjsonValues(text), institution)),
    };
  }
  if (!layout) throw new Error('a CSV file is read with the layout of its header');
  return {
    read: (text) => (text.trim() === '' ? undefined : importLine(csvValues(text, layout), institution)),
  };
}

const DELIMITER_NAMES: Readonly<Record<string, string>> = { ',': 'commas', ';': 'semicolons', '\t': 'tabs' };

function csvValues(text: string, layout: CsvLayout): RawLine {
  const fields = splitCsv(text, layout.delimiter);
  if (!fields) throw new Problem('VALIDATION_FAILED', 'a quoted field is not closed on this line');
  if (fields.length !== layout.width) {
    throw new Problem(
      'VALIDATION_FAILED',
      `${fields.length} fields where the header has ${layout.width} (separated by ${DELIMITER_NAMES[layout.delimiter] ?? layout.delimiter})`,
    );
  }
  const raw: RawLine = {};
  for (const [column, index] of layout.columns) raw[column] = fields[index]!.trim();
  return raw;
}

function ndjsonValues(text: string): RawLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Problem('VALIDATION_FAILED', 'the line is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Problem('VALIDATION_FAILED', 'the line is not a JSON object');
  }
  const raw: RawLine = {};
  for (const column of BULK_COLUMNS) {
    const field = (value as Record<string, unknown>)[column];
    raw[column] = typeof field === 'string' ? field.trim() : field;
  }
  return raw;
}

function importLine(raw: RawLine, defaultInstitution: string | undefined): ImportLine {
  const insz = raw.insz;
  if (typeof insz !== 'string' || insz === '') {
    throw new Problem('INSZ_FORMAT', 'the line has no INSZ (give it as a string of 11 digits)');
  }
  const institution = lineInstitution(raw.institution, defaultInstitution);
  const sector = integer(raw.sector, 'sector');
  if (sector === undefined) throw new Problem('VALIDATION_FAILED', 'the line has no sector');
  const capacity = integer(raw.capacity, 'capacity');
  if (capacity === undefined) throw new Problem('VALIDATION_FAILED', 'the line has no capacity');
  const start = date(raw.start, 'start');
  if (start === null) throw new Problem('DATE_INVALID', 'the line has no start date');
  const end = date(raw.end, 'end');
  const phase = integer(raw.phase, 'phase');
  return { insz, institution, sector, capacity, start, end, ...(phase === undefined ? {} : { phase }) };
}

function lineInstitution(value: unknown, defaultInstitution: string | undefined): string {
  if (value === undefined || value === null || value === '') {
    if (defaultInstitution === undefined) {
      throw new Problem(
        'VALIDATION_FAILED',
        'the line names no institution (and no --institution was given)',
      );
    }
    return defaultInstitution;
  }
  if (typeof value !== 'string') throw new Problem('KBO_FORMAT', 'the institution is not a string of digits');
  const kbo = parseKbo(value);
  if (!kbo.ok) throw new Problem(kbo.code, `institution ${value}: ${kbo.reason}`);
  if (defaultInstitution !== undefined && kbo.kbo !== defaultInstitution) {
    throw new Problem(
      'VALIDATION_FAILED',
      `the line names institution ${kbo.kbo}, the import is for --institution ${defaultInstitution}`,
    );
  }
  return kbo.kbo;
}

const DIGITS = /^\d{1,9}$/;

function integer(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && DIGITS.test(value)) return Number(value);
  throw new Problem('VALIDATION_FAILED', `${name} ${JSON.stringify(value)} is not a whole number`);
}

function date(value: unknown, name: string): IsoDate | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string')
    throw new Problem('DATE_INVALID', `the ${name} date is not a YYYY-MM-DD string`);
  return value;
}

// ---- writing ----

export interface BulkRecord {
  readonly insz: string;
  readonly institution: string;
  readonly sector: number;
  readonly capacity: number;
  readonly start: string;
  readonly end: string | null;
  readonly phase: number;
}

/** The header line of a file in `format` (none for NDJSON), with its line break. */
export function headerLine(format: BulkFormat): string {
  return format === 'csv' ? BULK_COLUMNS.join(',') + '\n' : '';
}

/** One registration as a line of a file in `format`, with its line break. */
export function recordLine(format: BulkFormat, r: BulkRecord): string {
  if (format === 'ndjson') {
    return (
      JSON.stringify({
        insz: r.insz,
        institution: r.institution,
        sector: r.sector,
        capacity: r.capacity,
        start: r.start,
        end: r.end,
        phase: r.phase,
      }) + '\n'
    );
  }
  return `${r.insz},${r.institution},${r.sector},${r.capacity},${r.start},${r.end ?? ''},${r.phase}\n`;
}

export const REJECTS_HEADER = 'line,code,reason,original\n';

/** One line of a reject file: the line's number, the problem code, the reason, the line as it was. */
export function rejectLine(number: number, code: string, reason: string, original: string): string {
  return `${number},${code},${csvField(reason)},${csvField(original)}\n`;
}
