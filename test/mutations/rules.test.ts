// Change push rules (domain.md §3, "automatic communication of changes"): who receives a change,
// which fields of it, in which CloudEvents envelope, and how long a failed delivery waits. One table
// of recipients built from one scenario, then field filtering, the envelope, retry delays and the
// subscription check.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Authorisation } from '../../src/authz/index.ts';
import { addDays } from '../../src/kernel/index.ts';
import {
  changeEvent,
  keepOnly,
  retryDelayMs,
  selectRecipients,
  subscriptionAuthorised,
  type FanOutInput,
  type PersonRegistration,
  type Recipient,
  type RecipientInstitution,
  type RetryPolicy,
  type Subscription,
} from '../../src/mutations/rules.ts';

const TODAY = '2026-03-15';
const TOMORROW = addDays(TODAY, 1);
const EFFECTIVE = '2026-03-01';
const GRACE = 30;
const INSZ = '85073003328';

// The National Register publishes an address change; an OCMW/CPAS (sector 17.1) and a health fund
// (sector 11) hold dossiers for the person.
const NATIONAL_REGISTER: RecipientInstitution = { id: 'rr', kbo: '0211887788', sector: 0, subsector: null };
const OCMW_GENT: RecipientInstitution = { id: 'ocmw-gent', kbo: '0207451227', sector: 17, subsector: 1 };
const CPAS_LIEGE: RecipientInstitution = { id: 'cpas-liege', kbo: '0411111140', sector: 17, subsector: 1 };
const CM: RecipientInstitution = { id: 'cm', kbo: '0812345603', sector: 11, subsector: null };
const INSTITUTIONS = [NATIONAL_REGISTER, OCMW_GENT, CPAS_LIEGE, CM];

const SERVICE = 'address';
const ADDRESS_FIELDS = ['street', 'houseNumber', 'postalCode', 'municipality', 'country'];
const ASSISTANCE = 'social-assistance';
const OCMW_EXAMINATION = { sector: 17, code: 1 }; // dossier under examination
const OCMW_LEEFLOON = { sector: 17, code: 2 };
const HEALTH_INSURABILITY = { sector: 11, code: 1 };

function authorisation(over: Partial<Authorisation> = {}): Authorisation {
  return {
    ref: 'IVC/KSZG/26/017',
    version: 3,
    title: 'Address of persons with a social-assistance dossier',
    decidedOn: '2025-12-01',
    status: 'in-force',
    recipients: { institutions: [], sectors: [{ sector: 17, subsector: 1 }] },
    services: [{ service: SERVICE, fields: ADDRESS_FIELDS }],
    purposes: [ASSISTANCE],
    capacities: [OCMW_EXAMINATION],
    validFrom: '2026-01-01',
    validTo: null,
    dataLevel: 'identified',
    embargoDays: null,
    note: '',
    createdAt: '2025-12-01T09:00:00.000Z',
    createdBy: 'operator',
    ...over,
  };
}

function subscription(over: Partial<Subscription> = {}): Subscription {
  return {
    id: 'sub-ocmw',
    institutionId: OCMW_GENT.id,
    service: SERVICE,
    capacities: [OCMW_EXAMINATION],
    purpose: ASSISTANCE,
    createdAt: '2026-01-10T08:00:00.000Z',
    createdBy: 'ocmw-admin',
    ...over,
  };
}

function registration(over: Partial<PersonRegistration> = {}): PersonRegistration {
  return {
    id: 'r-ocmw',
    institutionId: OCMW_GENT.id,
    sector: OCMW_EXAMINATION.sector,
    capacity: OCMW_EXAMINATION.code,
    start: '2025-11-01',
    end: null,
    ...over,
  };
}

function fanOut(over: Partial<FanOutInput> = {}): FanOutInput {
  return {
    service: SERVICE,
    serviceFields: ADDRESS_FIELDS,
    effectiveDate: EFFECTIVE,
    sourceId: NATIONAL_REGISTER.id,
    today: TODAY,
    graceDays: GRACE,
    registrations: [registration()],
    subscriptions: [subscription()],
    authorisations: [authorisation()],
    institution: (id) => INSTITUTIONS.find((i) => i.id === id),
    ...over,
  };
}

