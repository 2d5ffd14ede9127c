// Routing to the person's health fund(s), and what happens when a source has no data, is slow or
// is down — against a really running hub and the demo network's source servers. The source-down
// test stops the RVA source, so it runs last.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DemoInstitutionKey, DemoPerson } from '../../src/demo/index.ts';
import { today } from '../../src/kernel/index.ts';
import { verifyChain } from '../../src/log/index.ts';
import type { RegisterResultView } from '../helpers/test-hub.ts';
import {
  type TestHub,
  expectForwarded,
  expectRefused,
  kboOf,
  otherFund,
  pick,
  startTestHub,
  TEST_SOURCE_TIMEOUT_MS,
} from '../helpers/test-hub.ts';

let th: TestHub;
let attempts = 0; // log records so far: the demo's REGISTERs left identity checks, then one per attempt

before(async () => {
  th = await startTestHub();
  attempts = th.hub.log.size;
});
after(async () => {
  await th?.close();
});

type Body = Record<string, unknown>;

function forwarded(key: DemoInstitutionKey, body: Body) {
  attempts += 1;
  return expectForwarded(th, { token: th.demo.credential(key), body });
}

function refused(key: DemoInstitutionKey, body: Body, status: number, code: string) {
  attempts += 1;
  return expectRefused(th, { token: th.demo.credential(key), body }, status, code);
}

function received(key: DemoInstitutionKey): number {
  return th.demo.sources.get(key)!.received.length;
}

function currentFund(p: DemoPerson): 'cm' | 'solidaris' {
  return p.healthFund.at(-1)!.fund;
}

function onOneFund(p: DemoPerson): boolean {
  return p.healthFund.length === 1;
}

type Insurability = {
  fund: { code: string; name: string };
  insurable: boolean;
  since: string;
  until: string | null;
};
const kbosOf = (providers: readonly { kbo: string }[]) => providers.map((p) => p.kbo);

test('health.insurability goes only to the fund where the person is registered', async () => {
  const client = pick(
    th.demo,
    (p) => p.leefloon !== null && p.region === 'gent' && onOneFund(p),
    'a leefloon recipient in Gent who never changed fund',
  );
  const fund = currentFund(client);
  const other = otherFund(client);
  const [fundBefore, otherBefore] = [received(fund), received(other)];

  const { answer, record } = await forwarded('ocmwGent', {
    service: 'health.insurability',
    insz: client.insz,
    purpose: 'medical-costs',
    date: today(th.hub.clock),
  });
  assert.deepEqual(kbosOf(answer.providers), [kboOf(th.demo, fund)]);
  const data = answer.data as Insurability[];
  assert.equal(data.length, 1);
  // The authorisation grants fund, insurable, since, until — not increasedReimbursement.
  assert.deepEqual(Object.keys(data[0]!).sort(), ['fund', 'insurable', 'since', 'until']);
  assert.equal(data[0]!.insurable, true);
  assert.equal(received(fund), fundBefore + 1);
  assert.equal(received(other), otherBefore, 'the other fund is never asked');
  assert.equal(th.demo.sources.get(fund)!.received.at(-1)!.exchangeId, answer.exchangeId);

  assert.deepEqual(record.providers, [kboOf(th.demo, fund)]);
  assert.deepEqual(record.authorisation, { ref: 'IVC/KSZG/21/077', version: 1 });
  assert.equal(record.registrations.length, 1);
});

