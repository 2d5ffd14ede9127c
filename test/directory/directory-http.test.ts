// The persons directory over HTTP (REGISTER, UNREGISTER, LIST) against a really running hub whose
// identity source is the demo National Register server: proofs of identity, exclusivity between
// institutions of a sector, own overlaps, closing periods, and the directory_events trail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DemoInstitutionKey, DemoPerson } from '../../src/demo/index.ts';
import type { RegistrationView } from '../../src/directory/index.ts';
import { addDays, today } from '../../src/kernel/index.ts';
import { recordsAboutPerson } from '../../src/log/index.ts';
import {
  type CallResult,
  type RegisterResultView,
  type TestHub,
  assertProblem,
  expectForwarded,
  expectRefused,
  kboOf,
  startTestHub,
} from '../helpers/test-hub.ts';

let th: TestHub;
const used = new Set<string>();
const NOBODY = '85073003328'; // a valid INSZ the National Register does not know

before(async () => {
  th = await startTestHub();
});
after(async () => {
  await th?.close();
});

/** A demo person no earlier test of this file has touched. */
function fresh(test: (p: DemoPerson) => boolean, what: string): DemoPerson {
  const person = th.demo.people.find((p) => !used.has(p.insz) && test(p));
  assert.ok(person, `the demo network has ${what}`);
  used.add(person.insz);
  return person;
}

const gentLeefloon = (p: DemoPerson) => p.leefloon !== null && p.region === 'gent';
const unknownToLiege = (p: DemoPerson) => p.region === 'gent' || (!p.leefloon && !p.underExamination);

interface RegisterBody {
  capacity?: number;
  period?: { start: string; end?: string | null };
  proof?: Record<string, string>;
}

function register(
  key: DemoInstitutionKey,
  person: DemoPerson,
  body: RegisterBody = {},
): Promise<CallResult<RegisterResultView>> {
  return th.call('POST', '/v1/directory/registrations', {
    token: th.demo.credential(key),
    body: {
      insz: person.insz,
      capacity: body.capacity ?? 1,
      period: body.period ?? { start: today(th.hub.clock) },
      proof: body.proof ?? { identityCardNumber: person.identityCardNumber },
    },
  });
}

function list(key: DemoInstitutionKey, insz: string): Promise<CallResult<RegistrationView[]>> {
  return th.call('GET', `/v1/directory/registrations?insz=${insz}`, { token: th.demo.credential(key) });
}

function unregister(
  key: DemoInstitutionKey,
  id: string,
  end?: string,
): Promise<CallResult<RegistrationView>> {
  return th.call('POST', `/v1/directory/registrations/${id}/unregister`, {
    token: th.demo.credential(key),
    body: end === undefined ? {} : { end },
  });
}

/** OCMW Gent's leefloon registration of a person (seeded by the demo). */
async function leefloonRegistration(person: DemoPerson): Promise<{ id: string }> {
  const found = (await list('ocmwGent', person.insz)).body.find(
    (r: { capacity: number }) => r.capacity === 2,
  );
  assert.ok(found, 'OCMW Gent holds the leefloon registration');
  return found;
}

function events(registrationId: string) {
  return th.hub.store.db
    .selectFrom('directory_events')
    .selectAll()
    .where('registration_id', '=', registrationId)
    .orderBy('at')
    .execute();
}

/** The registration a 409 problem names as standing in the way. */
function conflictOf(result: CallResult, code: string): RegistrationView {
  assertProblem(result, 409, code);
  assert.ok(result.body.conflicting, 'the problem names the conflicting registration');
  return result.body.conflicting;
}

/** The `by` the directory records for a demo institution's credential. */
function actorLabel(key: DemoInstitutionKey): string {
  return `institution:${kboOf(th.demo, key)}:${th.demo.credential(key).split('.')[1]}`;
}

