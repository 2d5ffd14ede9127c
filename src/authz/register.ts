// The public register of authorisations. Versions are append-only: an amendment or a withdrawal
// is a new version, and every old version stays readable. Held in memory (a few thousand rows).
import type { Kysely } from 'kysely';
import {
  type Clock,
  Generations,
  type IsoDate,
  Problem,
  isIsoDate,
  isValidPeriod,
  today,
} from '../kernel/index.ts';
import { type Actor, type NetworkRegistry, actorLabel } from '../network/index.ts';
import type { Database } from '../store/index.ts';
import type { Authorisation, DataLevel } from './types.ts';

export type AuthorisationInput = Pick<
  Authorisation,
  | 'ref'
  | 'title'
  | 'decidedOn'
  | 'recipients'
  | 'services'
  | 'purposes'
  | 'capacities'
  | 'validFrom'
  | 'validTo'
  | 'dataLevel'
> & { readonly note?: string; readonly embargoDays?: number | null };

export class AuthorisationRegister {
  readonly #db: Kysely<Database>;
  readonly #registry: NetworkRegistry;
  readonly #clock: Clock;
  readonly #generations = new Generations();
  #versions = new Map<string, Authorisation[]>(); // ref → versions ascending
  #latest: Authorisation[] = [];

  private constructor(db: Kysely<Database>, registry: NetworkRegistry, clock: Clock) {
    this.#db = db;
    this.#registry = registry;
    this.#clock = clock;
  }

  static async load(
    db: Kysely<Database>,
    registry: NetworkRegistry,
    clock: Clock,
  ): Promise<AuthorisationRegister> {
    const register = new AuthorisationRegister(db, registry, clock);
    await register.reload();
    return register;
  }

