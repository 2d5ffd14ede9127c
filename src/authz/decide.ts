// Preventive access control (domain.md §3, architecture.md §3). Pure: everything it needs is in
// the request and the snapshot, including the hub's "today". Deny by default; permit only when an
// authorisation in force covers (caller, service, purpose, fields) AND the caller holds, today, a
// registration for the person in a capacity that authorisation names, and its registrations in
// those capacities cover the whole period asked.
import { containsDate, coveringChain, overlaps, type IsoDate, type Period } from '../kernel/index.ts';
import type { Authorisation, AuthorisationRef, DenialCode } from './types.ts';

export interface Caller {
  readonly kbo: string;
  readonly sector: number | null;
  readonly subsector: number | null;
}

/** The caller's registrations for the person (any capacity, ended ones included). */
export interface HeldRegistration {
  readonly id: string;
  readonly sector: number;
  readonly capacity: number;
  readonly start: IsoDate;
  readonly end: IsoDate | null;
}

export interface DecisionRequest {
  readonly caller: Caller;
  readonly service: string;
  /** Every field the service returns. */
  readonly serviceFields: readonly string[];
  readonly purpose: string;
  readonly period: Period;
  /** Fields asked for; absent means "all the authorisation allows". */
  readonly fields?: readonly string[];
}

export interface DecisionSnapshot {
  readonly today: IsoDate;
  /** The latest version of every authorisation (older versions never decide). */
  readonly authorisations: readonly Authorisation[];
  readonly registrations: readonly HeldRegistration[];
}

export type Decision =
  | {
      readonly permit: true;
      readonly authorisation: AuthorisationRef;
      readonly registrations: readonly string[];
      /** The fields to keep from the source's answer. */
      readonly fields: readonly string[];
    }
  | {
      readonly permit: false;
      readonly code: DenialCode;
      readonly reason: string;
      readonly authorisation?: AuthorisationRef;
    };

type Denial = Extract<Decision, { permit: false }>;

// Denials are ranked by how far the request got; the answer names the furthest one, which is
// the most useful thing to tell the caller ("your purpose is wrong" beats "no authorisation").
const RANK: Record<DenialCode, number> = {
  NO_AUTHORISATION: 0,
  AUTHORISATION_NOT_IN_FORCE: 1,
  PURPOSE_NOT_AUTHORISED: 2,
  FIELD_NOT_AUTHORISED: 3,
  NO_ACTIVE_REGISTRATION: 4,
  PERIOD_NOT_COVERED: 5,
};

export function decide(request: DecisionRequest, snapshot: DecisionSnapshot): Decision {
  let best: Denial = {
    permit: false,
    code: 'NO_AUTHORISATION',
    reason: `no authorisation lets ${request.caller.kbo} receive ${request.service}`,
  };
  for (const authorisation of snapshot.authorisations) {
    const grant = authorisation.services.find((s) => s.service === request.service);
    if (!grant || authorisation.dataLevel !== 'identified' || !isRecipient(authorisation, request.caller))
      continue;
    const outcome = evaluate(authorisation, grant.fields, request, snapshot);
    if (outcome.permit) return outcome;
    if (RANK[outcome.code] > RANK[best.code]) best = outcome;
  }
  return best;
}

function evaluate(
  authorisation: Authorisation,
  grantedFields: readonly string[],
  request: DecisionRequest,
  snapshot: DecisionSnapshot,
): Decision {
  const ref = { ref: authorisation.ref, version: authorisation.version };
  const deny = (code: DenialCode, reason: string): Denial => ({
    permit: false,
    code,
    reason,
    authorisation: ref,
  });

  if (!inForce(authorisation, snapshot.today)) {
    return deny('AUTHORISATION_NOT_IN_FORCE', `${authorisation.ref} is ${describeValidity(authorisation)}`);
  }
  if (!authorisation.purposes.includes(request.purpose)) {
    return deny('PURPOSE_NOT_AUTHORISED', `${authorisation.ref} does not cover purpose ${request.purpose}`);
  }
  const allowed = grantedFields.filter((f) => request.serviceFields.includes(f));
  const asked = request.fields ?? allowed;
  const refused = asked.filter((f) => !allowed.includes(f));
  if (refused.length > 0) {
    return deny(
      'FIELD_NOT_AUTHORISED',
      `${authorisation.ref} does not cover the field(s) ${refused.join(', ')}`,
    );
  }

  const named = snapshot.registrations.filter((r) =>
    authorisation.capacities.some((c) => c.sector === r.sector && c.code === r.capacity),
  );
  if (!named.some((r) => containsDate({ start: r.start, end: r.end }, snapshot.today))) {
    return deny('NO_ACTIVE_REGISTRATION', `no active registration in a capacity ${authorisation.ref} names`);
  }
  const chain = coveringChain(
    named.filter((r) => overlaps({ start: r.start, end: r.end }, request.period)),
    request.period,
  );
  if (!chain) {
    return deny('PERIOD_NOT_COVERED', 'your registrations do not cover the whole period asked');
  }
  return { permit: true, authorisation: ref, registrations: chain.map((r) => r.id), fields: asked };
}

export function isRecipient(authorisation: Authorisation, caller: Caller): boolean {
  if (authorisation.recipients.institutions.includes(caller.kbo)) return true;
  return authorisation.recipients.sectors.some(
    (s) => s.sector === caller.sector && (s.subsector === undefined || s.subsector === caller.subsector),
  );
}

/**
 * In force on a day when the day lies in [validFrom, validTo). A withdrawal is a version whose
 * validTo is the withdrawal date, so one withdrawn "from next month" stays in force until then.
 */
export function inForce(authorisation: Authorisation, on: IsoDate): boolean {
  // A withdrawal always carries its date; one without is treated as withdrawn at once.
  if (authorisation.status === 'withdrawn' && authorisation.validTo === null) return false;
  return containsDate({ start: authorisation.validFrom, end: authorisation.validTo }, on);
}

function describeValidity(a: Authorisation): string {
  if (a.status === 'withdrawn') return `withdrawn from ${a.validTo ?? a.validFrom}`;
  return `valid from ${a.validFrom} to ${a.validTo ?? '(open)'}`;
}