/** The OCMW as recipient of the base scenario, with overrides. */
function ocmwRecipient(over: Partial<Recipient> = {}): Recipient {
  return {
    institution: OCMW_GENT,
    subscription: 'sub-ocmw',
    authorisation: { ref: 'IVC/KSZG/26/017', version: 3 },
    purpose: ASSISTANCE,
    registrations: ['r-ocmw'],
    fields: ADDRESS_FIELDS,
    ...over,
  };
}

// ---- 1. Recipient selection: one base scenario, one variation per row ----

const regs = (...over: Partial<PersonRegistration>[]): Partial<FanOutInput> => ({
  registrations: over.map(registration),
});
const subs = (...over: Partial<Subscription>[]): Partial<FanOutInput> => ({
  subscriptions: over.map(subscription),
});
const auths = (...over: Partial<Authorisation>[]): Partial<FanOutInput> => ({
  authorisations: over.map(authorisation),
});
const endedDaysBefore = (days: number) => addDays(EFFECTIVE, -days);

type Row = { name: string; input?: Partial<FanOutInput>; want: Recipient | null };
const CASES: Row[] = [
  // Recipients
  { name: 'registration active on the effective date', want: ocmwRecipient() },
  {
    name: 'registration starting on the effective date',
    input: regs({ start: EFFECTIVE }),
    want: ocmwRecipient(),
  },
  {
    name: 'registration ending the day after the effective date (still active on it)',
    input: regs({ end: addDays(EFFECTIVE, 1) }),
    want: ocmwRecipient(),
  },
  {
    name: 'registration ended before the effective date but within graceDays',
    input: regs({ end: endedDaysBefore(10) }),
    want: ocmwRecipient(),
  },
  {
    name: 'registration whose last day is exactly graceDays before the effective date',
    input: regs({ end: endedDaysBefore(GRACE - 1) }),
    want: ocmwRecipient(),
  },
  {
    name: 'subscription for every capacity (capacities null)',
    input: subs({ capacities: null }),
    want: ocmwRecipient(),
  },
  {
    name: 'subscription without purpose: the authorisation’s first purpose',
    input: { ...subs({ purpose: null }), ...auths({ purposes: ['housing', ASSISTANCE] }) },
    want: ocmwRecipient({ purpose: 'housing' }),
  },
  {
    name: 'authorisation naming the OCMW by KBO instead of by sector',
    input: auths({ recipients: { institutions: [OCMW_GENT.kbo], sectors: [] } }),
    want: ocmwRecipient(),
  },
  {
    name: 'authorisation for the whole sector 17, any subsector',
    input: auths({ recipients: { institutions: [], sectors: [{ sector: 17 }] } }),
    want: ocmwRecipient(),
  },
  {
    name: 'authorisation withdrawn from tomorrow: still in force today',
    input: auths({ status: 'withdrawn', validTo: TOMORROW }),
    want: ocmwRecipient(),
  },
  {
    name: 'authorisation valid from today',
    input: auths({ validFrom: TODAY }),
    want: ocmwRecipient(),
  },
  {
    name: 'only the registrations in a capacity the authorisation names are listed',
    input: {
      ...subs({ capacities: null }),
      registrations: [registration(), registration({ id: 'r-leefloon', capacity: OCMW_LEEFLOON.code })],
    },
    want: ocmwRecipient(),
  },
  {
    name: 'two registrations in named capacities are both listed',
    input: {
      ...subs({ capacities: null }),
      ...auths({ capacities: [OCMW_EXAMINATION, OCMW_LEEFLOON] }),
      registrations: [registration(), registration({ id: 'r-leefloon', capacity: OCMW_LEEFLOON.code })],
    },
    want: ocmwRecipient({ registrations: ['r-ocmw', 'r-leefloon'] }),
  },
  // Registrations that do not count
  {
    name: 'registration ended before the grace period',
    input: regs({ start: '2025-01-01', end: endedDaysBefore(GRACE + 15) }),
    want: null,
  },
  {
    name: 'registration whose last day is graceDays + 1 before the effective date',
    input: regs({ end: endedDaysBefore(GRACE) }),
    want: null,
  },
  {
    name: 'registration starting after the effective date',
    input: regs({ start: addDays(EFFECTIVE, 1) }),
    want: null,
  },
  {
    name: 'end date equal to the effective date (half-open: ended) with graceDays 0',
    input: { ...regs({ end: EFFECTIVE }), graceDays: 0 },
    want: null,
  },
  {
    name: 'annulled registration (start = end) within the grace period',
    input: regs({ start: endedDaysBefore(5), end: endedDaysBefore(5) }),
    want: null,
  },
  {
    name: 'registration in a capacity the subscription does not list',
    input: {
      ...regs({ capacity: OCMW_LEEFLOON.code }),
      ...auths({ capacities: [OCMW_EXAMINATION, OCMW_LEEFLOON] }),
    },
    want: null,
  },
  {
    name: 'same capacity code in another sector than the subscription’s',
    input: {
      ...regs({ sector: HEALTH_INSURABILITY.sector }),
      ...auths({ capacities: [OCMW_EXAMINATION, HEALTH_INSURABILITY] }),
    },
    want: null,
  },
  {
    name: 'registration at another OCMW does not make this one a recipient',
    input: regs({ institutionId: CPAS_LIEGE.id }),
    want: null,
  },
  { name: 'no registration at all', input: regs(), want: null },
  // Subscriptions
  { name: 'no subscription', input: subs(), want: null },
  { name: 'subscription to another service', input: subs({ service: 'civil-status' }), want: null },
  {
    name: 'subscription by an institution the registry does not know',
    input: { institution: () => undefined },
    want: null,
  },
  {
    name: 'the publishing institution itself never receives its own change',
    input: { sourceId: OCMW_GENT.id },
    want: null,
  },
  // Authorisations
  { name: 'subscription but no authorisation at all', input: auths(), want: null },
  {
    name: 'authorisation granting another service only',
    input: auths({ services: [{ service: 'civil-status', fields: ['maritalStatus'] }] }),
    want: null,
  },
  {
    name: 'authorisation granting none of the service’s fields',
    input: auths({ services: [{ service: SERVICE, fields: ['retiredField'] }] }),
    want: null,
  },
  {
    name: 'authorisation expired (validTo passed)',
    input: auths({ validFrom: '2024-01-01', validTo: '2026-03-01' }),
    want: null,
  },
  { name: 'authorisation valid to today (exclusive)', input: auths({ validTo: TODAY }), want: null },
  { name: 'authorisation withdrawn', input: auths({ status: 'withdrawn' }), want: null },
  {
    name: 'authorisation withdrawn from today',
    input: auths({ status: 'withdrawn', validTo: TODAY }),
    want: null,
  },
  { name: 'authorisation valid from tomorrow', input: auths({ validFrom: TOMORROW }), want: null },
  {
    name: 'authorisation in force on the effective date but no longer today',
    input: auths({ validFrom: '2025-01-01', validTo: addDays(EFFECTIVE, 1) }),
    want: null,
  },
  {
    name: 'authorisation for another sector (health funds)',
    input: auths({ recipients: { institutions: [], sectors: [{ sector: 11 }] } }),
    want: null,
  },
  {
    name: 'authorisation for another subsector of sector 17',
    input: auths({ recipients: { institutions: [], sectors: [{ sector: 17, subsector: 2 }] } }),
    want: null,
  },
  {
    name: 'authorisation naming another institution by KBO',
    input: auths({ recipients: { institutions: [CPAS_LIEGE.kbo], sectors: [] } }),
    want: null,
  },
  {
    name: 'authorisation that does not name the registration’s capacity',
    input: auths({ capacities: [OCMW_LEEFLOON] }),
    want: null,
  },
  {
    name: 'authorisation that does not name the capacity, subscription for every capacity',
    input: { ...auths({ capacities: [OCMW_LEEFLOON] }), ...subs({ capacities: null }) },
    want: null,
  },
  { name: 'authorisation for coded data', input: auths({ dataLevel: 'coded' }), want: null },
  { name: 'authorisation for anonymous data', input: auths({ dataLevel: 'anonymous' }), want: null },
  {
    name: 'subscription purpose not among the authorisation’s purposes',
    input: subs({ purpose: 'debt-mediation' }),
    want: null,
  },
  {
    name: 'subscription without purpose, authorisation without any',
    input: { ...subs({ purpose: null }), ...auths({ purposes: [] }) },
    want: null,
  },
];

