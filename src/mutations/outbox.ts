// Change intake and the transactional outbox. A published change and one delivery row per
// recipient are written in one transaction, so a change the hub has answered 202 for can never
// miss a recipient. The relay (relay.ts) then logs each delivery in the exchange log and hands it
// to a channel; the rows here say where every delivery stands.
import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Kysely } from 'kysely';
import type { AuthorisationRegister } from '../authz/index.ts';
import {
  type Clock,
  type IsoDate,
  Problem,
  canonicalJson,
  isIsoDate,
  newId,
  requireInsz,
  today,
} from '../kernel/index.ts';
import {
  type Actor,
  type DataService,
  type Institution,
  type NetworkRegistry,
  actorLabel,
} from '../network/index.ts';
import type { ExchangeLog, ExchangeRecord } from '../log/index.ts';
import {
  type Database,
  type PrecompiledRead,
  type PrecompiledStatement,
  type Store,
  precompileRead,
  precompileStatement,
  slot,
  slots,
} from '../store/index.ts';
import type { OutgoingDelivery } from './ledger.ts';
import {
  type ChangeKind,
  type PersonRegistration,
  type Recipient,
  changeEvent,
  keepOnly,
  selectRecipients,
} from './rules.ts';
import type { DeliveryMode, SubscriptionBook } from './subscriptions.ts';

export interface PublishInput {
  readonly service: string;
  readonly version?: number;
  readonly insz: string;
  readonly effectiveDate: IsoDate;
  readonly kind: ChangeKind;
  readonly data: Readonly<Record<string, unknown>>;
  readonly sourceReference: string;
}

export interface Accepted {
  readonly changeId: string;
  readonly recipients: number;
  /** True when this source reference had been published before (nothing new was stored). */
  readonly repeated: boolean;
}

export interface ChangeView {
  readonly id: string;
  readonly service: { readonly id: string; readonly version: number };
  readonly insz: string;
  readonly effectiveDate: string;
  readonly kind: ChangeKind;
  readonly data: Record<string, unknown>;
  readonly sourceReference: string;
  readonly receivedAt: string;
  readonly recipients: number;
  readonly deliveries: { readonly pending: number; readonly delivered: number; readonly dead: number };
}

type NewChange = Omit<Database['changes'], 'seq'>;
type NewDelivery = Omit<Database['deliveries'], 'seq'>;
const CHANGE_COLUMNS = [
  'id',
  'service',
  'service_version',
  'source_id',
  'source_reference',
  'content_hash',
  'insz',
  'effective_date',
  'kind',
  'data',
  'received_at',
  'received_by',
  'recipients',
] as const satisfies readonly (keyof NewChange)[];
const DELIVERY_COLUMNS = [
  'id',
  'change_id',
  'recipient_id',
  'insz',
  'mode',
  'event',
  'authorisation_ref',
  'authorisation_version',
  'purpose',
  'registrations',
  'fields',
  'status',
  'attempts',
  'last_error',
  'created_at',
  'delivered_at',
  'claimed_by',
  'claim_expires',
] as const satisfies readonly (keyof NewDelivery)[];

/** What a change's deliveries and log records are built from. */
interface ChangeFacts {
  readonly id: string;
  readonly service: DataService;
  readonly insz: string;
  readonly input: PublishInput;
  readonly source: Institution;
  readonly now: string;
}

/** The exchange-log record of one delivery: the recipient received the change from its source. */
function deliveryRecord(change: ChangeFacts, delivery: NewDelivery, recipient: Recipient): ExchangeRecord {
  return {
    kind: 'change',
    exchangeId: delivery.id,
    time: change.now,
    caller: recipient.institution.kbo,
    endUser: null,
    caseReference: null,
    person: change.insz,
    service: change.service.id,
    serviceVersion: change.service.version,
    purpose: recipient.purpose,
    period: { start: change.input.effectiveDate, end: null },
    decision: 'permit',
    code: null,
    reason: null,
    authorisation: recipient.authorisation,
    registrations: [...recipient.registrations],
    providers: [change.source.kbo],
    fields: [...recipient.fields],
    outcome: 'forwarded',
    durationMs: 0,
  };
}

