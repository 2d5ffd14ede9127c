// The one closed list of problem codes (RFC 9457 problem details, https://www.rfc-editor.org/rfc/rfc9457).
// Every refusal the hub gives names one of these; handlers throw a Problem, they never pick a status.
// docs/problems.md documents each code; test/kernel/problems.test.ts keeps the two identical.

export const PROBLEMS = {
  // Identifiers and dates
  INSZ_FORMAT: { status: 400, title: 'The INSZ is not 11 digits' },
  INSZ_CHECKSUM: { status: 400, title: 'The INSZ check digits are wrong' },
  INSZ_MONTH: { status: 400, title: 'The INSZ has an impossible month' },
  INSZ_DAY: { status: 400, title: 'The INSZ has an impossible day' },
  INSZ_SEQUENCE: { status: 400, title: 'The INSZ sequence number is out of range' },
  KBO_FORMAT: { status: 400, title: 'The enterprise number is not 10 digits' },
  KBO_PREFIX: { status: 400, title: 'The enterprise number does not start with 0 or 1' },
  KBO_CHECKSUM: { status: 400, title: 'The enterprise number check digits are wrong' },
  DATE_INVALID: { status: 400, title: 'A date is not a valid ISO 8601 calendar date' },
  PERIOD_INVALID: { status: 400, title: 'The period ends on or before it starts' },
  // Requests in general
  VALIDATION_FAILED: { status: 400, title: 'The request does not match its schema' },
  BODY_MALFORMED: { status: 400, title: 'The request body is not valid JSON' },
  BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body has an unsupported media type' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such endpoint' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  // Authentication
  UNAUTHENTICATED: { status: 401, title: 'A bearer credential is required' },
  CREDENTIAL_INVALID: { status: 401, title: 'The credential is unknown, revoked or wrong' },
  OPERATOR_ONLY: { status: 403, title: 'Only the hub operator may do this' },
  INSTITUTION_ONLY: { status: 403, title: 'Only an institution may do this' },
  // Network registry and authorisations (operator)
  UNKNOWN_INSTITUTION: { status: 404, title: 'No such institution' },
  INSTITUTION_EXISTS: { status: 409, title: 'An institution with this enterprise number exists' },
  UNKNOWN_SECTOR: { status: 400, title: 'No such sector or sub-sector' },
  UNKNOWN_CAPACITY: { status: 400, title: 'No such capacity code in this sector' },
  CAPACITY_EXISTS: { status: 409, title: 'This capacity code exists in this sector' },
  UNKNOWN_SERVICE: { status: 404, title: 'No such data service' },
  SERVICE_EXISTS: { status: 409, title: 'This data service version exists' },
  SERVICE_FIELD_UNKNOWN: { status: 400, title: 'A field is not returned by this data service' },
  UNKNOWN_AUTHORISATION: { status: 404, title: 'No such authorisation' },
  AUTHORISATION_EXISTS: { status: 409, title: 'An authorisation with this reference exists' },
  AUTHORISATION_WITHDRAWN: { status: 409, title: 'The authorisation is withdrawn and cannot be amended' },
  UNKNOWN_CREDENTIAL: { status: 404, title: 'No such credential' },
  // Persons directory
  PERSON_UNKNOWN: { status: 404, title: 'The identity source does not know this person' },
  IDENTITY_MISMATCH: { status: 422, title: 'The proof of identity does not match the identity source' },
  EXCLUSIVITY_CONFLICT: {
    status: 409,
    title: 'Another institution of the sector holds this exclusive capacity',
  },
  REGISTRATION_OVERLAP: {
    status: 409,
    title: 'You already hold an overlapping registration in this capacity',
  },
  SECTOR_MISMATCH: { status: 400, title: 'The line names another sector than its institution’s' },
  REGISTRATION_NOT_FOUND: { status: 404, title: 'No such registration of yours' },
  REGISTRATION_ENDED: { status: 409, title: 'The registration has already ended' },
  IDENTITY_SOURCE_UNAVAILABLE: { status: 503, title: 'The identity source could not be reached' },
  // Preventive access control (decide)
  NO_AUTHORISATION: { status: 403, title: 'No authorisation lets you receive this data service' },
  AUTHORISATION_NOT_IN_FORCE: {
    status: 403,
    title: 'The authorisation for this data service is not in force',
  },
  PURPOSE_NOT_AUTHORISED: { status: 403, title: 'No authorisation covers this purpose' },
  FIELD_NOT_AUTHORISED: { status: 403, title: 'A requested field is not covered by the authorisation' },
  NO_ACTIVE_REGISTRATION: {
    status: 403,
    title: 'You hold no registration for this person in a required capacity',
  },
  PERIOD_NOT_COVERED: { status: 403, title: 'Your registrations do not cover the whole period asked' },
  // Routing and forwarding
  NO_PROVIDER: { status: 404, title: 'No institution holds this data for this person and period' },
  PROVIDER_UNAVAILABLE: { status: 502, title: 'The authentic source could not be reached' },
  PROVIDER_TIMEOUT: { status: 504, title: 'The authentic source did not answer in time' },
  PROVIDER_ERROR: { status: 502, title: 'The authentic source gave an invalid answer' },
  PROVIDER_NO_DATA: { status: 404, title: 'The authentic source holds no data for this person' },
  // The tamper-evident log
  LOG_UNAVAILABLE: {
    status: 503,
    title: 'The exchange log cannot record exchanges now; nothing is forwarded',
  },
  LOG_SIZE_UNKNOWN: { status: 404, title: 'The log has no signed tree of that size' },
  UNKNOWN_WITNESS: { status: 403, title: 'The cosignature is not from a registered witness' },
  COSIGNATURE_INVALID: { status: 400, title: 'The cosignature does not verify for that checkpoint' },
  WITNESS_EXISTS: { status: 409, title: 'A witness with this name is registered' },
  // Change push
  CHANGE_SOURCE_ONLY: {
    status: 403,
    title: 'Only the authentic source of this data service may publish its changes',
  },
  CHANGE_DATA_INVALID: { status: 400, title: "The change data does not match the data service's schema" },
  CHANGE_CONFLICT: { status: 409, title: 'This source reference was already published with other content' },
  UNKNOWN_CHANGE: { status: 404, title: 'No such change' },
  SUBSCRIPTION_NOT_FOUND: { status: 404, title: 'You have no subscription to this data service' },
  WEBHOOK_URL_INVALID: { status: 400, title: 'The webhook address is not an absolute http(s) URL' },
  CURSOR_INVALID: { status: 400, title: 'The feed cursor is not one the hub gave you' },
  UNKNOWN_DELIVERY: { status: 404, title: 'No such delivery' },
  // Citizens
  LOGIN_REQUIRED: { status: 401, title: 'Log in to see your own data' },
  LOGIN_FAILED: { status: 401, title: 'The login with the identity provider failed' },
  LOGIN_UNAVAILABLE: { status: 503, title: 'Citizen login is not available now' },
  ACCESS_NOT_FOUND: { status: 404, title: 'No such entry among the accesses to your data' },
  // The hub itself
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export function isProblemCode(value: string): value is ProblemCode {
  return Object.hasOwn(PROBLEMS, value);
}

/** A refusal with a stable code; the HTTP layer turns it into application/problem+json. */
export class Problem extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(code: ProblemCode, detail?: string, extra: Record<string, unknown> = {}) {
    super(detail ?? PROBLEMS[code].title);
    this.name = 'Problem';
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.detail = detail;
    this.extra = extra;
  }
}
