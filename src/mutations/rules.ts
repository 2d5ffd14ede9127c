// The pure rules of change push: who receives a change, what of it, in which envelope, and when a
// failed delivery is tried again. No I/O: everything comes in as arguments.
import { type Authorisation, type AuthorisationRef, inForce, isRecipient } from '../authz/index.ts';
import { type IsoDate, addDays, containsDate } from '../kernel/index.ts';

export const CHANGE_KINDS = ['created', 'updated', 'ended', 'corrected'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface CapacityRef {
  readonly sector: number;
  readonly code: number;
}

/** An institution's standing request to hear about changes to one data service. */
export interface Subscription {
  readonly id: string;
  readonly institutionId: string;
  readonly service: string;
  /** Only people held in one of these capacities; null: every capacity the authorisation names. */
  readonly capacities: readonly CapacityRef[] | null;
  /** The purpose the changes are received for; null: the first one the authorisation names. */
  readonly purpose: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface RecipientInstitution {
  readonly id: string;
  readonly kbo: string;
  readonly sector: number | null;
  readonly subsector: number | null;
}

/** One of the person's registrations, at any institution. */
export interface PersonRegistration {
  readonly id: string;
  readonly institutionId: string;
  readonly sector: number;
  readonly capacity: number;
  readonly start: IsoDate;
  readonly end: IsoDate | null;
}

export interface FanOutInput {
  readonly service: string;
  /** Every field the service has (its schema's top-level properties). */
  readonly serviceFields: readonly string[];
  /**
   * The fields the change carries; an institution allowed none of them receives nothing (an empty
   * event would still tell it that something it may not see changed). Empty (e.g. an `ended`
   * change without data) or absent: every recipient.
   */
  readonly changedFields?: readonly string[];
  readonly effectiveDate: IsoDate;
  /** The publishing institution, which never receives its own change. */
  readonly sourceId: string;
  readonly today: IsoDate;
  /** A registration that ended at most this many days before the effective date still counts. */
  readonly graceDays: number;
  readonly registrations: readonly PersonRegistration[];
  /** The active subscriptions to this service. */
  readonly subscriptions: readonly Subscription[];
  /** The latest version of every authorisation. */
  readonly authorisations: readonly Authorisation[];
  readonly institution: (id: string) => RecipientInstitution | undefined;
}

export interface Recipient {
  readonly institution: RecipientInstitution;
  readonly subscription: string;
  readonly authorisation: AuthorisationRef;
  readonly purpose: string;
  /** The registrations that make the institution a recipient. */
  readonly registrations: readonly string[];
  /** The fields of the change it receives, in the service's order. */
  readonly fields: readonly string[];
}

/**
 * The recipients of a change: institutions that subscribed to the service, hold a registration
 * for the person active on the effective date (or ended within the grace period) in a subscribed
 * capacity, and are allowed by an authorisation in force today to receive the service about people
 * held in that capacity. When several authorisations allow it, the one giving the most fields wins.
 */
export function selectRecipients(input: FanOutInput): Recipient[] {
  const recipients: Recipient[] = [];
  for (const subscription of input.subscriptions) {
    if (subscription.service !== input.service || subscription.institutionId === input.sourceId) continue;
    const institution = input.institution(subscription.institutionId);
    if (!institution) continue;
    const held = input.registrations.filter(
      (r) =>
        r.institutionId === institution.id &&
        relevantOn(r, input.effectiveDate, input.graceDays) &&
        (subscription.capacities === null ||
          subscription.capacities.some((c) => c.sector === r.sector && c.code === r.capacity)),
    );
    if (held.length === 0) continue;
    let best: Recipient | undefined;
    for (const authorisation of input.authorisations) {
      const candidate = underAuthorisation(authorisation, institution, subscription, held, input);
      if (candidate && (!best || candidate.fields.length > best.fields.length)) best = candidate;
    }
    if (best) recipients.push(best);
  }
  return recipients;
}

function underAuthorisation(
  authorisation: Authorisation,
  institution: RecipientInstitution,
  subscription: Subscription,
  held: readonly PersonRegistration[],
  input: FanOutInput,
): Recipient | undefined {
  const grant = authorisation.services.find((s) => s.service === input.service);
  if (!grant || authorisation.dataLevel !== 'identified') return undefined;
  if (!inForce(authorisation, input.today) || !isRecipient(authorisation, institution)) return undefined;
  const purpose = subscription.purpose ?? authorisation.purposes[0];
  if (purpose === undefined || !authorisation.purposes.includes(purpose)) return undefined;
  const named = held.filter((r) =>
    authorisation.capacities.some((c) => c.sector === r.sector && c.code === r.capacity),
  );
  const changed = input.changedFields;
  const allowed = input.serviceFields.filter((f) => grant.fields.includes(f));
  const fields = changed && changed.length > 0 ? allowed.filter((f) => changed.includes(f)) : allowed;
  if (named.length === 0 || allowed.length === 0) return undefined;
  if (changed && changed.length > 0 && fields.length === 0) return undefined;
  return {
    institution,
    subscription: subscription.id,
    authorisation: { ref: authorisation.ref, version: authorisation.version },
    purpose,
    registrations: named.map((r) => r.id),
    fields,
  };
}

/**
 * Whether some authorisation in force today lets the institution receive the subscribed service
 * at all (whether a given person's change reaches it depends on its registrations too).
 */
export function subscriptionAuthorised(
  subscription: Subscription,
  institution: RecipientInstitution,
  authorisations: readonly Authorisation[],
  today: IsoDate,
): boolean {
  return authorisations.some(
    (a) =>
      a.dataLevel === 'identified' &&
      a.services.some((s) => s.service === subscription.service) &&
      (subscription.purpose === null ? a.purposes.length > 0 : a.purposes.includes(subscription.purpose)) &&
      (subscription.capacities === null ||
        subscription.capacities.some((c) =>
          a.capacities.some((n) => n.sector === c.sector && n.code === c.code),
        )) &&
      inForce(a, today) &&
      isRecipient(a, institution),
  );
}

/** Active on the day, or ended (end is exclusive) no more than `graceDays` before it. */
export function relevantOn(r: PersonRegistration, day: IsoDate, graceDays: number): boolean {
  if (containsDate({ start: r.start, end: r.end }, day)) return true;
  return r.end !== null && r.end <= day && r.start < r.end && addDays(r.end, graceDays) > day;
}

/** Only the fields a recipient may receive. */
export function keepOnly(
  data: Readonly<Record<string, unknown>>,
  fields: readonly string[],
): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const field of fields) if (Object.hasOwn(data, field)) kept[field] = data[field];
  return kept;
}

