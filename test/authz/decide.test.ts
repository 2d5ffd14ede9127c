// Preventive access control (domain.md §3): decide() over a snapshot. One table of permits and
// denials, each naming the code the caller gets, then properties over random snapshots.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decide } from '../../src/authz/index.ts';
import type {
  Authorisation,
  DecisionRequest,
  DecisionSnapshot,
  DenialCode,
  HeldRegistration,
} from '../../src/authz/index.ts';
import { addDays, containsDate } from '../../src/kernel/index.ts';

const TODAY = '2026-03-15';
const TOMORROW = addDays(TODAY, 1);
const KBO = '0403019261';

function authorisation(over: Partial<Authorisation> = {}): Authorisation {
  return {
    ref: 'IVC/KSZG/26/001',
    version: 2,
    title: 'Employment data for benefit review',
    decidedOn: '2025-12-01',
    status: 'in-force',
    recipients: { institutions: [], sectors: [{ sector: 17, subsector: 1 }] },
    services: [{ service: 'employment', fields: ['employer', 'start', 'end', 'retired-field'] }],
    purposes: ['benefit-review'],
    capacities: [{ sector: 17, code: 1 }],
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

function request(over: Partial<DecisionRequest> = {}): DecisionRequest {
  return {
    caller: { kbo: KBO, sector: 17, subsector: 1 },
    service: 'employment',
    serviceFields: ['employer', 'start', 'end', 'salary'],
    purpose: 'benefit-review',
    period: { start: '2026-02-01', end: '2026-03-01' },
    ...over,
  };
}

const held = (id: string, start: string, end: string | null = null, capacity = 1): HeldRegistration => ({
  id,
  sector: 17,
  capacity,
  start,
  end,
});
const R1 = held('r1', '2025-06-01');

function snapshot(over: Partial<DecisionSnapshot> = {}): DecisionSnapshot {
  return { today: TODAY, authorisations: [authorisation()], registrations: [R1], ...over };
}

/** A permit names the registrations and fields; a denial its code. */
type Want = { registrations: string[]; fields: string[]; ref?: string } | DenialCode;
const ALL_AUTHORISED = ['employer', 'start', 'end'];
const PERMIT: Want = { registrations: ['r1'], fields: ALL_AUTHORISED };

// Short builders for the table: each row overrides the defaults above.
const only = (...over: Partial<Authorisation>[]): Partial<DecisionSnapshot> => ({
  authorisations: over.map(authorisation),
});
const regs = (...registrations: HeldRegistration[]): Partial<DecisionSnapshot> => ({ registrations });
const caller = (sector: number | null, subsector: number | null, kbo = KBO): Partial<DecisionRequest> => ({
  caller: { kbo, sector, subsector },
});
const BY_KBO: Partial<Authorisation> = { recipients: { institutions: [KBO], sectors: [] } };
const BY_SECTOR: Partial<Authorisation> = { recipients: { institutions: [], sectors: [{ sector: 17 }] } };
const CAPACITIES_1_2: Partial<Authorisation> = {
  capacities: [
    { sector: 17, code: 1 },
    { sector: 17, code: 2 },
  ],
};

type Row = {
  name: string;
  request?: Partial<DecisionRequest>;
  snapshot?: Partial<DecisionSnapshot>;
  want: Want;
};
const CASES: Row[] = [
  // Permits
  { name: 'fields omitted → every authorised field the service returns', want: PERMIT },
  {
    name: 'fields given → those fields',
    request: { fields: ['employer'] },
    want: { ...PERMIT, fields: ['employer'] },
  },
  {
    name: 'open-ended period, open registration',
    request: { period: { start: '2026-02-01' } },
    want: PERMIT,
  },
  { name: 'recipient by KBO', snapshot: only(BY_KBO), want: PERMIT },
  {
    name: 'recipient by KBO, caller outside the sectors',
    request: caller(null, null),
    snapshot: only(BY_KBO),
    want: PERMIT,
  },
  {
    name: 'recipient by sector, any subsector',
    request: caller(17, 9),
    snapshot: only(BY_SECTOR),
    want: PERMIT,
  },
  { name: 'authorisation valid from today', snapshot: only({ validFrom: TODAY }), want: PERMIT },
  // No authorisation applies
  { name: 'no authorisation at all', snapshot: only(), want: 'NO_AUTHORISATION' },
  { name: 'authorisation for another service', request: { service: 'benefits' }, want: 'NO_AUTHORISATION' },
  { name: 'authorisation for another sector', request: caller(18, 1), want: 'NO_AUTHORISATION' },
  { name: 'authorisation for another subsector', request: caller(17, 2), want: 'NO_AUTHORISATION' },
  {
    name: 'authorisation for another KBO',
    request: caller(null, null, '0428759497'),
    snapshot: only(BY_KBO),
    want: 'NO_AUTHORISATION',
  },
  { name: 'coded data level', snapshot: only({ dataLevel: 'coded' }), want: 'NO_AUTHORISATION' },
  { name: 'anonymous data level', snapshot: only({ dataLevel: 'anonymous' }), want: 'NO_AUTHORISATION' },
  // Not in force
  {
    name: 'expired: valid to today (exclusive)',
    snapshot: only({ validTo: TODAY }),
    want: 'AUTHORISATION_NOT_IN_FORCE',
  },
  {
    name: 'expired last year',
    snapshot: only({ validFrom: '2024-01-01', validTo: '2025-01-01' }),
    want: 'AUTHORISATION_NOT_IN_FORCE',
  },
  { name: 'withdrawn', snapshot: only({ status: 'withdrawn' }), want: 'AUTHORISATION_NOT_IN_FORCE' },
  {
    name: 'withdrawn from tomorrow: still in force today',
    snapshot: only({ status: 'withdrawn', validTo: TOMORROW }),
    want: PERMIT,
  },
  {
    name: 'withdrawn from today',
    snapshot: only({ status: 'withdrawn', validTo: TODAY }),
    want: 'AUTHORISATION_NOT_IN_FORCE',
  },
  { name: 'not yet valid', snapshot: only({ validFrom: TOMORROW }), want: 'AUTHORISATION_NOT_IN_FORCE' },
  // Purpose and fields
  { name: 'purpose not authorised', request: { purpose: 'marketing' }, want: 'PURPOSE_NOT_AUTHORISED' },
  {
    name: 'a field not authorised',
    request: { fields: ['employer', 'salary'] },
    want: 'FIELD_NOT_AUTHORISED',
  },
  {
    name: 'authorised field the service no longer returns',
    request: { fields: ['retired-field'] },
    want: 'FIELD_NOT_AUTHORISED',
  },
  // Registrations
  { name: 'no registration', snapshot: regs(), want: 'NO_ACTIVE_REGISTRATION' },
  {
    name: 'registration ended yesterday (end = today)',
    snapshot: regs(held('r1', '2025-06-01', TODAY)),
    want: 'NO_ACTIVE_REGISTRATION',
  },
  {
    name: 'registration starting tomorrow',
    snapshot: regs(held('r1', TOMORROW)),
    want: 'NO_ACTIVE_REGISTRATION',
  },
  {
    name: 'capacity the authorisation does not name',
    snapshot: regs(held('r1', '2025-06-01', null, 2)),
    want: 'NO_ACTIVE_REGISTRATION',
  },
  {
    name: 'same capacity code, another sector',
    snapshot: regs({ ...R1, sector: 18 }),
    want: 'NO_ACTIVE_REGISTRATION',
  },
  {
    name: 'period only partly covered',
    snapshot: regs(held('r1', '2026-02-15')),
    want: 'PERIOD_NOT_COVERED',
  },
  {
    name: 'period with a one-day gap',
    snapshot: regs(held('r1', '2025-06-01', '2026-02-10'), held('r2', '2026-02-11')),
    want: 'PERIOD_NOT_COVERED',
  },
  {
    name: 'period covered by two back-to-back registrations',
    snapshot: regs(held('r2', '2026-02-10'), held('r1', '2025-06-01', '2026-02-10')),
    want: { ...PERMIT, registrations: ['r1', 'r2'] },
  },
  {
    name: 'past period covered by an ended registration in another named capacity',
    snapshot: {
      ...only(CAPACITIES_1_2),
      ...regs(held('r1', '2026-03-01'), held('old', '2025-01-01', '2026-03-01', 2)),
    },
    want: { ...PERMIT, registrations: ['old'] },
  },
  // Several authorisations
  {
    name: 'two authorisations, the second permits',
    snapshot: only({ ref: 'A', purposes: ['x'] }, { ref: 'B' }),
    want: { ...PERMIT, ref: 'B' },
  },
  {
    name: 'both deny: purpose beats not in force',
    snapshot: only({ ref: 'A', status: 'withdrawn' }, { ref: 'B', purposes: ['x'] }),
    want: 'PURPOSE_NOT_AUTHORISED',
  },
  {
    name: 'both deny, other order: purpose beats not in force',
    snapshot: only({ ref: 'B', purposes: ['x'] }, { ref: 'A', status: 'withdrawn' }),
    want: 'PURPOSE_NOT_AUTHORISED',
  },
  {
    name: 'both deny: period not covered beats field',
    request: { fields: ['start'] },
    snapshot: {
      ...only(
        { ref: 'A', services: [{ service: 'employment', fields: ['end'] }] },
        { ref: 'B', capacities: [{ sector: 17, code: 2 }] },
      ),
      ...regs(R1, held('r2', '2026-02-15', null, 2)),
    },
    want: 'PERIOD_NOT_COVERED',
  },
];

for (const { name, request: req, snapshot: snap, want } of CASES) {
  test(`decide: ${name}`, () => {
    const decision = decide(request(req), snapshot(snap));
    if (typeof want === 'string') {
      assert.equal(decision.permit, false, JSON.stringify(decision));
      assert.equal(!decision.permit && decision.code, want, JSON.stringify(decision));
      assert.ok(!decision.permit && decision.reason.length > 0);
      return;
    }
    assert.deepEqual(decision, {
      permit: true,
      authorisation: { ref: want.ref ?? 'IVC/KSZG/26/001', version: 2 },
      registrations: want.registrations,
      fields: want.fields,
    });
  });
}

test('a denial past the recipient check names the authorisation that came furthest', () => {
  const snap = snapshot({
    authorisations: [
      authorisation({ ref: 'A', status: 'withdrawn' }),
      authorisation({ ref: 'B', version: 7, purposes: ['x'] }),
    ],
  });
  const decision = decide(request(), snap);
  assert.deepEqual(!decision.permit && decision.authorisation, { ref: 'B', version: 7 });
  const none = decide(request(), snapshot({ authorisations: [] }));
  assert.equal(!none.permit && none.authorisation, undefined);
});

// ---- Properties over random snapshots ----
// Small pools (one month of days, two capacities, purposes a–c, fields x–z) so that permits are common.

/** Periods starting on day `first`..`last` of 2026, up to `maxLength` days long or (one in two) open. */
const periodFrom = (first: number, last: number, maxLength: number) =>
  fc
    .record({
      start: fc.integer({ min: first, max: last }),
      len: fc.option(fc.integer({ min: 1, max: maxLength })),
    })
    .map(({ start, len }) => ({
      start: addDays('2026-01-01', start),
      end: len === null ? null : addDays('2026-01-01', start + len),
    }));
const day = fc.integer({ min: 0, max: 30 }).map((n) => addDays('2026-01-01', n));
const CAPACITIES = [1, 2].map((code) => ({ sector: 17, code }));
const FIELDS = ['x', 'y', 'z'];

const arbAuthorisation = fc
  .record({
    status: fc
      .integer({ min: 0, max: 4 })
      .map((n): Authorisation['status'] => (n ? 'in-force' : 'withdrawn')),
    recipients: fc.constantFrom(BY_KBO, BY_SECTOR),
    service: fc.constantFrom('employment', 'employment', 'benefits'),
    fields: fc.subarray(FIELDS),
    purposes: fc.subarray(['a', 'b'], { minLength: 1 }),
    capacities: fc.subarray(CAPACITIES, { minLength: 1 }),
    validity: periodFrom(-60, 20, 90),
  })
  .map(({ recipients, service, fields, validity, ...rest }) =>
    authorisation({
      ...rest,
      ...recipients,
      services: [{ service, fields }],
      validFrom: validity.start,
      validTo: validity.end,
    }),
  );
const arbRegistrations = fc
  .array(fc.record({ code: fc.constantFrom(1, 2), period: periodFrom(-30, 30, 40) }), { maxLength: 4 })
  .map((rs) => rs.map((r, i) => held(`r${i}`, r.period.start, r.period.end, r.code)));
const arbCase = fc.record({
  request: fc
    .record({
      purpose: fc.constantFrom('a', 'b', 'c'),
      period: periodFrom(0, 30, 10),
      fields: fc.option(fc.subarray(FIELDS), { nil: undefined, freq: 2 }),
    })
    .map(({ fields, ...r }) => request({ ...r, serviceFields: FIELDS, ...(fields ? { fields } : {}) })),
  snapshot: fc
    .record({
      today: day,
      authorisations: fc.array(arbAuthorisation, { minLength: 1, maxLength: 3 }),
      registrations: arbRegistrations,
    })
    .map((s) => snapshot(s)),
});

test('the random snapshots do produce permits (so the property below is not vacuous)', () => {
  const permits = fc.sample(arbCase, 2000).filter((c) => decide(c.request, c.snapshot).permit);
  assert.ok(permits.length > 50, `${permits.length} permits`);
});

test('decide never permits without a registration active today, nor for a purpose no authorisation names', () => {
  fc.assert(
    fc.property(arbCase, ({ request: req, snapshot: snap }) => {
      const decision = decide(req, snap);
      if (!decision.permit) return;
      const activeToday = snap.registrations.some((r) => containsDate(r, snap.today));
      assert.ok(activeToday, 'permitted without a registration active today');
      const purposeNamed = snap.authorisations.some((a) => a.purposes.includes(req.purpose));
      assert.ok(purposeNamed, 'permitted a purpose no authorisation names');
    }),
    { numRuns: 2000 },
  );
});
