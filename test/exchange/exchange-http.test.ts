// POST /v1/exchanges against a really running hub and the demo network's source servers: the
// permit path with field filtering, every denial reason, request validation, authentication, and
// the log record each attempt leaves. (Routing and source failures: exchange-routing.test.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DemoInstitutionKey, DemoPerson } from '../../src/demo/index.ts';
import type { RegistrationView } from '../../src/directory/index.ts';
import { addDays, today } from '../../src/kernel/index.ts';
import { type StoredRecord, verifyChain } from '../../src/log/index.ts';
import {
  type CallOptions,
  type TestHub,
  assertProblem,
  expectForwarded,
  expectRefused,
  kboOf,
  leefloonClientInGent,
  operatorToken,
  pensioner,
  personUnknownToOcmwGent,
  startTestHub,
} from '../helpers/test-hub.ts';

let th: TestHub;
let attempts = 0; // log records so far: the demo's REGISTERs left identity checks, then one per attempt
let client: DemoPerson; // a leefloon recipient OCMW Gent holds a dossier for
const NOBODY = '85073003328'; // a valid INSZ no demo person has

before(async () => {
  th = await startTestHub();
  attempts = th.hub.log.size;
  client = leefloonClientInGent(th.demo);
  assert.ok(!th.demo.people.some((p) => p.insz === NOBODY));
});
after(async () => {
  await th?.close();
});

type Body = Record<string, unknown>;
const as = (key: DemoInstitutionKey, body: Body): CallOptions => ({ token: th.demo.credential(key), body });

function forwarded(options: CallOptions) {
  attempts += 1;
  return expectForwarded(th, options);
}

function refused(options: CallOptions, status: number, code: string) {
  attempts += 1;
  return expectRefused(th, options, status, code);
}

function identityRequest(extra: Body = {}): Body {
  return {
    service: 'nr.identity',
    insz: client.insz,
    purpose: 'social-investigation',
    date: today(th.hub.clock),
    ...extra,
  };
}

function sourceCalls(): number {
  return [...th.demo.sources.values()].reduce((n, s) => n + s.received.length, 0);
}

describe('a permitted exchange', () => {
  test('returns only the fields the authorisation grants and logs the permit', async () => {
    const list = await th.call<RegistrationView[]>('GET', `/v1/directory/registrations?insz=${client.insz}`, {
      token: th.demo.credential('ocmwGent'),
    });
    const leefloon = list.body.find((r) => r.capacity === 2);
    assert.ok(leefloon, 'OCMW Gent holds the leefloon registration');

    const request = identityRequest({ caseReference: 'D-1', endUser: 'agent-7' });
    const { answer, record } = await forwarded(as('ocmwGent', request));
    assert.deepEqual(answer.authorisation, { ref: 'IVC/KSZG/19/123', version: 2 });
    assert.deepEqual(answer.providers, [
      { kbo: kboOf(th.demo, 'nr'), name: 'Rijksregister (FOD Binnenlandse Zaken)' },
    ]);
    const data = answer.data as Body;
    assert.equal(data.lastName, client.lastName);
    assert.deepEqual(data.address, client.address);
    assert.ok(!('identityCardNumber' in data), 'the authorisation does not grant the card number');
    assert.ok('deathDate' in data, 'version 2 of the authorisation added the date of death');

    const day = today(th.hub.clock);
    assert.equal(record.exchangeId, answer.exchangeId);
    assert.equal(record.decision, 'permit');
    assert.equal(record.code, null);
    assert.deepEqual(record.authorisation, { ref: 'IVC/KSZG/19/123', version: 2 });
    assert.deepEqual(record.registrations, [leefloon.id]);
    assert.deepEqual(record.providers, [kboOf(th.demo, 'nr')]);
    assert.equal(record.person, client.insz);
    assert.equal(record.caller, kboOf(th.demo, 'ocmwGent'));
    assert.equal(record.service, 'nr.identity');
    assert.equal(record.serviceVersion, 1);
    assert.equal(record.purpose, 'social-investigation');
    assert.deepEqual(record.period, { start: day, end: addDays(day, 1) });
    assert.deepEqual([...record.fields].sort(), Object.keys(data).sort());
    assert.equal(record.caseReference, 'D-1');
    assert.equal(record.endUser, 'agent-7');
    assert.ok(record.durationMs >= 0);
  });

  test('fields: ["lastName"] returns only lastName', async () => {
    const { answer, record } = await forwarded(as('ocmwGent', identityRequest({ fields: ['lastName'] })));
    assert.deepEqual(answer.data, { lastName: client.lastName });
    assert.deepEqual(record.fields, ['lastName']);
  });
});