for (const { name, input, want } of CASES) {
  test(`selectRecipients: ${name}`, () => {
    const recipients = selectRecipients(fanOut(input));
    assert.deepEqual(recipients, want === null ? [] : [want]);
  });
}

test('selectRecipients: the publishing institution is left out, other recipients are kept', () => {
  const input = fanOut({
    sourceId: OCMW_GENT.id,
    registrations: [registration(), registration({ id: 'r-liege', institutionId: CPAS_LIEGE.id })],
    subscriptions: [subscription(), subscription({ id: 'sub-liege', institutionId: CPAS_LIEGE.id })],
  });
  assert.deepEqual(
    selectRecipients(input).map((r) => r.institution.id),
    [CPAS_LIEGE.id],
  );
});

// ---- 2. Field filtering per recipient ----

const OCMW_AUTH = authorisation({
  ref: 'IVC/KSZG/26/017',
  services: [{ service: SERVICE, fields: ['municipality', 'street', 'postalCode'] }],
});
const HEALTH_AUTH = authorisation({
  ref: 'IVC/KSZG/24/311',
  version: 1,
  recipients: { institutions: [], sectors: [{ sector: 11 }] },
  services: [{ service: SERVICE, fields: ['country', 'postalCode', 'notAnAddressField'] }],
  purposes: ['insurability'],
  capacities: [HEALTH_INSURABILITY],
});
const CM_REGISTRATION = registration({
  id: 'r-cm',
  institutionId: CM.id,
  sector: HEALTH_INSURABILITY.sector,
  capacity: HEALTH_INSURABILITY.code,
  start: '2010-01-01',
});
const CM_SUBSCRIPTION = subscription({
  id: 'sub-cm',
  institutionId: CM.id,
  capacities: [HEALTH_INSURABILITY],
  purpose: 'insurability',
});

