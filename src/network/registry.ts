// The network registry: institutions, capacities, the data-service catalogue and credentials.
// The whole registry is small (thousands of rows), so it is held in memory and reloaded after
// every change; readers on the exchange path never touch the database.
import type { Kysely } from 'kysely';
import { type Clock, Generations, Problem, newId, parseKbo } from '../kernel/index.ts';
import type { Database } from '../store/index.ts';
import { hashSecret, mintCredential, secretMatches, splitToken } from './credentials.ts';
import { findSector } from './reference.ts';
import {
  type Actor,
  type Capacity,
  type DataService,
  type FieldsSchema,
  type Institution,
  type ProviderRule,
  actorLabel,
} from './types.ts';

export interface InstitutionInput {
  readonly kbo: string;
  readonly nameNl: string;
  readonly nameFr: string;
  readonly sector: number | null;
  readonly subsector: number | null;
  readonly sourceUrl?: string | null;
  readonly sourceToken?: string | null;
}

export interface ServiceInput {
  readonly id: string;
  readonly title: DataService['title'];
  readonly description: string;
  readonly fieldsSchema: FieldsSchema;
  readonly providerRule: ProviderRule;
}

const VERIFIED_CACHE_LIMIT = 10_000;

interface CredentialEntry {
  readonly institutionId: string | null;
  readonly secretHash: string;
}

export class NetworkRegistry {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  #institutionsById = new Map<string, Institution>();
  #institutionsByKbo = new Map<string, Institution>();
  #capacities = new Map<string, Capacity>();
  #services = new Map<string, DataService[]>(); // id → versions, ascending
  #credentials = new Map<string, CredentialEntry>();
  readonly #generations = new Generations();
  /** Tokens already verified since the last reload: skips hashing on every request. */
  #verified = new Map<string, Actor>();