describe('denials: the reason with its status, nothing forwarded, the denial logged', () => {
  const IDENTITY_V2 = { ref: 'IVC/KSZG/19/123', version: 2 };
  const cases: {
    name: string;
    key: DemoInstitutionKey;
    body: () => Body;
    status: number;
    code: string;
    decision: 'deny' | null;
    authorisation?: { ref: string; version: number };
  }[] = [
    {
      name: 'an energy supplier has no authorisation for unemployment data',
      key: 'energy',
      body: () => identityRequest({ service: 'rva.unemployment', purpose: 'social-tariff' }),
      status: 403,
      code: 'NO_AUTHORISATION',
      decision: 'deny',
    },
    {
      name: 'the pension service’s identity authorisation ended on 2025-01-01',
      key: 'sfpd',
      body: () => identityRequest({ insz: pensioner(th.demo).insz, purpose: 'pension-payment' }),
      status: 403,
      code: 'AUTHORISATION_NOT_IN_FORCE',
      decision: 'deny',
      authorisation: { ref: 'IVC/KSZG/14/044', version: 1 },
    },
    {
      name: 'a purpose the authorisation does not name',
      key: 'ocmwGent',
      body: () => identityRequest({ purpose: 'debt-collection' }),
      status: 403,
      code: 'PURPOSE_NOT_AUTHORISED',
      decision: 'deny',
      authorisation: IDENTITY_V2,
    },
    {
      name: 'a field the authorisation does not grant (identity-card number)',
      key: 'ocmwGent',
      body: () => identityRequest({ fields: ['lastName', 'identityCardNumber'] }),
      status: 403,
      code: 'FIELD_NOT_AUTHORISED',
      decision: 'deny',
      authorisation: IDENTITY_V2,
    },
    {
      name: 'a field the service does not return',
      key: 'ocmwGent',
      body: () => identityRequest({ fields: ['shoeSize'] }),
      status: 400,
      code: 'SERVICE_FIELD_UNKNOWN',
      decision: null,
    },
    {
      name: 'a person OCMW Gent holds no dossier for',
      key: 'ocmwGent',
      body: () => identityRequest({ insz: personUnknownToOcmwGent(th.demo).insz }),
      status: 403,
      code: 'NO_ACTIVE_REGISTRATION',
      decision: 'deny',
      authorisation: IDENTITY_V2,
    },
    {
      name: 'a valid INSZ that nobody has',
      key: 'ocmwGent',
      body: () => identityRequest({ insz: NOBODY }),
      status: 403,
      code: 'NO_ACTIVE_REGISTRATION',
      decision: 'deny',
      authorisation: IDENTITY_V2,
    },
    {
      name: 'a period that starts before the registration',
      key: 'ocmwGent',
      body: () => {
        const since = client.leefloon!.since;
        const period = { start: addDays(since, -31), end: addDays(since, 31) };
        return identityRequest({ date: undefined, period });
      },
      status: 403,
      code: 'PERIOD_NOT_COVERED',
      decision: 'deny',
      authorisation: IDENTITY_V2,
    },
    {
      name: 'a service that does not exist',
      key: 'ocmwGent',
      body: () => identityRequest({ service: 'nr.shoe-size' }),
      status: 404,
      code: 'UNKNOWN_SERVICE',
      decision: null,
    },
  ];

  for (const c of cases) {
    test(`${c.status} ${c.code}: ${c.name}`, async () => {
      const calls = sourceCalls();
      const body = c.body();
      const { problem, record } = await refused(as(c.key, body), c.status, c.code);
      assert.equal(sourceCalls(), calls, 'no source was called');
      assert.equal(record.decision, c.decision);
      assert.equal(record.outcome, 'refused');
      assert.equal(record.caller, kboOf(th.demo, c.key));
      assert.equal(record.person, body.insz);
      assert.deepEqual(record.authorisation, c.authorisation ?? null);
      assert.deepEqual(record.providers, []);
      assert.deepEqual(record.registrations, []);
      assert.equal(typeof record.reason, 'string');
      assert.deepEqual(problem.authorisation, c.authorisation);
    });
  }
});

