// The public registers (no login), the operator's administration, and the HTTP surface (landing
// page, health, docs, OpenAPI, unknown routes) against a really running hub with the demo network.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Authorisation } from '../../src/authz/index.ts';
import { today } from '../../src/kernel/index.ts';
import type { Capacity, DataService } from '../../src/network/index.ts';
import {
  type CallOptions,
  type CallResult,
  type TestHub,
  assertProblem,
  expectForwarded,
  expectRefused,
  kboOf,
  leefloonClientInGent,
  operatorToken,
  startTestHub,
} from '../helpers/test-hub.ts';

let th: TestHub;
const NEW_KBO = '0428759497'; // valid, not in the demo network

before(async () => {
  th = await startTestHub();
});
after(async () => {
  await th?.close();
});

type ServiceView = DataService & { readonly fields: string[] };
type PublicInstitution = { kbo: string; isSource: boolean } & Record<string, unknown>;

function asOperator<T = unknown>(
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<CallResult<T>> {
  return th.call<T>(method, path, { ...options, token: operatorToken(th.demo) });
}

const newInstitution = (extra: Record<string, unknown> = {}) => ({
  kbo: NEW_KBO,
  nameNl: 'Demo Bouw NV',
  nameFr: 'Demo Construction SA',
  sector: null,
  subsector: null,
  ...extra,
});

describe('public registers need no login', () => {
  test('/public/authorisations lists the latest version of each', async () => {
    const result = await th.call<Authorisation[]>('GET', '/public/authorisations');
    assert.equal(result.status, 200);
    const refs = result.body.map((a) => a.ref);
    assert.equal(new Set(refs).size, refs.length, 'one entry per reference');
    assert.equal(result.body.find((a) => a.ref === 'IVC/KSZG/19/123')?.version, 2);
  });

  test('/public/authorisations/<ref> answers the latest, a given version, or all versions', async () => {
    const path = '/public/authorisations/IVC/KSZG/19/123';
    const latest = await th.call<Authorisation>('GET', path);
    assert.equal(latest.status, 200);
    assert.equal(latest.body.version, 2);
    assert.ok(latest.body.services[0]!.fields.includes('deathDate'));
    const first = await th.call<Authorisation>('GET', `${path}?version=1`);
    assert.equal(first.body.version, 1);
    assert.ok(!first.body.services[0]!.fields.includes('deathDate'));
    const all = await th.call<Authorisation[]>('GET', `${path}?version=all`);
    assert.deepEqual(
      all.body.map((a) => a.version),
      [1, 2],
    );
    assertProblem(await th.call('GET', `${path}?version=3`), 404, 'UNKNOWN_AUTHORISATION');
    const unknown = await th.call('GET', '/public/authorisations/IVC/KSZG/99/999');
    assertProblem(unknown, 404, 'UNKNOWN_AUTHORISATION');
  });

  test('/public/services, /public/capacities and /public/sectors', async () => {
    const services = await th.call<ServiceView[]>('GET', '/public/services');
    assert.equal(services.status, 200);
    assert.deepEqual(services.body.map((s) => s.id).sort(), [
      'health.insurability',
      'nr.identity',
      'ocmw.social-integration',
      'pension.benefit',
      'rsz.employment',
      'rva.unemployment',
    ]);
    const capacities = await th.call<Capacity[]>('GET', '/public/capacities');
    assert.ok(capacities.body.some((c) => c.sector === 17 && c.code === 2 && c.exclusive));
    const sectors = await th.call<{ sector: number; subsector: number }[]>('GET', '/public/sectors');
    assert.ok(sectors.body.some((s) => s.sector === 17 && s.subsector === 1));
  });

  test('/public/institutions does not leak source endpoints or tokens', async () => {
    const result = await th.call<PublicInstitution[]>('GET', '/public/institutions');
    assert.equal(result.status, 200);
    assert.equal(result.body.length, th.demo.file.institutions.length);
    for (const i of result.body) {
      assert.deepEqual(Object.keys(i).sort(), ['isSource', 'kbo', 'nameFr', 'nameNl', 'sector', 'subsector']);
    }
    const text = JSON.stringify(result.body);
    for (const i of th.demo.file.institutions) if (i.sourceUrl) assert.ok(!text.includes(i.sourceUrl));
    assert.ok(!/127\.0\.0\.1|token/i.test(text));
  });
});

describe('administration', () => {
  test('admin endpoints: 401 without a credential, 403 OPERATOR_ONLY with an institution’s', async () => {
    const anonymous = await th.call('GET', '/admin/institutions');
    assertProblem(anonymous, 401, 'UNAUTHENTICATED');
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer /);
    const token = th.demo.credential('ocmwGent');
    assertProblem(await th.call('GET', '/admin/institutions', { token }), 403, 'OPERATOR_ONLY');
    const operator = await asOperator('GET', '/admin/institutions');
    assert.equal(operator.status, 200);
    assert.ok(!JSON.stringify(operator.body).includes('sourceToken'));
  });

  test('creating an institution: KBO_CHECKSUM, UNKNOWN_SECTOR, VALIDATION_FAILED, 201, INSTITUTION_EXISTS', async () => {
    const create = (body: Record<string, unknown>) =>
      asOperator<PublicInstitution>('POST', '/admin/institutions', { body });
    assertProblem(await create(newInstitution({ kbo: '0123456789' })), 400, 'KBO_CHECKSUM');
    assertProblem(await create(newInstitution({ sector: 99, subsector: 0 })), 400, 'UNKNOWN_SECTOR');
    const extra = await create(newInstitution({ foo: 1 }));
    assertProblem(extra, 400, 'VALIDATION_FAILED');
    assert.deepEqual(extra.body.errors, [
      { pointer: '/body/foo', message: 'must NOT have additional properties', unexpected: 'foo' },
    ]);

    const created = await create(newInstitution());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.kbo, NEW_KBO);
    assertProblem(await create(newInstitution()), 409, 'INSTITUTION_EXISTS');
    const listed = await th.call<PublicInstitution[]>('GET', '/public/institutions');
    assert.ok(listed.body.some((i) => i.kbo === NEW_KBO));
  });

  test('a credential the operator issues works until it is revoked', async () => {
    const issued = await asOperator<{ id: string; token: string }>('POST', '/admin/credentials', {
      body: { institution: NEW_KBO, label: 'test credential' },
    });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    const { id, token } = issued.body;
    const services = await th.call('GET', '/v1/services', { token });
    assert.equal(services.status, 200);
    assert.deepEqual(services.body, []);

    assert.equal((await asOperator('POST', `/admin/credentials/${id}/revoke`)).status, 204);
    assertProblem(await th.call('GET', '/v1/services', { token }), 401, 'CREDENTIAL_INVALID');
    assertProblem(await asOperator('POST', `/admin/credentials/${id}/revoke`), 404, 'UNKNOWN_CREDENTIAL');
  });

  test('amending an authorisation adds a version; the old one stays readable', async () => {
    const ref = 'IVC/KSZG/21/077';
    const current = (await th.call<Authorisation>('GET', `/public/authorisations/${ref}`)).body;
    const { title, decidedOn, recipients, services, purposes, capacities, validFrom, validTo, dataLevel } =
      current;
    const amended = await asOperator<Authorisation>('POST', '/admin/authorisations/amend', {
      body: {
        ...{ ref, title, decidedOn, recipients, services, capacities, validFrom, validTo, dataLevel },
        purposes: [...purposes, 'debt-mediation'],
        note: 'Amendment: debt mediation added.',
      },
    });
    assert.equal(amended.status, 201, JSON.stringify(amended.body));
    assert.equal(amended.body.version, current.version + 1);
    const old = await th.call<Authorisation>(
      'GET',
      `/public/authorisations/${ref}?version=${current.version}`,
    );
    assert.deepEqual(old.body.purposes, purposes);
    const latest = await th.call<Authorisation>('GET', `/public/authorisations/${ref}`);
    assert.ok(latest.body.purposes.includes('debt-mediation'));
  });

  test('after a withdrawal, an exchange that relied on it is refused AUTHORISATION_NOT_IN_FORCE', async () => {
    const ref = 'IVC/KSZG/20/045';
    const token = th.demo.credential('ocmwGent');
    const body = {
      service: 'rva.unemployment',
      insz: leefloonClientInGent(th.demo).insz,
      purpose: 'social-investigation',
      date: today(th.hub.clock),
    };
    const permitted = await expectForwarded(th, { token, body });
    assert.deepEqual(permitted.record.authorisation, { ref, version: 1 });

    const withdrawn = await asOperator<Authorisation>('POST', '/admin/authorisations/withdraw', {
      body: { ref, note: 'Withdrawn by the committee.' },
    });
    assert.equal(withdrawn.status, 201, JSON.stringify(withdrawn.body));
    assert.equal(withdrawn.body.status, 'withdrawn');
    assert.equal(withdrawn.body.version, 2);

    const { problem, record } = await expectRefused(th, { token, body }, 403, 'AUTHORISATION_NOT_IN_FORCE');
    assert.deepEqual(problem.authorisation, { ref, version: 2 });
    assert.equal(record.caller, kboOf(th.demo, 'ocmwGent'));
    const services = await th.call<ServiceView[]>('GET', '/v1/services', { token });
    assert.ok(!services.body.some((s) => s.id === 'rva.unemployment'));
  });

  test('publishing a service with an existing id makes version 2', async () => {
    const [v1] = (await th.call<ServiceView[]>('GET', '/public/services/pension.benefit')).body;
    const { id, title, description, fieldsSchema, providerRule } = v1!;
    const properties = { ...fieldsSchema.properties, paymentDay: { type: 'integer' } };
    const published = await asOperator<ServiceView>('POST', '/admin/services', {
      body: { id, title, description, providerRule, fieldsSchema: { ...fieldsSchema, properties } },
    });
    assert.equal(published.status, 201, JSON.stringify(published.body));
    assert.equal(published.body.version, 2);
    assert.ok(published.body.fields.includes('paymentDay'));
    const versions = await th.call<ServiceView[]>('GET', '/public/services/pension.benefit');
    assert.deepEqual(
      versions.body.map((s) => s.version),
      [1, 2],
    );
  });
});

