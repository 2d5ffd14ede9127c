// "Who used my data": the exchange-log records about one person, newest first, each with what a
// person needs to read it (institution, service, purpose, authorisation, outcome) and to verify it
// offline (the canonical record, its RFC 9162 inclusion proof against the latest signed
// checkpoint, and the log's verifier key). The shape is documented in docs/citizen-proofs.md.
//
// Confidential entries stay hidden until their embargo ends. Pages are filled with visible entries
// only, and a next-page cursor is given only when another visible entry exists: neither the page
// length, nor the cursor, nor an empty last page tells that hidden entries exist.
import type { AuthorisationRegister } from '../authz/index.ts';
import { type Clock, Problem, isIsoDate } from '../kernel/index.ts';
import {
  type ExchangeOutcome,
  type LogTree,
  type RecordKind,
  type StoredCheckpoint,
  type StoredRecord,
  recordsAboutPerson,
} from '../log/index.ts';
import type { NetworkRegistry } from '../network/index.ts';
import type { StoreReader } from '../store/index.ts';
import { isVisible } from './embargo.ts';
import { type Lang, MESSAGES } from './messages.ts';

export interface AccessSources {
  readonly reader: StoreReader;
  readonly tree: LogTree;
  readonly registry: NetworkRegistry;
  readonly authorisations: AuthorisationRegister;
  /** The log's C2SP verifier key, which checks the checkpoint's signature. */
  readonly verifierKey: string;
  readonly clock: Clock;
}

export interface AccessProof {
  readonly checkpoint: { readonly size: number; readonly rootHash: string; readonly note: string };
  /** base64 RFC 9162 leaf hash: SHA-256(0x00 ‖ UTF-8 bytes of `record`). */
  readonly leafHash: string;
  /** base64 sibling hashes, leaf to root (RFC 9162 §2.1.3). */
  readonly inclusion: readonly string[];
}

export interface AccessEntry {
  /** 0-based leaf index in the log's Merkle tree (the record's seq − 1). */
  readonly logIndex: number;
  readonly time: string;
  readonly kind: RecordKind;
  readonly outcome: ExchangeOutcome;
  readonly institution: { readonly kbo: string; readonly name: { nl: string; fr: string } | null } | null;
  readonly service: {
    readonly id: string;
    readonly version: number | null;
    readonly title: { nl: string; fr: string; en: string } | null;
  } | null;
  readonly purpose: string | null;
  readonly authorisation: { readonly ref: string; readonly version: number } | null;
  /** The same in the language asked for, ready to show. */
  readonly display: { readonly institution: string; readonly service: string; readonly outcome: string };
  /** The record's canonical JSON (RFC 8785): exactly the bytes the leaf hash covers. */
  readonly record: string;
  /** null while the record is not yet in a signed tree (the sequencer runs every second). */
  readonly proof: AccessProof | null;
  readonly verifierKey: string;
}

export interface AccessPage {
  readonly verifierKey: string;
  readonly entries: readonly AccessEntry[];
  /** Opaque; null when there is no older visible entry. */
  readonly nextCursor: string | null;
}