  async reload(): Promise<void> {
    const generation = this.#generations.start();
    const rows = await this.#db
      .selectFrom('authorisations')
      .selectAll()
      .orderBy('ref')
      .orderBy('version')
      .execute();
    if (!this.#generations.isLatest(generation)) return; // a later reload already swapped in newer rows
    const versions = new Map<string, Authorisation[]>();
    for (const row of rows) {
      const list = versions.get(row.ref) ?? [];
      list.push(toAuthorisation(row));
      versions.set(row.ref, list);
    }
    this.#versions = versions;
    this.#latest = [...versions.values()].map((v) => v.at(-1)).filter((a) => a !== undefined);
  }

  /** The latest version of every authorisation: what decide() reads. */
  latest(): readonly Authorisation[] {
    return this.#latest;
  }

  get(ref: string, version?: number): Authorisation | undefined {
    const list = this.#versions.get(ref);
    return version === undefined ? list?.at(-1) : list?.find((a) => a.version === version);
  }

  versions(ref: string): readonly Authorisation[] {
    return this.#versions.get(ref) ?? [];
  }

  async create(input: AuthorisationInput, actor: Actor): Promise<Authorisation> {
    if (this.#versions.has(input.ref))
      throw new Problem('AUTHORISATION_EXISTS', `${input.ref} exists; amend it instead`);
    return this.#insert(input, 1, 'in-force', actor);
  }

  /** Records an amendment as a new version that replaces the content. */
  async amend(input: AuthorisationInput, actor: Actor): Promise<Authorisation> {
    const current = this.#current(input.ref);
    if (current.status === 'withdrawn')
      throw new Problem('AUTHORISATION_WITHDRAWN', `${input.ref} is withdrawn`);
    return this.#insert(input, current.version + 1, 'in-force', actor);
  }

  /** Withdraws an authorisation from `on` (default today) as a new version. */
  async withdraw(ref: string, on: IsoDate | undefined, note: string, actor: Actor): Promise<Authorisation> {
    const current = this.#current(ref);
    if (current.status === 'withdrawn')
      throw new Problem('AUTHORISATION_WITHDRAWN', `${ref} is already withdrawn`);
    // A withdrawal can end an authorisation earlier, never extend it.
    const from = on ?? today(this.#clock);
    const validTo = current.validTo !== null && current.validTo < from ? current.validTo : from;
    return this.#insert({ ...current, validTo, note }, current.version + 1, 'withdrawn', actor);
  }

  #current(ref: string): Authorisation {
    const current = this.get(ref);
    if (!current) throw new Problem('UNKNOWN_AUTHORISATION', `no authorisation ${ref}`);
    return current;
  }

  async #insert(
    input: AuthorisationInput,
    version: number,
    status: Authorisation['status'],
    actor: Actor,
  ): Promise<Authorisation> {
    this.#validate(input);
    try {
      await this.#db
        .insertInto('authorisations')
        .values({
          ref: input.ref,
          version,
          title: input.title,
          decided_on: input.decidedOn,
          status,
          recipients: JSON.stringify(input.recipients),
          services: JSON.stringify(input.services),
          purposes: JSON.stringify(input.purposes),
          capacities: JSON.stringify(input.capacities),
          valid_from: input.validFrom,
          valid_to: input.validTo,
          data_level: input.dataLevel,
          embargo_days: input.embargoDays ?? null,
          note: input.note ?? '',
          created_at: this.#clock.now().toISOString(),
          created_by: actorLabel(actor),
        })
        .execute();
    } catch (error) {
      // Two operators amending at once: the second loses on the (ref, version) key.
      if (error instanceof Error && /UNIQUE|duplicate key/i.test(error.message)) {
        throw new Problem(
          'AUTHORISATION_EXISTS',
          `${input.ref} version ${version} was just recorded; reload and retry`,
        );
      }
      throw error;
    }
    await this.reload();
    return this.get(input.ref, version)!;
  }

  #validate(input: AuthorisationInput): void {
    for (const d of [input.decidedOn, input.validFrom, input.validTo]) {
      if (d !== null && !isIsoDate(d)) throw new Problem('DATE_INVALID', `${d} is not a calendar date`);
    }
    if (!isValidPeriod({ start: input.validFrom, end: input.validTo }) && input.validTo !== input.validFrom) {
      throw new Problem('PERIOD_INVALID', 'validTo is before validFrom');
    }
    for (const kbo of input.recipients.institutions) {
      if (!this.#registry.institutionByKbo(kbo))
        throw new Problem('UNKNOWN_INSTITUTION', `recipient ${kbo} is not registered`);
    }
    for (const grant of input.services) {
      const service = this.#registry.service(grant.service);
      if (!service) throw new Problem('UNKNOWN_SERVICE', `no data service ${grant.service}`);
      const unknown = grant.fields.filter((f) => !Object.hasOwn(service.fieldsSchema.properties, f));
      if (unknown.length > 0) {
        throw new Problem('SERVICE_FIELD_UNKNOWN', `${grant.service} returns no field ${unknown.join(', ')}`);
      }
    }
    for (const c of input.capacities) {
      if (!this.#registry.capacity(c.sector, c.code)) {
        throw new Problem('UNKNOWN_CAPACITY', `capacity ${c.code} is not defined in sector ${c.sector}`);
      }
    }
  }
}

function toAuthorisation(r: Database['authorisations']): Authorisation {
  return {
    ref: r.ref,
    version: r.version,
    title: r.title,
    decidedOn: r.decided_on,
    status: r.status as Authorisation['status'],
    recipients: JSON.parse(r.recipients) as Authorisation['recipients'],
    services: JSON.parse(r.services) as Authorisation['services'],
    purposes: JSON.parse(r.purposes) as Authorisation['purposes'],
    capacities: JSON.parse(r.capacities) as Authorisation['capacities'],
    validFrom: r.valid_from,
    validTo: r.valid_to,
    dataLevel: r.data_level as DataLevel,
    embargoDays: r.embargo_days,
    note: r.note,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}