describe('REGISTER', () => {
  test('201 with card-number proof; the answer names overlapping registrations of the sector', async () => {
    const person = fresh(gentLeefloon, 'a leefloon recipient in Gent');
    const leefloon = await leefloonRegistration(person);
    const start = addDays(today(th.hub.clock), -10);
    const before = new Date().toISOString();
    const result = await register('cpasLiege', person, { period: { start } });
    assert.equal(result.status, 201, JSON.stringify(result.body));
    const { registration, overlapping } = result.body;
    assert.equal(registration.insz, person.insz);
    assert.equal(registration.institution, kboOf(th.demo, 'cpasLiege'));
    assert.deepEqual(
      [registration.sector, registration.subsector, registration.capacity, registration.phase],
      [17, 1, 1, 0],
    );
    assert.deepEqual(registration.period, { start, end: null });
    assert.equal(registration.endedAt, null);
    assert.deepEqual(
      overlapping.map((r: { id: string; institution: string }) => [r.id, r.institution]),
      [[leefloon.id, kboOf(th.demo, 'ocmwGent')]],
    );

    const [event, ...more] = await events(registration.id);
    assert.equal(more.length, 0);
    assert.equal(event!.action, 'REGISTER');
    assert.equal(event!.by, actorLabel('cpasLiege'));
    assert.ok(event!.at >= before && event!.at <= new Date().toISOString(), `recorded at ${event!.at}`);
  });

  test('201 with name + birth-date proof, ignoring case, accents and apostrophes', async () => {
    const person = fresh((p) => unknownToLiege(p) && /'/.test(p.lastName), 'a person with an apostrophe');
    const lastName = person.lastName.toLowerCase().replace("'", '’').replace('o', 'ó');
    assert.notEqual(lastName, person.lastName);
    const result = await register('cpasLiege', person, { proof: { lastName, birthDate: person.birthDate } });
    assert.equal(result.status, 201, JSON.stringify(result.body));
  });

  test('repeating an identical REGISTER answers 200 with the same registration and no new event', async () => {
    const person = fresh(unknownToLiege, 'a person unknown to CPAS Liège');
    const first = await register('cpasLiege', person, { period: { start: '2025-03-01' } });
    assert.equal(first.status, 201);
    const again = await register('cpasLiege', person, {
      period: { start: '2025-03-01' },
      proof: { lastName: person.lastName, birthDate: person.birthDate },
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.registration.id, first.body.registration.id);
    assert.equal((await events(first.body.registration.id)).length, 1);
  });

  test('422 IDENTITY_MISMATCH when the proof does not match the National Register', async () => {
    const person = fresh(unknownToLiege, 'a person unknown to CPAS Liège');
    const wrongCard = await register('cpasLiege', person, {
      proof: { identityCardNumber: '591-0000000-01' },
    });
    assertProblem(wrongCard, 422, 'IDENTITY_MISMATCH');
    const wrongBirth = await register('cpasLiege', person, {
      proof: { lastName: person.lastName, birthDate: addDays(person.birthDate, 1) },
    });
    assertProblem(wrongBirth, 422, 'IDENTITY_MISMATCH');
    assert.deepEqual((await list('cpasLiege', person.insz)).body, []);
  });

  test('404 PERSON_UNKNOWN for a valid INSZ the National Register does not know', async () => {
    assert.ok(!th.demo.people.some((p) => p.insz === NOBODY));
    const ghost = { ...th.demo.people[0]!, insz: NOBODY };
    assertProblem(await register('cpasLiege', ghost), 404, 'PERSON_UNKNOWN');
  });

  test('every identity check at the National Register leaves an exchange-log record', async () => {
    const person = fresh(unknownToLiege, 'a person unknown to CPAS Liège');
    const sizeBefore = th.hub.log.size;
    assert.equal((await register('cpasLiege', person)).status, 201);
    assertProblem(await register('cpasLiege', { ...person, insz: NOBODY }), 404, 'PERSON_UNKNOWN');
    assert.equal(th.hub.log.size, sizeBefore + 2);
    const records = (await recordsAboutPerson(th.hub.store.reader, person.insz, { limit: 50 })).map(
      (e) => e.record,
    );
    const check = records.find(
      (r) => r.kind === 'identity-check' && r.caller === kboOf(th.demo, 'cpasLiege'),
    );
    assert.ok(check, 'the check is logged against the person');
    assert.equal(check.seq, sizeBefore + 1);
    assert.deepEqual(check.providers, [kboOf(th.demo, 'nr')]);
    assert.deepEqual([check.code, check.outcome, check.decision], [null, 'forwarded', 'permit']);
    assert.deepEqual(check.fields, ['lastName', 'birthDate', 'identityCardNumber']);
    const [unknown] = (await recordsAboutPerson(th.hub.store.reader, NOBODY, { limit: 1 })).map(
      (e) => e.record,
    );
    assert.deepEqual(
      [unknown?.kind, unknown?.code, unknown?.outcome],
      ['identity-check', 'PERSON_UNKNOWN', 'failed'],
    );
  });

  test('400 UNKNOWN_CAPACITY and PERIOD_INVALID', async () => {
    const person = fresh(unknownToLiege, 'a person unknown to CPAS Liège');
    assertProblem(await register('cpasLiege', person, { capacity: 99 }), 400, 'UNKNOWN_CAPACITY');
    assertProblem(await register('energy', person, { capacity: 1 }), 400, 'UNKNOWN_CAPACITY');
    const backwards = { start: '2026-01-01', end: '2025-01-01' };
    assertProblem(await register('cpasLiege', person, { period: backwards }), 400, 'PERIOD_INVALID');
  });
});

describe('exclusivity and overlap (anti-fraud)', () => {
  test('leefloon is exclusive: CPAS Liège is refused while OCMW Gent holds it, accepted outside it', async () => {
    const person = fresh(gentLeefloon, 'a leefloon recipient in Gent');
    const since = person.leefloon!.since;
    const leefloon = await leefloonRegistration(person);

    const conflict = conflictOf(await register('cpasLiege', person, { capacity: 2 }), 'EXCLUSIVITY_CONFLICT');
    assert.equal(conflict.id, leefloon.id);
    assert.equal(conflict.institution, kboOf(th.demo, 'ocmwGent'));
    assert.deepEqual(conflict.period, { start: since, end: null });

    const earlier = await register('cpasLiege', person, {
      capacity: 2,
      period: { start: addDays(since, -365), end: since },
    });
    assert.equal(earlier.status, 201, 'a period before the OCMW Gent dossier does not overlap it');

    const day = today(th.hub.clock);
    assert.equal((await unregister('ocmwGent', leefloon.id)).status, 200);
    const after = await register('cpasLiege', person, { capacity: 2, period: { start: day } });
    assert.equal(after.status, 201, JSON.stringify(after.body));
  });

  test('health-care insurability is exclusive: one fund at a time', async () => {
    const person = fresh(
      (p) =>
        p.healthFund.length === 1 && p.healthFund[0]!.start === '2010-01-01' && p.birthDate < '2005-01-01',
      'a person with one fund since 2010',
    );
    const fund = person.healthFund[0]!.fund;
    const other = fund === 'cm' ? 'solidaris' : 'cm';
    const conflict = conflictOf(await register(other, person), 'EXCLUSIVITY_CONFLICT');
    assert.equal(conflict.institution, kboOf(th.demo, fund));
    assert.equal(conflict.capacity, 1);
    assert.deepEqual(conflict.period, { start: '2010-01-01', end: null });
    const before = await register(other, person, { period: { start: '2005-01-01', end: '2010-01-01' } });
    assert.equal(before.status, 201);
  });

  test('409 REGISTRATION_OVERLAP when an institution registers its own capacity again, overlapping', async () => {
    const person = fresh(gentLeefloon, 'a leefloon recipient in Gent');
    const leefloon = await leefloonRegistration(person);
    const again = await register('ocmwGent', person, {
      capacity: 2,
      period: { start: addDays(person.leefloon!.since, 10) },
    });
    assert.equal(conflictOf(again, 'REGISTRATION_OVERLAP').id, leefloon.id);
  });
});

describe('UNREGISTER and LIST', () => {
  test('UNREGISTER closes the period; nothing is deleted; twice is 409; another’s is 404', async () => {
    const person = fresh(unknownToLiege, 'a person unknown to CPAS Liège');
    const created = await register('cpasLiege', person, { period: { start: '2025-01-01' } });
    const id: string = created.body.registration.id;
    const day = today(th.hub.clock);

    assertProblem(await unregister('ocmwGent', id), 404, 'REGISTRATION_NOT_FOUND');
    const ended = await unregister('cpasLiege', id);
    assert.equal(ended.status, 200);
    assert.deepEqual(ended.body.period, { start: '2025-01-01', end: day });
    assert.equal(typeof ended.body.endedAt, 'string');

    const listed = await list('cpasLiege', person.insz);
    assert.deepEqual(
      listed.body.map((r: { id: string; period: unknown }) => [r.id, r.period]),
      [[id, { start: '2025-01-01', end: day }]],
    );
    assertProblem(await unregister('cpasLiege', id), 409, 'REGISTRATION_ENDED');

    const trail = await events(id);
    assert.deepEqual(
      trail.map((e) => [e.action, e.by]),
      [
        ['REGISTER', actorLabel('cpasLiege')],
        ['UNREGISTER', actorLabel('cpasLiege')],
      ],
    );
    assert.deepEqual(JSON.parse(trail[1]!.detail), { end: day, previousEnd: null });
  });

  test('LIST shows only the caller’s own registrations', async () => {
    const person = fresh(gentLeefloon, 'a leefloon recipient in Gent');
    const leefloon = await leefloonRegistration(person);
    const theirs = await register('cpasLiege', person);
    assert.equal(theirs.status, 201);
    const ids = async (key: DemoInstitutionKey) =>
      (await list(key, person.insz)).body.map((r: { id: string }) => r.id);
    assert.deepEqual(await ids('ocmwGent'), [leefloon.id]);
    assert.deepEqual(await ids('cpasLiege'), [theirs.body.registration.id]);
    assert.deepEqual(await ids('energy'), []);
  });

  test('after UNREGISTER an exchange about the person for today is refused NO_ACTIVE_REGISTRATION', async () => {
    const person = fresh(gentLeefloon, 'a leefloon recipient in Gent');
    const leefloon = await leefloonRegistration(person);
    const body = {
      service: 'nr.identity',
      insz: person.insz,
      purpose: 'social-investigation',
      date: today(th.hub.clock),
    };
    const token = th.demo.credential('ocmwGent');
    await expectForwarded(th, { token, body });
    assert.equal((await unregister('ocmwGent', leefloon.id)).status, 200);
    const { record } = await expectRefused(th, { token, body }, 403, 'NO_ACTIVE_REGISTRATION');
    assert.equal(record.decision, 'deny');
    assert.equal(record.person, person.insz);
  });
});

test('no answer was a 500', () => {
  assert.deepEqual(th.internalErrors, []);
});