test('fields: two recipients under two authorisations each get only theirs, in the service’s order', () => {
  const recipients = selectRecipients(
    fanOut({
      registrations: [registration(), CM_REGISTRATION],
      subscriptions: [subscription(), CM_SUBSCRIPTION],
      authorisations: [OCMW_AUTH, HEALTH_AUTH],
    }),
  );
  assert.deepEqual(recipients, [
    ocmwRecipient({ fields: ['street', 'postalCode', 'municipality'] }),
    {
      institution: CM,
      subscription: 'sub-cm',
      authorisation: { ref: 'IVC/KSZG/24/311', version: 1 },
      purpose: 'insurability',
      registrations: ['r-cm'],
      fields: ['postalCode', 'country'],
    },
  ]);
});

test('fields: when two authorisations cover one recipient, the one giving more fields wins (either order)', () => {
  const narrow = authorisation({
    ref: 'IVC/KSZG/20/005',
    version: 1,
    services: [{ service: SERVICE, fields: ['postalCode'] }],
  });
  const wide = authorisation({
    ref: 'IVC/KSZG/26/017',
    version: 3,
    services: [{ service: SERVICE, fields: ['street', 'postalCode', 'municipality'] }],
  });
  for (const authorisations of [
    [narrow, wide],
    [wide, narrow],
  ]) {
    assert.deepEqual(selectRecipients(fanOut({ authorisations })), [
      ocmwRecipient({ fields: ['street', 'postalCode', 'municipality'] }),
    ]);
  }
});

test('fields: a wider authorisation that is not in force does not win', () => {
  const narrow = authorisation({
    ref: 'IVC/KSZG/20/005',
    version: 1,
    services: [{ service: SERVICE, fields: ['postalCode'] }],
  });
  const expiredWide = authorisation({ validTo: TODAY });
  assert.deepEqual(selectRecipients(fanOut({ authorisations: [expiredWide, narrow] })), [
    ocmwRecipient({ authorisation: { ref: 'IVC/KSZG/20/005', version: 1 }, fields: ['postalCode'] }),
  ]);
});

test('keepOnly keeps the recipient’s fields present in the data, drops the rest, adds nothing', () => {
  const data = { street: 'Veldstraat', houseNumber: '1', postalCode: '9000', municipality: 'Gent' };
  const kept = keepOnly(data, ['postalCode', 'street', 'country']);
  assert.deepEqual(kept, { postalCode: '9000', street: 'Veldstraat' });
  assert.ok(!Object.hasOwn(kept, 'country'), 'a field absent from the data must not appear');
  assert.deepEqual(data, {
    street: 'Veldstraat',
    houseNumber: '1',
    postalCode: '9000',
    municipality: 'Gent',
  });
  assert.deepEqual(keepOnly(data, []), {});
  assert.deepEqual(keepOnly({}, ADDRESS_FIELDS), {});
});