describe('the HTTP surface', () => {
  test('an unknown route is a 404 ROUTE_NOT_FOUND problem', async () => {
    assertProblem(await th.call('GET', '/v1/nothing-here'), 404, 'ROUTE_NOT_FOUND');
    assertProblem(await th.call('DELETE', '/public/authorisations'), 404, 'ROUTE_NOT_FOUND');
  });

  test('GET / is an HTML landing page linking the docs and the authorisations', async () => {
    const result = await th.call<string>('GET', '/');
    assert.equal(result.status, 200);
    assert.match(result.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(result.body, /href="\/docs"/);
    assert.match(result.body, /href="\/public\/authorisations"/);
  });

  test('/health, /docs', async () => {
    const health = await th.call('GET', '/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const docs = await th.call('GET', '/docs');
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /^text\/html/);
  });

  test('/openapi.json is OpenAPI 3.1 with named shared schemas', async () => {
    type OpenApi = {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    const { status, body: doc } = await th.call<OpenApi>('GET', '/openapi.json');
    assert.equal(status, 200);
    assert.equal(doc.openapi, '3.1.0');
    for (const path of ['/v1/exchanges', '/v1/directory/registrations', '/public/authorisations']) {
      assert.ok(doc.paths[path], `documents ${path}`);
    }
    const names = Object.keys(doc.components.schemas);
    assert.ok(names.includes('Problem'), 'the Problem schema is named');
    assert.ok(!names.some((name) => /^def-\d+$/.test(name)), `no def-N names: ${names.join(', ')}`);
  });

  test('no answer in this file was a 500', () => {
    assert.deepEqual(th.internalErrors, []);
  });
});