test('a period spanning a change of fund on 2024-01-01 is answered by both funds, in order', async () => {
  const person = pick(
    th.demo,
    (p) => p.healthFund.length === 2 && (p.region !== 'gent' || (!p.leefloon && !p.underExamination)),
    'a person who changed fund and is unknown to OCMW Gent',
  );
  const [first, second] = person.healthFund.map((m) => m.fund) as ['cm' | 'solidaris', 'cm' | 'solidaris'];
  // OCMW Gent opens a dossier (under examination, not exclusive) covering the period it will ask about.
  const ocmw = th.demo.credential('ocmwGent');
  const listed = await th.call('GET', `/v1/directory/registrations?insz=${person.insz}`, { token: ocmw });
  assert.deepEqual(listed.body, [], 'OCMW Gent held no dossier for this person yet');
  const registered = await th.call<RegisterResultView>('POST', '/v1/directory/registrations', {
    token: ocmw,
    body: {
      insz: person.insz,
      capacity: 1,
      period: { start: '2023-06-01' },
      proof: { identityCardNumber: person.identityCardNumber },
    },
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  attempts += 1; // the REGISTER's identity check at the National Register is logged too
  const before = [received(first), received(second)];

  const { answer, record } = await forwarded('ocmwGent', {
    service: 'health.insurability',
    insz: person.insz,
    purpose: 'medical-costs',
    period: { start: '2023-12-01', end: '2024-02-01' },
  });
  const kbos = [kboOf(th.demo, first), kboOf(th.demo, second)];
  assert.deepEqual(kbosOf(answer.providers), kbos);
  assert.deepEqual(
    (answer.data as Insurability[]).map((d) => [d.since, d.until]),
    [
      [person.healthFund[0]!.start, '2024-01-01'],
      ['2024-01-01', null],
    ],
  );
  assert.deepEqual([received(first), received(second)], [before[0]! + 1, before[1]! + 1]);
  assert.deepEqual(record.providers, kbos);
  assert.deepEqual(record.registrations, [registered.body.registration.id]);
  assert.deepEqual(record.period, { start: '2023-12-01', end: '2024-02-01' });
});

test('a fund asking the pension service gets only the income guarantee and since', async () => {
  const member = pick(th.demo, (p) => p.pension !== null && currentFund(p) === 'cm', 'a pensioner at CM');
  const { answer, record } = await forwarded('cm', {
    service: 'pension.benefit',
    insz: member.insz,
    purpose: 'increased-reimbursement',
    date: today(th.hub.clock),
  });
  assert.deepEqual(answer.data, {
    incomeGuarantee: member.pension!.incomeGuarantee,
    since: member.pension!.since,
  });
  assert.deepEqual(record.providers, [kboOf(th.demo, 'sfpd')]);
});

test('404 PROVIDER_NO_DATA when the source holds nothing on the person', async () => {
  const member = pick(
    th.demo,
    (p) => p.pension === null && currentFund(p) === 'cm',
    'a CM member without pension',
  );
  const sfpd = received('sfpd');
  const { record } = await refused(
    'cm',
    {
      service: 'pension.benefit',
      insz: member.insz,
      purpose: 'increased-reimbursement',
      date: today(th.hub.clock),
    },
    404,
    'PROVIDER_NO_DATA',
  );
  assert.equal(received('sfpd'), sfpd + 1, 'the source was asked');
  assert.equal(record.decision, 'permit');
  assert.deepEqual(record.providers, [kboOf(th.demo, 'sfpd')]);
  assert.equal(record.outcome, 'failed');
});

const client = () => pick(th.demo, (p) => p.leefloon !== null && p.region === 'gent', 'a leefloon client');

test('504 PROVIDER_TIMEOUT when the source answers after the deadline', async () => {
  const nr = th.demo.sources.get('nr')!;
  const body = {
    service: 'nr.identity',
    insz: client().insz,
    purpose: 'social-investigation',
    date: today(th.hub.clock),
  };
  nr.setDelay(TEST_SOURCE_TIMEOUT_MS * 2);
  try {
    const started = performance.now();
    const { problem, record } = await refused('ocmwGent', body, 504, 'PROVIDER_TIMEOUT');
    const elapsed = performance.now() - started;
    assert.equal(problem.provider, kboOf(th.demo, 'nr'));
    // Answered at the deadline, not when the source finally answers.
    assert.ok(
      elapsed >= TEST_SOURCE_TIMEOUT_MS - 20 && elapsed < TEST_SOURCE_TIMEOUT_MS * 2,
      `answered after ${Math.round(elapsed)} ms`,
    );
    assert.equal(record.decision, 'permit');
    assert.equal(record.outcome, 'failed');
    assert.deepEqual(record.providers, [kboOf(th.demo, 'nr')]);
  } finally {
    nr.setDelay(0);
  }
  await forwarded('ocmwGent', body); // the source answers again once it is fast
});

test('502 PROVIDER_UNAVAILABLE when the source is down (runs last: stops the RVA source)', async () => {
  await th.demo.sources.get('rva')!.close();
  const body = {
    service: 'rva.unemployment',
    insz: client().insz,
    purpose: 'social-investigation',
    date: today(th.hub.clock),
  };
  const { problem, record } = await refused('ocmwGent', body, 502, 'PROVIDER_UNAVAILABLE');
  assert.equal(problem.provider, kboOf(th.demo, 'rva'));
  assert.equal(record.decision, 'permit');
  assert.equal(record.outcome, 'failed');
  assert.deepEqual(record.providers, [kboOf(th.demo, 'rva')]);
  assert.deepEqual(record.authorisation, { ref: 'IVC/KSZG/20/045', version: 1 });
});

test('the whole log verifies, one record per attempt, and no answer was a 500', async () => {
  assert.deepEqual(await verifyChain(th.hub.store.db), { ok: true, size: attempts });
  assert.deepEqual(th.internalErrors, []);
});
