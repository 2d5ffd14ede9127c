// The persons directory: REGISTER, UNREGISTER and LIST, as KSZ-BCSS ManageAccess does them.
// Nothing is deleted: UNREGISTER closes the period, and every change is kept in directory_events.
import { type CompiledQuery, type Kysely, type Transaction, sql } from 'kysely';
import {
  type Clock,
  type IsoDate,
  Problem,
  isIsoDate,
  isValidPeriod,
  newId,
  requireInsz,
  today,
} from '../kernel/index.ts';
import { type Actor, type Institution, type NetworkRegistry, actorLabel } from '../network/index.ts';
import {
  type Database,
  type Precompiled,
  type PrecompiledRead,
  type Store,
  precompile,
  precompileRead,
  slot,
} from '../store/index.ts';
import { exclusivityConflict, overlapping, ownOverlap, proofMatches } from './rules.ts';
import type { Identity, IdentityProof, Registration } from './types.ts';

export interface IdentitySource {
  /** The person as the identity source knows them, or undefined when it does not. */
  lookup(insz: string, requester: Institution): Promise<Identity | undefined>;
}

export interface RegisterInput {
  readonly insz: string;
  readonly capacity: number;
  readonly phase?: number;
  readonly start: IsoDate;
  readonly end?: IsoDate | null;
  readonly proof: IdentityProof;
}

export interface RegisterResult {
  readonly registration: Registration;
  /** The person's other registrations in the same sector that overlap the new one. */
  readonly overlapping: readonly Registration[];
  /** True when an identical registration already existed (REGISTER is idempotent). */
  readonly repeated: boolean;
}

export const PHASE_DEFINITIVE = 0;
export const PHASE_PROVISIONAL = 902;