export interface AccessQuery {
  readonly from?: string;
  readonly to?: string;
  readonly cursor?: string;
  readonly limit: number;
  readonly lang: Lang;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

/** One page of the visible records about `insz`, newest first. */
export async function listAccesses(
  sources: AccessSources,
  insz: string,
  query: AccessQuery,
): Promise<AccessPage> {
  const now = sources.clock.now();
  const range = { from: instant(query.from, 'from'), to: instant(query.to, 'to') };
  const visible: { record: StoredRecord; canonical: string }[] = [];
  let beforeSeq = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  // One entry more than asked: it says whether another page exists, without counting hidden ones.
  const want = query.limit + 1;
  scan: for (;;) {
    const batch = await recordsAboutPerson(sources.reader, insz, { ...range, beforeSeq, limit: want });
    for (const row of batch) {
      if (!visibleNow(sources, row.record, now)) continue;
      visible.push(row);
      if (visible.length === want) break scan;
    }
    if (batch.length < want) break;
    beforeSeq = batch.at(-1)!.record.seq;
  }
  const page = visible.slice(0, query.limit);
  const proofs = new ProofSource(sources.tree);
  return {
    verifierKey: sources.verifierKey,
    entries: await Promise.all(page.map((row) => toEntry(sources, row, proofs, query.lang))),
    nextCursor: visible.length === want ? encodeCursor(page.at(-1)!.record.seq) : null,
  };
}

/** The entry at `logIndex` if it is about `insz` and visible now; ACCESS_NOT_FOUND otherwise. */
export async function accessEntry(
  sources: AccessSources,
  insz: string,
  logIndex: number,
  lang: Lang,
): Promise<AccessEntry> {
  const seq = logIndex + 1;
  // The newest record about the person up to seq: it is the one asked for only if it is theirs.
  const [row] = await recordsAboutPerson(sources.reader, insz, { beforeSeq: seq + 1, limit: 1 });
  // One answer for "not yours", "does not exist" and "still under embargo": none may be told apart.
  if (row?.record.seq !== seq || !visibleNow(sources, row.record, sources.clock.now())) {
    throw new Problem('ACCESS_NOT_FOUND', `you have no visible entry ${logIndex}`);
  }
  return toEntry(sources, row, new ProofSource(sources.tree), lang);
}

function visibleNow(sources: AccessSources, record: StoredRecord, now: Date): boolean {
  const ref = record.authorisation;
  // The version the exchange was made under decides, as it decided the exchange itself.
  const embargoDays = ref ? (sources.authorisations.get(ref.ref, ref.version)?.embargoDays ?? null) : null;
  return isVisible(record.time, embargoDays, now);
}

async function toEntry(
  sources: AccessSources,
  row: { record: StoredRecord; canonical: string },
  proofs: ProofSource,
  lang: Lang,
): Promise<AccessEntry> {
  const { record } = row;
  const logIndex = record.seq - 1;
  const institution = record.caller === null ? null : sources.registry.institutionByKbo(record.caller);
  const service = record.service === null ? undefined : sources.registry.service(record.service);
  const words = MESSAGES[lang];
  return {
    logIndex,
    time: record.time,
    kind: record.kind,
    outcome: record.outcome,
    institution:
      record.caller === null
        ? null
        : {
            kbo: record.caller,
            name: institution ? { nl: institution.nameNl, fr: institution.nameFr } : null,
          },
    service:
      record.service === null
        ? null
        : {
            id: record.service,
            version: record.serviceVersion,
            title: service ? { ...service.title } : null,
          },
    purpose: record.purpose,
    authorisation: record.authorisation ? { ...record.authorisation } : null,
    display: {
      institution: institution
        ? lang === 'fr'
          ? institution.nameFr
          : institution.nameNl
        : (record.caller ?? words.unknownCaller),
      service: service ? service.title[lang] : (record.service ?? '—'),
      outcome: record.kind === 'change' ? words.changeSent : words[record.outcome],
    },
    record: row.canonical,
    proof: await proofs.proof(logIndex),
    verifierKey: sources.verifierKey,
  };
}

/** Proofs of one answer, all against the checkpoint that was latest when the answer began. */
class ProofSource {
  readonly #tree: LogTree;
  #checkpoint: Promise<StoredCheckpoint | undefined> | undefined;
  #note: Promise<string> | undefined;

  constructor(tree: LogTree) {
    this.#tree = tree;
  }

  async proof(index: number): Promise<AccessProof | null> {
    const checkpoint = await (this.#checkpoint ??= this.#tree.latestCheckpoint());
    if (!checkpoint || index >= checkpoint.size) return null;
    const [note, leafHash, inclusion] = await Promise.all([
      (this.#note ??= this.#tree.cosignedNote(checkpoint)),
      this.#tree.leafHash(index),
      this.#tree.inclusionProof(index, checkpoint.size),
    ]);
    return {
      checkpoint: { size: checkpoint.size, rootHash: checkpoint.rootHash, note },
      leafHash,
      inclusion,
    };
  }
}

// ---- query parameters ----

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const brusselsOffset = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Europe/Brussels',
  timeZoneName: 'longOffset',
});

/**
 * `from`/`to` as the log stores times (ISO 8601 UTC). A bare date is that day's midnight in
 * Belgium; a date-time must say its offset, so nobody's query depends on the server's zone.
 */
export function instant(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  let at = Number.NaN;
  if (!isIsoDate(value.slice(0, 10))) {
    // Date.parse would roll 2025-02-30 over to March: refuse impossible days instead.
  } else if (DATE.test(value)) {
    const utcMidnight = Date.parse(`${value}T00:00:00Z`);
    // Belgium switches between UTC+1 and UTC+2 at 01:00 UTC: its offset at 00:00 UTC is the
    // offset of its own midnight that day.
    at = utcMidnight - offsetMinutes(utcMidnight) * 60_000;
  } else if (DATE_TIME.test(value)) {
    at = Date.parse(value);
  }
  if (Number.isNaN(at)) {
    throw new Problem('DATE_INVALID', `${name} must be YYYY-MM-DD or an ISO 8601 date-time with offset`);
  }
  return new Date(at).toISOString();
}

function offsetMinutes(at: number): number {
  if (Number.isNaN(at)) return 0;
  const zone = brusselsOffset.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(zone);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

function encodeCursor(seq: number): string {
  return Buffer.from(`s${seq}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^s([1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  const seq = m ? Number(m[1]) : Number.NaN;
  if (!Number.isSafeInteger(seq))
    throw new Problem('VALIDATION_FAILED', 'the cursor is not one this hub gave');
  return seq;
}