test('keepOnly keeps a field whose value is null, and never picks up inherited properties', () => {
  assert.deepEqual(keepOnly({ street: null, country: undefined }, ['street', 'country']), {
    street: null,
    country: undefined,
  });
  const kept = keepOnly({ street: 'Veldstraat' }, ['toString', 'constructor', 'hasOwnProperty']);
  assert.deepEqual(Object.keys(kept), []);
});

test('keepOnly: the result’s keys are exactly the fields that are in the data, with the same values', () => {
  const key = fc.constantFrom(...ADDRESS_FIELDS, 'nationality', 'birthDate');
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(key, fc.oneof(fc.string(), fc.integer(), fc.constant(null))), {
        selector: ([k]) => k,
      }),
      fc.uniqueArray(key),
      (entries, fields) => {
        const data = Object.fromEntries(entries);
        const kept = keepOnly(data, fields);
        assert.deepEqual(
          Object.keys(kept),
          fields.filter((f) => Object.hasOwn(data, f)),
        );
        for (const [k, v] of Object.entries(kept)) assert.equal(v, data[k]);
      },
    ),
    { numRuns: 500 },
  );
});

// ---- 3. The CloudEvents envelope ----

const EVENT_INPUT = {
  deliveryId: 'dlv-01JQ8Z6F3V9K2M',
  source: 'https://hub.crossroads.example/changes',
  changeId: 'chg-01JQ8Z6E0A4T7P',
  service: { id: SERVICE, version: 2 },
  kind: 'updated',
  insz: INSZ,
  effectiveDate: EFFECTIVE,
  publishedBy: NATIONAL_REGISTER.kbo,
  time: '2026-03-15T10:42:07.123Z',
  authorisation: { ref: 'IVC/KSZG/26/017', version: 3 },
  purpose: ASSISTANCE,
  values: { street: 'Veldstraat', postalCode: '9000', municipality: 'Gent' },
} as const;

test('changeEvent: CloudEvents 1.0 required and used attributes, nothing else at the top level', () => {
  const event = changeEvent(EVENT_INPUT);
  assert.deepEqual(Object.keys(event).sort(), [
    'data',
    'datacontenttype',
    'id',
    'source',
    'specversion',
    'subject',
    'time',
    'type',
  ]);
  assert.equal(event.specversion, '1.0');
  assert.equal(event.id, 'dlv-01JQ8Z6F3V9K2M', 'the id is the delivery id, not the change id');
  assert.equal(event.source, 'https://hub.crossroads.example/changes');
  assert.equal(event.type, 'be.crossroads.change.address');
  assert.equal(event.subject, INSZ);
  assert.equal(event.time, '2026-03-15T10:42:07.123Z');
  assert.equal(event.datacontenttype, 'application/json');
  // CloudEvents: id, source, specversion and type are required and non-empty.
  for (const attribute of [event.id, event.source, event.specversion, event.type]) {
    assert.equal(typeof attribute, 'string');
    assert.ok(attribute.length > 0);
  }
});

test('changeEvent: data carries the change, its service, the authorisation and the values', () => {
  const event = changeEvent(EVENT_INPUT);
  assert.deepEqual(event.data, {
    change: 'chg-01JQ8Z6E0A4T7P',
    kind: 'updated',
    service: { id: SERVICE, version: 2 },
    effectiveDate: EFFECTIVE,
    publishedBy: NATIONAL_REGISTER.kbo,
    authorisation: { ref: 'IVC/KSZG/26/017', version: 3 },
    purpose: ASSISTANCE,
    values: { street: 'Veldstraat', postalCode: '9000', municipality: 'Gent' },
  });
  assert.deepEqual(JSON.parse(JSON.stringify(event)), event, 'survives structured JSON mode');
});

test('changeEvent: two deliveries of one change differ only in id', () => {
  const a = changeEvent(EVENT_INPUT);
  const b = changeEvent({ ...EVENT_INPUT, deliveryId: 'dlv-other' });
  assert.notEqual(a.id, b.id);
  assert.deepEqual({ ...a, id: '' }, { ...b, id: '' });
});

// ---- 4. Retry delays ----

const arbPolicy = fc.record({
  baseMs: fc.integer({ min: 1, max: 3_600_000 }),
  maxMs: fc.integer({ min: 1, max: 86_400_000 }),
  maxAttempts: fc.integer({ min: 1, max: 50 }),
});
const arbFailures = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5_000 }));
const arbRandom = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const exponential = (failures: number, p: RetryPolicy) => Math.min(p.maxMs, p.baseMs * 2 ** (failures - 1));