export class PersonsDirectory {
  readonly #db: Kysely<Database>;
  readonly #dialect: Store['dialect'];
  readonly #registry: NetworkRegistry;
  readonly #identity: IdentitySource;
  readonly #clock: Clock;
  readonly #inSector: Precompiled<Database['registrations']>;
  /** The two reads on the exchange path, through the store's hot-path reader. */
  readonly #hotReads: {
    readonly atInstitution: PrecompiledRead<Database['registrations']>;
    readonly inSector: PrecompiledRead<Database['registrations']>;
  };

  /** Multi-row INSERTs for bulk loads, compiled once per row count (see compileBulkInsert). */
  readonly #bulkInserts = new Map<number, BulkInsert>();

  constructor(store: Store, registry: NetworkRegistry, identity: IdentitySource, clock: Clock) {
    const db = store.db;
    this.#db = db;
    this.#dialect = store.dialect;
    this.#registry = registry;
    this.#identity = identity;
    this.#clock = clock;
    const atInstitution = db
      .selectFrom('registrations')
      .selectAll()
      .where('insz', '=', slot<string>('insz'))
      .where('institution_id', '=', slot<string>('institution'))
      .orderBy('start_date');
    const inSector = db
      .selectFrom('registrations')
      .selectAll()
      .where('insz', '=', slot<string>('insz'))
      .where('sector', '=', slot<number>('sector'))
      .orderBy('start_date');
    this.#inSector = precompile(inSector);
    this.#hotReads = {
      atInstitution: precompileRead(atInstitution, store.reader),
      inSector: precompileRead(inSector, store.reader),
    };
  }

  async register(institution: Institution, actor: Actor, input: RegisterInput): Promise<RegisterResult> {
    const insz = requireInsz(input.insz);
    const phase = input.phase ?? PHASE_DEFINITIVE;
    const end = input.end ?? null;
    checkPeriod(input.start, end, false);
    if (institution.sector === null || institution.subsector === null) {
      throw new Problem('UNKNOWN_CAPACITY', 'an institution outside the sectors holds no capacities');
    }
    const capacity = this.#registry.capacity(institution.sector, input.capacity);
    if (!capacity) {
      throw new Problem(
        'UNKNOWN_CAPACITY',
        `capacity ${input.capacity} is not defined in sector ${institution.sector}`,
      );
    }
    if (phase !== PHASE_DEFINITIVE && phase !== PHASE_PROVISIONAL) {
      throw new Problem('VALIDATION_FAILED', 'phase is 0 (definitive) or 902 (provisional)');
    }

    const identity = await this.#identity.lookup(insz, institution);
    if (!identity) throw new Problem('PERSON_UNKNOWN', 'the National Register does not know this number');
    if (!proofMatches(input.proof, identity)) {
      throw new Problem('IDENTITY_MISMATCH', 'the proof given does not match the identity source');
    }

    const candidate = {
      institutionId: institution.id,
      sector: institution.sector,
      capacity: input.capacity,
      phase,
      start: input.start,
      end,
    };
    // Check and insert in one transaction, so two concurrent REGISTERs cannot both pass the check.
    return this.#db.transaction().execute(async (trx) => {
      await this.#lockPersonInSector(trx, insz, institution.sector!);
      const sameSector = await this.#personInSector(trx, insz, institution.sector!);
      const own = ownOverlap(candidate, sameSector);
      if (own?.kind === 'identical') {
        return {
          registration: own.existing,
          overlapping: overlapping(candidate, sameSector).filter((r) => r.id !== own.existing.id),
          repeated: true,
        };
      }
      if (own)
        throw new Problem('REGISTRATION_OVERLAP', 'you hold this capacity for an overlapping period', {
          conflicting: this.describe(own.existing),
        });
      const conflict = exclusivityConflict(candidate, sameSector, capacity.exclusive);
      if (conflict) {
        throw new Problem(
          'EXCLUSIVITY_CONFLICT',
          `capacity ${capacity.code} is exclusive in sector ${capacity.sector}`,
          {
            conflicting: this.describe(conflict),
          },
        );
      }
      const at = this.#clock.now().toISOString();
      const registration: Registration = {
        id: newId(),
        insz,
        institutionId: institution.id,
        sector: institution.sector!,
        subsector: institution.subsector!,
        capacity: input.capacity,
        phase,
        start: input.start,
        end,
        createdAt: at,
        createdBy: actorLabel(actor),
        endedAt: null,
        endedBy: null,
      };
      await trx.insertInto('registrations').values(toRow(registration)).execute();
      await recordEvent(trx, registration.id, 'REGISTER', at, registration.createdBy, {
        start: input.start,
        end,
        phase,
      });
      return { registration, overlapping: overlapping(candidate, sameSector), repeated: false };
    });
  }

  /**
   * Loads registrations in bulk (an initial load from an existing directory, or a benchmark).
   * Each line is validated; bad lines are returned with their reason and the rest are loaded.
   * Proof of identity and exclusivity are the responsibility of the directory being loaded.
   */
  async importRegistrations(
    lines: readonly ImportLine[],
    actor: Actor,
    chunkSize = 500,
  ): Promise<ImportResult> {
    const rejected: { index: number; code: string; reason: string }[] = [];
    const at = this.#clock.now().toISOString();
    const by = actorLabel(actor);
    const rows: Database['registrations'][] = [];
    lines.forEach((line, index) => {
      try {
        rows.push(toRow(this.#validImportLine(line, at, by)));
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        rejected.push({ index, code: error.code, reason: error.detail ?? error.message });
      }
    });
    await this.#db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += chunkSize) {
        await trx
          .insertInto('registrations')
          .values(rows.slice(i, i + chunkSize))
          .execute();
      }
    });
    return { loaded: rows.length, rejected };
  }

  #validImportLine(line: ImportLine, at: string, by: string): Registration {
    const insz = requireInsz(line.insz);
    const institution = this.#registry.institutionByKbo(line.institution);
    if (!institution || institution.sector === null || institution.subsector === null) {
      throw new Problem('UNKNOWN_INSTITUTION', `no institution ${line.institution} in a sector`);
    }
    if (!this.#registry.capacity(institution.sector, line.capacity)) {
      throw new Problem(
        'UNKNOWN_CAPACITY',
        `capacity ${line.capacity} is not defined in sector ${institution.sector}`,
      );
    }
    if (line.sector !== undefined && line.sector !== institution.sector) {
      throw new Problem(
        'SECTOR_MISMATCH',
        `sector ${line.sector} on the line, but institution ${line.institution} is in sector ${institution.sector}`,
      );
    }
    checkPeriod(line.start, line.end ?? null, false);
    if (line.phase !== undefined && line.phase !== PHASE_DEFINITIVE && line.phase !== PHASE_PROVISIONAL) {
      throw new Problem(
        'VALIDATION_FAILED',
        `phase ${line.phase} is neither 0 (definitive) nor 902 (provisional)`,
      );
    }
    return {
      id: newId(),
      insz,
      institutionId: institution.id,
      sector: institution.sector,
      subsector: institution.subsector,
      capacity: line.capacity,
      phase: line.phase ?? PHASE_DEFINITIVE,
      start: line.start,
      end: line.end ?? null,
      createdAt: at,
      createdBy: by,
      endedAt: null,
      endedBy: null,
    };
  }

  /**
   * The streaming form of importRegistrations, for files of millions of lines: checks one line as
   * importRegistrations does and returns the registration to load, or throws the Problem that
   * rejects the line. `at` and `by` are recorded as its creation.
   */
  checkImportLine(line: ImportLine, at: string, by: string): Registration {
    return this.#validImportLine(line, at, by);
  }

  /**
   * Loads registrations checked by checkImportLine in one transaction. `alsoInTransaction` runs in
   * the same transaction, so that what it writes (a bulk load's progress) commits with them or not at all.
   */
  async loadRegistrations(
    registrations: readonly Registration[],
    alsoInTransaction?: (trx: Transaction<Database>) => Promise<void>,
    batchSize = 1000,
  ): Promise<void> {
    // In the order of the person indexes: each index page a chunk touches is written once per chunk.
    const rows = registrations.map(toRow).sort(byPerson);
    await this.#db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += batchSize) {
        const batch = rows.slice(i, i + batchSize);
        await trx.executeQuery(this.#bulkInsert(batch.length).bind(batch));
      }
      await alsoInTransaction?.(trx);
    });
  }

  #bulkInsert(count: number): BulkInsert {
    let insert = this.#bulkInserts.get(count);
    if (!insert) {
      insert = compileBulkInsert(this.#db, count);
      this.#bulkInserts.set(count, insert);
    }
    return insert;
  }

  /** Closes a registration's period at `end` (default: today in Belgium). */
  async unregister(institution: Institution, actor: Actor, id: string, end?: IsoDate): Promise<Registration> {
    if (end !== undefined && !isIsoDate(end))
      throw new Problem('DATE_INVALID', `${end} is not a calendar date`);
    return this.#db.transaction().execute(async (trx) => {
      let select = trx
        .selectFrom('registrations')
        .selectAll()
        .where('id', '=', id)
        .where('institution_id', '=', institution.id);
      // Two UNREGISTERs of one registration on two nodes: the second waits and sees the first.
      if (this.#dialect === 'postgres') select = select.forUpdate();
      const row = await select.executeTakeFirst();
      if (!row) throw new Problem('REGISTRATION_NOT_FOUND', `you hold no registration ${id}`);
      const current = toRegistration(row);
      // Without an end, the dossier closes today; one that has not started yet is annulled.
      const closeOn = end ?? maxDate(today(this.#clock), current.start);
      if (current.end !== null && current.end <= closeOn) {
        throw new Problem('REGISTRATION_ENDED', `the registration already ends on ${current.end}`);
      }
      // An end equal to the start leaves an empty period: the registration is annulled.
      checkPeriod(current.start, closeOn, true);
      const at = this.#clock.now().toISOString();
      const by = actorLabel(actor);
      await trx
        .updateTable('registrations')
        .set({ end_date: closeOn, ended_at: at, ended_by: by })
        .where('id', '=', id)
        .execute();
      await recordEvent(trx, id, 'UNREGISTER', at, by, { end: closeOn, previousEnd: current.end });
      return { ...current, end: closeOn, endedAt: at, endedBy: by };
    });
  }

  /** LIST: the person's registrations at this institution, ended ones included. */
  async list(institution: Institution, insz: string): Promise<Registration[]> {
    return this.ofPersonAtInstitution(requireInsz(insz), institution.id);
  }

  /** On the exchange path: the caller's registrations for the person. */
  async ofPersonAtInstitution(insz: string, institutionId: string): Promise<Registration[]> {
    const rows = await this.#hotReads.atInstitution.all({ insz, institution: institutionId });
    return rows.map(toRegistration);
  }

  /** On the exchange path (routing): the person's registrations in a sector. */
  async ofPersonInSector(insz: string, sector: number): Promise<Registration[]> {
    const rows = await this.#hotReads.inSector.all({ insz, sector });
    return rows.map(toRegistration);
  }

  /**
   * Serialises REGISTERs of one person in one sector. SQLite's writer lock (BEGIN IMMEDIATE) does
   * that already; on PostgreSQL, under READ COMMITTED, two nodes could otherwise both pass the
   * exclusivity check before either commits.
   */
  async #lockPersonInSector(trx: Kysely<Database>, insz: string, sector: number): Promise<void> {
    if (this.#dialect !== 'postgres') return;
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`registrations:${insz}:${sector}`}, 0))`.execute(
      trx,
    );
  }

  async #personInSector(db: Kysely<Database>, insz: string, sector: number): Promise<Registration[]> {
    const rows = await this.#inSector.run(db, { insz, sector });
    return rows.map(toRegistration);
  }

  /** How a registration is shown to an institution: with the holder's enterprise number. */
  describe(r: Registration): RegistrationView {
    return {
      id: r.id,
      insz: r.insz,
      institution: this.#registry.institutionById(r.institutionId)?.kbo ?? r.institutionId,
      sector: r.sector,
      subsector: r.subsector,
      capacity: r.capacity,
      phase: r.phase,
      period: { start: r.start, end: r.end },
      createdAt: r.createdAt,
      endedAt: r.endedAt,
    };
  }
}

export interface ImportLine {
  readonly insz: string;
  /** KBO of the institution holding the dossier. */
  readonly institution: string;
  /** The sector the line names, when it names one: it must be the institution's. */
  readonly sector?: number;
  readonly capacity: number;
  readonly phase?: number;
  readonly start: IsoDate;
  readonly end?: IsoDate | null;
}

export interface ImportResult {
  readonly loaded: number;
  readonly rejected: readonly { readonly index: number; readonly code: string; readonly reason: string }[];
}

export interface RegistrationView {
  readonly id: string;
  readonly insz: string;
  readonly institution: string;
  readonly sector: number;
  readonly subsector: number;
  readonly capacity: number;
  readonly phase: number;
  readonly period: { readonly start: string; readonly end: string | null };
  readonly createdAt: string;
  readonly endedAt: string | null;
}

const REGISTRATION_COLUMNS = [
  'id',
  'insz',
  'institution_id',
  'sector',
  'subsector',
  'capacity',
  'phase',
  'start_date',
  'end_date',
  'created_at',
  'created_by',
  'ended_at',
  'ended_by',
] as const satisfies readonly (keyof Database['registrations'])[];

interface BulkInsert {
  bind(rows: readonly Database['registrations'][]): CompiledQuery;
}

const BULK_MARK = '\u0000bulk:';

/**
 * An INSERT of `count` rows, built and compiled once with a marker in place of each value, then
 * bound to rows by the markers' places: Kysely's builder would cost more per row than SQLite's
 * insert. Compiled by the query builder, it is as portable as any other query.
 */
function compileBulkInsert(db: Kysely<Database>, count: number): BulkInsert {
  const template = Array.from(
    { length: count },
    (_, row) =>
      Object.fromEntries(
        REGISTRATION_COLUMNS.map((column) => [column, `${BULK_MARK}${row}:${column}`]),
      ) as unknown as Database['registrations'],
  );
  const compiled = db.insertInto('registrations').values(template).compile();
  const places = compiled.parameters.map((p) => {
    const [row, column] = String(p).slice(BULK_MARK.length).split(':');
    return { row: Number(row), column: column as (typeof REGISTRATION_COLUMNS)[number] };
  });
  return {
    bind: (rows) => ({ ...compiled, parameters: places.map(({ row, column }) => rows[row]![column]) }),
  };
}

function byPerson(a: Database['registrations'], b: Database['registrations']): number {
  return a.insz < b.insz ? -1 : a.insz > b.insz ? 1 : 0;
}

function maxDate(a: IsoDate, b: IsoDate): IsoDate {
  return a > b ? a : b;
}

function checkPeriod(start: string, end: string | null, allowEmpty: boolean): void {
  for (const d of [start, end]) {
    if (d !== null && !isIsoDate(d)) throw new Problem('DATE_INVALID', `${d} is not a calendar date`);
  }
  if (!(allowEmpty && end === start) && !isValidPeriod({ start, end })) {
    throw new Problem('PERIOD_INVALID', `the period ends (${end}) on or before it starts (${start})`);
  }
}

async function recordEvent(
  trx: Transaction<Database>,
  registrationId: string,
  action: 'REGISTER' | 'UNREGISTER',
  at: string,
  by: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await trx
    .insertInto('directory_events')
    .values({ id: newId(), registration_id: registrationId, action, at, by, detail: JSON.stringify(detail) })
    .execute();
}

export function toRow(r: Registration): Database['registrations'] {
  return {
    id: r.id,
    insz: r.insz,
    institution_id: r.institutionId,
    sector: r.sector,
    subsector: r.subsector,
    capacity: r.capacity,
    phase: r.phase,
    start_date: r.start,
    end_date: r.end,
    created_at: r.createdAt,
    created_by: r.createdBy,
    ended_at: r.endedAt,
    ended_by: r.endedBy,
  };
}

function toRegistration(r: Database['registrations']): Registration {
  return {
    id: r.id,
    insz: r.insz,
    institutionId: r.institution_id,
    sector: r.sector,
    subsector: r.subsector,
    capacity: r.capacity,
    phase: r.phase,
    start: r.start_date,
    end: r.end_date,
    createdAt: r.created_at,
    createdBy: r.created_by,
    endedAt: r.ended_at,
    endedBy: r.ended_by,
  };
}