describe('request validation: 4xx problems, still logged', () => {
  const refusedBeforeDeciding = (record: StoredRecord) => {
    assert.equal(record.decision, null);
    assert.equal(record.outcome, 'refused');
    assert.equal(record.caller, kboOf(th.demo, 'ocmwGent'));
  };

  for (const [code, insz] of [
    ['INSZ_CHECKSUM', '85073003327'],
    ['INSZ_FORMAT', 'ABCDEFGHIJK'],
  ] as const) {
    test(`400 ${code}: ${insz}`, async () => {
      const { record } = await refused(as('ocmwGent', identityRequest({ insz })), 400, code);
      refusedBeforeDeciding(record);
      assert.equal(record.person, null, 'an invalid number is not recorded as a person');
    });
  }

  for (const [name, extra] of [
    ['both date and period', { period: { start: '2026-01-01' } }],
    ['neither date nor period', { date: undefined }],
  ] as const) {
    test(`400 VALIDATION_FAILED: ${name}`, async () => {
      const { problem, record } = await refused(
        as('ocmwGent', identityRequest(extra)),
        400,
        'VALIDATION_FAILED',
      );
      assert.equal(problem.errors?.[0]?.pointer, '/body/date');
      refusedBeforeDeciding(record);
      assert.equal(record.person, client.insz);
    });
  }

  test('400 VALIDATION_FAILED names the missing /purpose', async () => {
    const body = identityRequest({ purpose: undefined });
    const { problem, record } = await refused(as('ocmwGent', body), 400, 'VALIDATION_FAILED');
    assert.deepEqual(problem.errors, [
      { pointer: '/body/purpose', message: "must have required property 'purpose'", missing: 'purpose' },
    ]);
    assert.match(problem.detail ?? '', /^\/body\/purpose /);
    refusedBeforeDeciding(record);
    assert.equal(record.person, client.insz, 'a request that failed its schema still names its valid INSZ');
  });

  test('400 BODY_MALFORMED: a body that is not JSON is refused and logged', async () => {
    const options = {
      token: th.demo.credential('ocmwGent'),
      rawBody: '{"service": "nr.identity",',
      headers: { 'content-type': 'application/json' },
    };
    const { record } = await refused(options, 400, 'BODY_MALFORMED');
    refusedBeforeDeciding(record);
    assert.equal(record.service, null);
  });

  test('415 UNSUPPORTED_MEDIA_TYPE: a body that is not application/json', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const options = {
        token: th.demo.credential('ocmwGent'),
        rawBody: 'service=nr.identity',
        headers: { 'content-type': type },
      };
      const { record } = await refused(options, 415, 'UNSUPPORTED_MEDIA_TYPE');
      refusedBeforeDeciding(record);
    }
  });
});

describe('authentication', () => {
  test('401 UNAUTHENTICATED without a credential, with WWW-Authenticate, logged with caller null', async () => {
    const { result, record } = await refused({ body: identityRequest() }, 401, 'UNAUTHENTICATED');
    assert.match(result.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.equal(record.caller, null);
    assert.equal(record.service, 'nr.identity');
  });

  test('401 CREDENTIAL_INVALID with a wrong credential', async () => {
    const token = th.demo.credential('ocmwGent').slice(0, -4) + 'AAAA';
    const { result, record } = await refused({ token, body: identityRequest() }, 401, 'CREDENTIAL_INVALID');
    assert.match(result.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.equal(record.caller, null);
  });

  test('403 INSTITUTION_ONLY with the operator credential', async () => {
    const options = { token: operatorToken(th.demo), body: identityRequest() };
    const { record } = await refused(options, 403, 'INSTITUTION_ONLY');
    assert.equal(record.caller, null);
  });
});

describe('reading back', () => {
  test('GET /v1/exchanges/:id answers the caller’s own record, and 404 for another institution', async () => {
    const { answer, record } = await forwarded(as('ocmwGent', identityRequest({ fields: ['birthDate'] })));
    const path = `/v1/exchanges/${answer.exchangeId}`;
    const own = await th.call<StoredRecord>('GET', path, { token: th.demo.credential('ocmwGent') });
    assert.equal(own.status, 200);
    assert.deepEqual(own.body, record);
    assertProblem(
      await th.call('GET', path, { token: th.demo.credential('cpasLiege') }),
      404,
      'ROUTE_NOT_FOUND',
    );
    const missing = await th.call('GET', '/v1/exchanges/no-such-id', {
      token: th.demo.credential('ocmwGent'),
    });
    assertProblem(missing, 404, 'ROUTE_NOT_FOUND');
  });

  test('GET /v1/services lists only what the caller may call', async () => {
    type Callable = { id: string; fields: string[]; purposes: string[] };
    const ocmw = await th.call<Callable[]>('GET', '/v1/services', { token: th.demo.credential('ocmwGent') });
    assert.equal(ocmw.status, 200);
    const ids = ocmw.body.map((s) => s.id).sort();
    assert.deepEqual(ids, ['health.insurability', 'nr.identity', 'rsz.employment', 'rva.unemployment']);
    const identity = ocmw.body.find((s) => s.id === 'nr.identity')!;
    assert.ok(!identity.fields.includes('identityCardNumber'));
    assert.ok(identity.fields.includes('deathDate'));
    assert.deepEqual(identity.purposes, ['social-investigation']);

    const energy = await th.call('GET', '/v1/services', { token: th.demo.credential('energy') });
    assert.equal(energy.status, 200);
    assert.deepEqual(energy.body, []);
  });
});

test('the whole log verifies, one record per attempt, and no answer was a 500', async () => {
  assert.deepEqual(await verifyChain(th.hub.store.db), { ok: true, size: attempts });
  assert.deepEqual(th.internalErrors, []);
});