const MAX_DATA_BYTES = 64 * 1024;
const MAX_DATA_DEPTH = 16;

/** How deeply a JSON value nests (iterative, so a hostile value cannot overflow the stack). */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > deepest) deepest = depth + 1;
    if (deepest > MAX_DATA_DEPTH) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * The source of a fixed-source service is its one institution; for a service answered through the
 * directory (e.g. a health fund's), an institution of that sector holding the person in one of the
 * service's capacities.
 */
function requireSource(
  service: DataService,
  source: Institution,
  registrations: readonly PersonRegistration[],
): void {
  const rule = service.providerRule;
  const isSource =
    rule.kind === 'fixed'
      ? rule.institution === source.kbo
      : source.sector === rule.sector &&
        (rule.subsector === undefined || rule.subsector === source.subsector) &&
        registrations.some(
          (r) =>
            r.institutionId === source.id &&
            r.sector === rule.sector &&
            (rule.capacities === undefined || rule.capacities.includes(r.capacity)),
        );
  if (!isSource) {
    throw new Problem(
      'CHANGE_SOURCE_ONLY',
      `${source.kbo} is not the authentic source of ${service.id} for this person`,
    );
  }
}

type PersonRegistrationRow = Pick<
  Database['registrations'],
  'id' | 'institution_id' | 'sector' | 'capacity' | 'start_date' | 'end_date'
>;

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface OutboxOptions {
  readonly store: Store;
  /** Commits each change with its deliveries and their log records, in one transaction. */
  readonly log: ExchangeLog;
  readonly registry: NetworkRegistry;
  readonly authorisations: AuthorisationRegister;
  readonly subscriptions: SubscriptionBook;
  readonly clock: Clock;
  /** A registration that ended at most this many days before a change's effective date still counts. */
  readonly graceDays: number;
  /** The CloudEvents `source` attribute of every event this hub sends. */
  readonly eventSource: string;
  /** This node's claim on the deliveries it writes (DeliveryLedger.freshClaim). */
  readonly claim: () => { claimed_by: string; claim_expires: string };
  /** The change's pending push deliveries this node may send (DeliveryLedger.retakeChange). */
  readonly retake: (changeId: string) => Promise<OutgoingDelivery[]>;
}

export class ChangeOutbox {
  readonly #db: Kysely<Database>;
  readonly #options: OutboxOptions;
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #ajv = addFormats.default(new Ajv({ strict: false, allErrors: false }));
  readonly #personRegistrations: PrecompiledRead<PersonRegistrationRow>;
  readonly #earlier: PrecompiledStatement;
  readonly #insertChange: PrecompiledStatement;
  readonly #insertDelivery: PrecompiledStatement;
  #accepted: ((push: OutgoingDelivery[]) => void) | undefined;

  constructor(options: OutboxOptions) {
    this.#options = options;
    const db = (this.#db = options.store.db);
    this.#personRegistrations = precompileRead(
      db
        .selectFrom('registrations')
        .select(['id', 'institution_id', 'sector', 'capacity', 'start_date', 'end_date'])
        .where('insz', '=', slot<string>('insz')),
      options.store.reader,
    );
    this.#earlier = precompileStatement(
      db
        .selectFrom('changes')
        .select(['id', 'content_hash', 'recipients'])
        .where('source_id', '=', slot('source'))
        .where('source_reference', '=', slot('reference')),
    );
    this.#insertChange = precompileStatement(
      db.insertInto('changes').values(slots<NewChange>(CHANGE_COLUMNS)),
    );
    this.#insertDelivery = precompileStatement(
      // The key the database gave it (PostgreSQL has no rowid to answer instead).
      db.insertInto('deliveries').values(slots<NewDelivery>(DELIVERY_COLUMNS)).returning('seq'),
    );
  }

  /** Called with the push deliveries of each accepted change, once committed. */
  onAccepted(listener: (push: OutgoingDelivery[]) => void): void {
    this.#accepted = listener;
  }

  async publish(source: Institution, actor: Actor, input: PublishInput): Promise<Accepted> {
    const { registry, authorisations, subscriptions, clock, log } = this.#options;
    const service = registry.service(input.service, input.version);
    if (!service) throw new Problem('UNKNOWN_SERVICE', `no data service ${input.service}`);
    const insz = requireInsz(input.insz);
    if (!isIsoDate(input.effectiveDate)) {
      throw new Problem('DATE_INVALID', `effectiveDate ${input.effectiveDate} is not a calendar date`);
    }
    // The person's registrations as the directory holds them now (committed): they say whether
    // the caller may publish this change, and who receives it.
    const registrations = (await this.#personRegistrations.all({ insz })).map((r) => ({
      id: r.id,
      institutionId: r.institution_id,
      sector: r.sector,
      capacity: r.capacity,
      start: r.start_date,
      end: r.end_date,
    }));
    requireSource(service, source, registrations);
    this.#validateData(service, input.data);
    // Fail closed: a change is accepted only with its deliveries' log records, in one commit.
    if (!log.available()) {
      throw new Problem(
        'LOG_UNAVAILABLE',
        'the exchange log has not signed its records in time; retry later',
      );
    }

    const contentHash = createHash('sha256')
      .update(
        canonicalJson({
          service: service.id,
          version: service.version,
          insz,
          effectiveDate: input.effectiveDate,
          kind: input.kind,
          data: input.data as never,
        }),
      )
      .digest('hex');
    const now = clock.now().toISOString();
    const changeId = newId();
    const recipients = selectRecipients({
      service: service.id,
      serviceFields: Object.keys(service.fieldsSchema.properties),
      changedFields: Object.keys(input.data),
      effectiveDate: input.effectiveDate,
      sourceId: source.id,
      today: today(clock),
      graceDays: this.#options.graceDays,
      registrations,
      subscriptions: subscriptions.ofService(service.id),
      authorisations: authorisations.latest(),
      institution: (id) => registry.institutionById(id),
    });
    const change: ChangeFacts = { id: changeId, service, insz, input, source, now };
    const deliveries = recipients.map((recipient) => this.#deliveryRow(recipient, change));

    const result = await log
      .commit({
        unlessExists: this.#earlier.compile({ source: source.id, reference: input.sourceReference }),
        statements: [
          this.#insertChange.compile({
            id: changeId,
            service: service.id,
            service_version: service.version,
            source_id: source.id,
            source_reference: input.sourceReference,
            content_hash: contentHash,
            insz,
            effective_date: input.effectiveDate,
            kind: input.kind,
            data: JSON.stringify(input.data),
            received_at: now,
            received_by: actorLabel(actor),
            recipients: recipients.length,
          }),
          ...deliveries.map((d) => this.#insertDelivery.compile(d)),
        ],
        records: deliveries.map((d, i) => deliveryRecord(change, d, recipients[i]!)),
      })
      .catch((error: unknown) => {
        throw new Problem(
          'LOG_UNAVAILABLE',
          `the change and its log records could not be committed: ${String(error)}`,
        );
      });
    if ('failed' in result) throw new Error(`the change could not be stored: ${result.failed}`);
    if ('skipped' in result) {
      const earlier = result.skipped as { id: string; content_hash: string; recipients: number };
      if (earlier.content_hash !== contentHash) {
        throw new Problem(
          'CHANGE_CONFLICT',
          `source reference ${input.sourceReference} was published as change ${earlier.id} with other content`,
        );
      }
      // The first attempt's answer may have been lost after its commit: its push deliveries are
      // handed over again (the channel drops those it already has).
      const again = await this.#options.retake(earlier.id);
      if (again.length > 0) this.#accepted?.(again);
      return { changeId: earlier.id, recipients: Number(earlier.recipients), repeated: true };
    }
    const push = deliveries.flatMap((d, i) =>
      d.mode === 'push'
        ? [
            {
              seq: result.results[i + 1]!.lastInsertRowid,
              id: d.id,
              recipientId: d.recipient_id,
              insz,
              event: d.event,
              attempts: 0,
            },
          ]
        : [],
    );
    if (push.length > 0) this.#accepted?.(push);
    return { changeId, recipients: recipients.length, repeated: false };
  }

  #deliveryRow(recipient: Recipient, change: ChangeFacts): NewDelivery {
    const deliveryId = newId();
    const event = changeEvent({
      deliveryId,
      source: this.#options.eventSource,
      changeId: change.id,
      service: { id: change.service.id, version: change.service.version },
      kind: change.input.kind,
      insz: change.insz,
      effectiveDate: change.input.effectiveDate,
      publishedBy: change.source.kbo,
      time: change.now,
      authorisation: recipient.authorisation,
      purpose: recipient.purpose,
      values: keepOnly(change.input.data, recipient.fields),
    });
    const mode: DeliveryMode = this.#options.subscriptions.settings(recipient.institution.id).mode;
    return {
      id: deliveryId,
      change_id: change.id,
      recipient_id: recipient.institution.id,
      insz: change.insz,
      mode,
      event: JSON.stringify(event),
      authorisation_ref: recipient.authorisation.ref,
      authorisation_version: recipient.authorisation.version,
      purpose: recipient.purpose,
      registrations: JSON.stringify(recipient.registrations),
      fields: JSON.stringify(recipient.fields),
      status: 'pending',
      attempts: 0,
      last_error: null,
      created_at: change.now,
      delivered_at: null,
      // The node that accepted the change sends it (another takes over if this one dies).
      ...this.#options.claim(),
    };
  }

  #validateData(service: DataService, data: Readonly<Record<string, unknown>>): void {
    // A change is a few fields about one person: bounded so that no event outgrows a webhook's or
    // JetStream's message limit, and no nesting can exhaust a stack while it is checked or logged.
    if (nestingDepth(data) > MAX_DATA_DEPTH) {
      throw new Problem('CHANGE_DATA_INVALID', `data is nested deeper than ${MAX_DATA_DEPTH} levels`);
    }
    if (Buffer.byteLength(JSON.stringify(data)) > MAX_DATA_BYTES) {
      throw new Problem('CHANGE_DATA_INVALID', `data is larger than ${MAX_DATA_BYTES / 1024} KiB`);
    }
    const known = Object.keys(service.fieldsSchema.properties);
    const unknown = Object.keys(data).filter((k) => !known.includes(k));
    if (unknown.length > 0) {
      throw new Problem('CHANGE_DATA_INVALID', `${service.id} has no field(s) ${unknown.join(', ')}`);
    }
    const key = `${service.id}@${service.version}`;
    let validate = this.#validators.get(key);
    if (!validate) {
      // The schema describes a full answer; a change may carry only the fields that changed.
      const { required: _required, ...schema } = service.fieldsSchema;
      validate = this.#ajv.compile(schema);
      this.#validators.set(key, validate);
    }
    if (!validate(data)) {
      const error = validate.errors?.[0];
      const where = error?.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : 'data';
      throw new Problem('CHANGE_DATA_INVALID', `${where} ${error?.message ?? 'is invalid'}`);
    }
  }

  /** A change as its publisher sees it, with where its deliveries stand. */
  async change(source: Institution, id: string): Promise<ChangeView> {
    const row = await this.#db
      .selectFrom('changes')
      .selectAll()
      .where('id', '=', id)
      .where('source_id', '=', source.id)
      .executeTakeFirst();
    if (!row) throw new Problem('UNKNOWN_CHANGE', `you published no change ${id}`);
    const counts = await this.#db
      .selectFrom('deliveries')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('change_id', '=', row.id)
      .groupBy('status')
      .execute();
    const count = (status: DeliveryStatus): number => Number(counts.find((c) => c.status === status)?.n ?? 0);
    return {
      id: row.id,
      service: { id: row.service, version: row.service_version },
      insz: row.insz,
      effectiveDate: row.effective_date,
      kind: row.kind as ChangeKind,
      data: JSON.parse(row.data) as Record<string, unknown>,
      sourceReference: row.source_reference,
      receivedAt: row.received_at,
      recipients: row.recipients,
      deliveries: { pending: count('pending'), delivered: count('delivered'), dead: count('dead') },
    };
  }
}