export interface ChangeEventInput {
  readonly deliveryId: string;
  /** The CloudEvents `source`: which hub sent it. */
  readonly source: string;
  readonly changeId: string;
  readonly service: { readonly id: string; readonly version: number };
  readonly kind: ChangeKind;
  readonly insz: string;
  readonly effectiveDate: IsoDate;
  readonly publishedBy: string;
  readonly time: string;
  readonly authorisation: AuthorisationRef;
  readonly purpose: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/** A CloudEvents 1.0 event in structured JSON mode; its `id` is the delivery id. */
export interface ChangeEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: {
    readonly change: string;
    readonly kind: ChangeKind;
    readonly service: { readonly id: string; readonly version: number };
    readonly effectiveDate: IsoDate;
    /** KBO of the authentic source that published the change. */
    readonly publishedBy: string;
    readonly authorisation: AuthorisationRef;
    readonly purpose: string;
    readonly values: Readonly<Record<string, unknown>>;
  };
}

export function changeEvent(input: ChangeEventInput): ChangeEvent {
  return {
    specversion: '1.0',
    id: input.deliveryId,
    source: input.source,
    type: `be.crossroads.change.${input.service.id}`,
    subject: input.insz,
    time: input.time,
    datacontenttype: 'application/json',
    data: {
      change: input.changeId,
      kind: input.kind,
      service: input.service,
      effectiveDate: input.effectiveDate,
      publishedBy: input.publishedBy,
      authorisation: input.authorisation,
      purpose: input.purpose,
      values: input.values,
    },
  };
}

export interface RetryPolicy {
  /** Delay before the second attempt; it doubles after each failure. */
  readonly baseMs: number;
  readonly maxMs: number;
  /** Failed attempts after which a delivery parks as dead. */
  readonly maxAttempts: number;
}

/**
 * How long to wait after the `failures`-th failure: exponential, capped, with "equal jitter"
 * (half fixed, half random) so receivers that come back are not hit by every hub at once.
 * `random` is in [0, 1).
 */
export function retryDelayMs(failures: number, policy: RetryPolicy, random: number): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random);
}