  private constructor(db: Kysely<Database>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  static async load(db: Kysely<Database>, clock: Clock): Promise<NetworkRegistry> {
    const registry = new NetworkRegistry(db, clock);
    await registry.reload();
    return registry;
  }

  async reload(): Promise<void> {
    const generation = this.#generations.start();
    const [institutions, capacities, services, credentials] = await Promise.all([
      this.#db.selectFrom('institutions').selectAll().execute(),
      this.#db.selectFrom('capacities').selectAll().execute(),
      this.#db.selectFrom('services').selectAll().orderBy('id').orderBy('version').execute(),
      this.#db.selectFrom('credentials').selectAll().where('revoked_at', 'is', null).execute(),
    ]);
    if (!this.#generations.isLatest(generation)) return; // a later reload already swapped in newer rows
    this.#institutionsById = new Map(institutions.map((r) => [r.id, toInstitution(r)]));
    this.#institutionsByKbo = new Map([...this.#institutionsById.values()].map((i) => [i.kbo, i]));
    this.#capacities = new Map(capacities.map((r) => [capacityKey(r.sector, r.code), toCapacity(r)]));
    this.#services = new Map();
    for (const row of services) {
      const versions = this.#services.get(row.id) ?? [];
      versions.push(toService(row));
      this.#services.set(row.id, versions);
    }
    this.#credentials = new Map(
      credentials.map((c) => [c.id, { institutionId: c.institution_id, secretHash: c.secret_hash }]),
    );
    // Any change (a revoked credential, a renamed institution) forgets every verified token.
    this.#verified = new Map();
  }

  // ---- reading ----

  institutionById(id: string): Institution | undefined {
    return this.#institutionsById.get(id);
  }

  institutionByKbo(kbo: string): Institution | undefined {
    return this.#institutionsByKbo.get(kbo);
  }

  institutions(): Institution[] {
    return [...this.#institutionsById.values()].sort((a, b) => a.kbo.localeCompare(b.kbo));
  }

  capacity(sector: number, code: number): Capacity | undefined {
    return this.#capacities.get(capacityKey(sector, code));
  }

  capacities(): Capacity[] {
    return [...this.#capacities.values()].sort((a, b) => a.sector - b.sector || a.code - b.code);
  }

  /** The given version of a service, or its latest. */
  service(id: string, version?: number): DataService | undefined {
    const versions = this.#services.get(id);
    if (!versions) return undefined;
    return version === undefined ? versions.at(-1) : versions.find((s) => s.version === version);
  }

  /** The latest version of every service. */
  services(): DataService[] {
    return [...this.#services.values()].map((v) => v.at(-1)).filter((s) => s !== undefined);
  }

  serviceVersions(id: string): readonly DataService[] {
    return this.#services.get(id) ?? [];
  }

  /** Resolves a bearer token to the actor it belongs to; undefined when unknown, revoked or wrong. */
  authenticate(token: string): Actor | undefined {
    const known = this.#verified.get(token);
    if (known) return known;
    const actor = this.#verifyToken(token);
    if (actor) {
      if (this.#verified.size >= VERIFIED_CACHE_LIMIT) this.#verified.clear();
      this.#verified.set(token, actor);
    }
    return actor;
  }

  #verifyToken(token: string): Actor | undefined {
    const parts = splitToken(token);
    if (!parts) return undefined;
    const entry = this.#credentials.get(parts.id);
    if (!entry || !secretMatches(parts.secret, entry.secretHash)) return undefined;
    if (entry.institutionId === null) return { kind: 'operator', credentialId: parts.id };
    const institution = this.#institutionsById.get(entry.institutionId);
    return institution ? { kind: 'institution', institution, credentialId: parts.id } : undefined;
  }

  // ---- changing (operator) ----

  async createInstitution(input: InstitutionInput, actor: Actor): Promise<Institution> {
    const kbo = validKbo(input.kbo);
    validateSector(input.sector, input.subsector);
    validateSourceUrl(input.sourceUrl);
    if (this.#institutionsByKbo.has(kbo))
      throw new Problem('INSTITUTION_EXISTS', `${kbo} is already registered`);
    const at = this.#clock.now().toISOString();
    const by = actorLabel(actor);
    const id = newId();
    await this.#db
      .insertInto('institutions')
      .values({
        id,
        kbo,
        name_nl: input.nameNl,
        name_fr: input.nameFr,
        sector: input.sector,
        subsector: input.subsector,
        source_url: input.sourceUrl ?? null,
        source_token: input.sourceToken ?? null,
        created_at: at,
        created_by: by,
        updated_at: at,
        updated_by: by,
      })
      .execute();
    await this.reload();
    return this.#institutionsById.get(id)!;
  }

  async updateInstitution(
    kbo: string,
    patch: Partial<Pick<InstitutionInput, 'nameNl' | 'nameFr' | 'sourceUrl' | 'sourceToken'>>,
    actor: Actor,
  ): Promise<Institution> {
    const existing = this.#institutionsByKbo.get(kbo);
    if (!existing) throw new Problem('UNKNOWN_INSTITUTION', `no institution ${kbo}`);
    validateSourceUrl(patch.sourceUrl);
    await this.#db
      .updateTable('institutions')
      .set({
        ...(patch.nameNl !== undefined ? { name_nl: patch.nameNl } : {}),
        ...(patch.nameFr !== undefined ? { name_fr: patch.nameFr } : {}),
        ...(patch.sourceUrl !== undefined ? { source_url: patch.sourceUrl } : {}),
        ...(patch.sourceToken !== undefined ? { source_token: patch.sourceToken } : {}),
        updated_at: this.#clock.now().toISOString(),
        updated_by: actorLabel(actor),
      })
      .where('id', '=', existing.id)
      .execute();
    await this.reload();
    return this.#institutionsById.get(existing.id)!;
  }

  async createCapacity(capacity: Capacity, actor: Actor): Promise<Capacity> {
    if (!findSector(capacity.sector, 0) && !findSector(capacity.sector, 1)) {
      throw new Problem('UNKNOWN_SECTOR', `sector ${capacity.sector} is not in the official list`);
    }
    if (this.capacity(capacity.sector, capacity.code)) {
      throw new Problem('CAPACITY_EXISTS', `capacity ${capacity.code} exists in sector ${capacity.sector}`);
    }
    await this.#db
      .insertInto('capacities')
      .values({
        sector: capacity.sector,
        code: capacity.code,
        label_nl: capacity.labelNl,
        label_fr: capacity.labelFr,
        exclusive: capacity.exclusive ? 1 : 0,
        created_at: this.#clock.now().toISOString(),
        created_by: actorLabel(actor),
      })
      .execute();
    await this.reload();
    return this.capacity(capacity.sector, capacity.code)!;
  }

  /** Publishes a new version of a service (version 1 when the id is new). */
  async publishService(input: ServiceInput, actor: Actor): Promise<DataService> {
    this.#validateProviderRule(input.providerRule);
    if (Object.keys(input.fieldsSchema.properties).length === 0) {
      throw new Problem('VALIDATION_FAILED', 'a data service returns at least one field');
    }
    const version = (this.service(input.id)?.version ?? 0) + 1;
    await this.#db
      .insertInto('services')
      .values({
        id: input.id,
        version,
        title_nl: input.title.nl,
        title_fr: input.title.fr,
        title_en: input.title.en,
        description: input.description,
        fields_schema: JSON.stringify(input.fieldsSchema),
        provider_rule: JSON.stringify(input.providerRule),
        created_at: this.#clock.now().toISOString(),
        created_by: actorLabel(actor),
      })
      .execute();
    await this.reload();
    return this.service(input.id, version)!;
  }

  /** Issues a credential for an institution (by KBO) or, with `null`, for the operator. */
  async issueCredential(
    institutionKbo: string | null,
    label: string,
    actor: Actor,
  ): Promise<{ id: string; token: string }> {
    let institutionId: string | null = null;
    if (institutionKbo !== null) {
      const institution = this.#institutionsByKbo.get(institutionKbo);
      if (!institution) throw new Problem('UNKNOWN_INSTITUTION', `no institution ${institutionKbo}`);
      institutionId = institution.id;
    }
    const credential = mintCredential();
    await this.#db
      .insertInto('credentials')
      .values({
        id: credential.id,
        institution_id: institutionId,
        secret_hash: credential.secretHash,
        label,
        created_at: this.#clock.now().toISOString(),
        created_by: actorLabel(actor),
        revoked_at: null,
        revoked_by: null,
      })
      .execute();
    await this.reload();
    return { id: credential.id, token: credential.token };
  }

  async revokeCredential(id: string, actor: Actor): Promise<void> {
    const result = await this.#db
      .updateTable('credentials')
      .set({ revoked_at: this.#clock.now().toISOString(), revoked_by: actorLabel(actor) })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new Problem('UNKNOWN_CREDENTIAL', `no active credential ${id}`);
    await this.reload();
  }

  async hasOperatorCredential(): Promise<boolean> {
    const row = await this.#db
      .selectFrom('credentials')
      .select('id')
      .where('institution_id', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Records an operator credential whose secret the operator chose (CROSSROADS_OPERATOR_TOKEN). */
  async adoptOperatorToken(token: string): Promise<boolean> {
    const parts = splitToken(token);
    if (!parts) throw new Problem('VALIDATION_FAILED', 'an operator token has the form cr.<id>.<secret>');
    if (this.#credentials.has(parts.id)) return false;
    await this.#db
      .insertInto('credentials')
      .values({
        id: parts.id,
        institution_id: null,
        secret_hash: hashSecret(parts.secret),
        label: 'operator (from configuration)',
        created_at: this.#clock.now().toISOString(),
        created_by: 'system:configuration',
        revoked_at: null,
        revoked_by: null,
      })
      .execute();
    await this.reload();
    return true;
  }

  #validateProviderRule(rule: ProviderRule): void {
    if (rule.kind === 'fixed') {
      const source = this.#institutionsByKbo.get(rule.institution);
      if (!source)
        throw new Problem('UNKNOWN_INSTITUTION', `the provider ${rule.institution} is not registered`);
      return;
    }
    if (!findSector(rule.sector, rule.subsector ?? 0) && !findSector(rule.sector, 1)) {
      throw new Problem('UNKNOWN_SECTOR', `sector ${rule.sector} is not in the official list`);
    }
    for (const code of rule.capacities ?? []) {
      if (!this.capacity(rule.sector, code)) {
        throw new Problem('UNKNOWN_CAPACITY', `capacity ${code} is not defined in sector ${rule.sector}`);
      }
    }
  }
}

function validKbo(input: string): string {
  const parsed = parseKbo(input);
  if (!parsed.ok) throw new Problem(parsed.code, parsed.reason);
  return parsed.kbo;
}

function validateSector(sector: number | null, subsector: number | null): void {
  if (sector === null && subsector === null) return;
  if (sector === null || subsector === null || !findSector(sector, subsector)) {
    throw new Problem('UNKNOWN_SECTOR', `sector ${sector}.${subsector} is not in the official list`);
  }
}

function validateSourceUrl(url: string | null | undefined): void {
  if (url == null) return;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new Problem('VALIDATION_FAILED', `source URL ${url} is not an http(s) URL`);
  }
}

function capacityKey(sector: number, code: number): string {
  return `${sector}:${code}`;
}

function toInstitution(r: Database['institutions']): Institution {
  return {
    id: r.id,
    kbo: r.kbo,
    nameNl: r.name_nl,
    nameFr: r.name_fr,
    sector: r.sector,
    subsector: r.subsector,
    sourceUrl: r.source_url,
    sourceToken: r.source_token,
  };
}

function toCapacity(r: Database['capacities']): Capacity {
  return {
    sector: r.sector,
    code: r.code,
    labelNl: r.label_nl,
    labelFr: r.label_fr,
    exclusive: r.exclusive === 1,
  };
}

function toService(r: Database['services']): DataService {
  return {
    id: r.id,
    version: r.version,
    title: { nl: r.title_nl, fr: r.title_fr, en: r.title_en },
    description: r.description,
    fieldsSchema: JSON.parse(r.fields_schema) as FieldsSchema,
    providerRule: JSON.parse(r.provider_rule) as ProviderRule,
  };
}