test('retryDelayMs: a whole number within [exp/2, exp], exp = min(maxMs, baseMs·2^(failures−1))', () => {
  fc.assert(
    fc.property(arbFailures, arbPolicy, arbRandom, (failures, policy, random) => {
      const delay = retryDelayMs(failures, policy, random);
      const exp = exponential(failures, policy);
      assert.ok(Number.isInteger(delay), `${delay} is not a whole number`);
      assert.ok(delay >= exp / 2 && delay <= exp, `${delay} outside [${exp / 2}, ${exp}]`);
      assert.ok(delay <= policy.maxMs, `${delay} above maxMs ${policy.maxMs}`);
    }),
    { numRuns: 5000 },
  );
});

test('retryDelayMs: one more failure never waits less (same random draw), upper bound non-decreasing', () => {
  fc.assert(
    fc.property(arbFailures, arbPolicy, arbRandom, (failures, policy, random) => {
      assert.ok(exponential(failures + 1, policy) >= exponential(failures, policy));
      assert.ok(retryDelayMs(failures + 1, policy, random) >= retryDelayMs(failures, policy, random));
    }),
    { numRuns: 5000 },
  );
});

test('retryDelayMs: concrete schedule with base 1 s and max 10 min', () => {
  const policy: RetryPolicy = { baseMs: 1_000, maxMs: 600_000, maxAttempts: 12 };
  assert.deepEqual(
    [1, 2, 3, 4, 10, 11, 50].map((f) => retryDelayMs(f, policy, 0)),
    [500, 1_000, 2_000, 4_000, 256_000, 300_000, 300_000],
  );
  assert.equal(retryDelayMs(1, policy, 0.5), 750);
  assert.equal(retryDelayMs(1, policy, 0.999_999), 1_000);
  assert.equal(retryDelayMs(11, policy, 0.999_999), 600_000);
  assert.equal(retryDelayMs(10_000, policy, 0.999_999), 600_000, 'a huge failure count is still capped');
});

// ---- 5. subscriptionAuthorised ----

type AuthorisedRow = {
  name: string;
  subscription?: Partial<Subscription>;
  institution?: RecipientInstitution;
  authorisations?: Partial<Authorisation>[];
  want: boolean;
};
const AUTHORISED_CASES: AuthorisedRow[] = [
  { name: 'an authorisation in force covers service, purpose and sector', want: true },
  { name: 'subscription without purpose', subscription: { purpose: null }, want: true },
  {
    name: 'authorisation naming the institution by KBO',
    authorisations: [{ recipients: { institutions: [OCMW_GENT.kbo], sectors: [] } }],
    want: true,
  },
  {
    name: 'one of several authorisations covers it',
    authorisations: [{ ref: 'A', purposes: ['housing'] }, { ref: 'B' }],
    want: true,
  },
  {
    name: 'withdrawn from tomorrow: still in force today',
    authorisations: [{ status: 'withdrawn', validTo: TOMORROW }],
    want: true,
  },
  { name: 'no authorisation', authorisations: [], want: false },
  { name: 'subscription to another service', subscription: { service: 'civil-status' }, want: false },
  { name: 'purpose not authorised', subscription: { purpose: 'debt-mediation' }, want: false },
  { name: 'coded data', authorisations: [{ dataLevel: 'coded' }], want: false },
  { name: 'expired', authorisations: [{ validTo: TODAY }], want: false },
  { name: 'withdrawn', authorisations: [{ status: 'withdrawn' }], want: false },
  { name: 'not yet valid', authorisations: [{ validFrom: TOMORROW }], want: false },
  { name: 'institution in another sector (health fund)', institution: CM, want: false },
  {
    name: 'authorisation for another institution by KBO',
    authorisations: [{ recipients: { institutions: [CPAS_LIEGE.kbo], sectors: [] } }],
    want: false,
  },
];

for (const { name, subscription: sub, institution, authorisations, want } of AUTHORISED_CASES) {
  test(`subscriptionAuthorised: ${name} → ${want}`, () => {
    assert.equal(
      subscriptionAuthorised(
        subscription(sub),
        institution ?? OCMW_GENT,
        (authorisations ?? [{}]).map(authorisation),
        TODAY,
      ),
      want,
    );
  });
}
