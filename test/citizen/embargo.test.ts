// Confidential exchanges: an exchange made under an authorisation with `embargoDays` stays out of
// the person's list until the embargo ends — and nothing (page, JSON, cursor, single-entry
// answer) tells that it exists. Then, with the hub's clock moved past the embargo, it appears.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AccessPage, isVisible } from '../../src/citizen/index.ts';
import { ManualClock, today } from '../../src/kernel/index.ts';
import {
  type TestHub,
  expectForwarded,
  leefloonClientInGent,
  operatorToken,
  startTestHub,
} from '../helpers/test-hub.ts';
import { type Browser, loginAs, PATIENT } from './browser.ts';

const DAY = 86_400_000;
const EMBARGO_DAYS = 30;
const clock = new ManualClock(new Date());
let th: TestHub;
let insz: string;

before(async () => {
  th = await startTestHub({ clock, people: 40, env: PATIENT });
  insz = leefloonClientInGent(th.demo).insz;
  const created = await th.call('POST', '/admin/authorisations', {
    token: operatorToken(th.demo),
    body: {
      ref: 'IVC/KSZG/99/001',
      title: 'Fraud investigation by the OCMW (confidential until the investigation ends)',
      decidedOn: '2024-01-09',
      recipients: { institutions: [], sectors: [{ sector: 17, subsector: 1 }] },
      services: [{ service: 'nr.identity', fields: ['lastName', 'birthDate'] }],
      purposes: ['fraud-investigation'],
      capacities: [{ sector: 17, code: 2 }],
      validFrom: '2024-02-01',
      validTo: null,
      dataLevel: 'identified',
      embargoDays: EMBARGO_DAYS,
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
});
after(async () => {
  await th?.close();
});

function exchange(purpose: string) {
  return expectForwarded(th, {
    token: th.demo.credential('ocmwGent'),
    body: { service: 'nr.identity', insz, purpose, date: today(th.hub.clock) },
  });
}

async function json(browser: Browser, path: string): Promise<{ status: number; body: unknown }> {
  const response = await browser.get(path);
  return { status: response.status, body: await response.json() };
}

/** The answer without the proofs, which change with every record anyone adds to the log. */
function withoutProofs(page: AccessPage) {
  return { ...page, entries: page.entries.map((e) => ({ ...e, proof: null })) };
}

describe('the embargo rule', () => {
  const at = '2026-03-01T10:00:00.000Z';
  const table = [
    { embargoDays: null, now: at, want: true },
    { embargoDays: 30, now: at, want: false },
    { embargoDays: 30, now: new Date(Date.parse(at) + 30 * DAY - 1).toISOString(), want: false },
    { embargoDays: 30, now: new Date(Date.parse(at) + 30 * DAY).toISOString(), want: true },
    { embargoDays: 1, now: '2026-03-02T10:00:00.000Z', want: true },
  ];
  for (const row of table) {
    test(`${row.embargoDays ?? 'no'} days, at ${row.now}: ${row.want ? 'shown' : 'hidden'}`, () => {
      assert.equal(isVisible(at, row.embargoDays, new Date(row.now)), row.want);
    });
  }
});

describe('an exchange under an embargoed authorisation', () => {
  test('is hidden, and nothing reveals it, until its embargo ends', async () => {
    await exchange('social-investigation');
    let browser = await loginAs(th, insz);
    const page = (path: string) => browser.get(path).then((r) => r.text());
    const before = {
      html: await page('/me'),
      en: await page('/me?lang=en'),
      list: (await json(browser, '/me/accesses?limit=200')).body as AccessPage,
      firstPage: (await json(browser, '/me/accesses?limit=1')).body as AccessPage,
    };

    const { record } = await exchange('fraud-investigation');
    assert.equal(record.authorisation?.ref, 'IVC/KSZG/99/001', 'made under the confidential authorisation');
    const hidden = record.seq - 1;

    assert.equal(await page('/me'), before.html, 'the page is the same, byte for byte');
    assert.equal(await page('/me?lang=en'), before.en);
    const list = (await json(browser, '/me/accesses?limit=200')).body as AccessPage;
    assert.deepEqual(withoutProofs(list), withoutProofs(before.list));
    assert.ok(!list.entries.some((e) => e.logIndex === hidden));
    // The first page of one: same entry, and the same cursor, as before the hidden record existed.
    const first = (await json(browser, '/me/accesses?limit=1')).body as AccessPage;
    assert.deepEqual(withoutProofs(first), withoutProofs(before.firstPage));
    // A page exactly as long as the visible list has no next page (the hidden one does not count).
    const exact = (await json(browser, `/me/accesses?limit=${list.entries.length}`)).body as AccessPage;
    assert.equal(exact.nextCursor, null);
    // Asking for it by index is answered as for an entry that does not exist.
    const direct = await json(browser, `/me/accesses/${hidden}.json`);
    const none = await json(browser, '/me/accesses/987654.json');
    assert.equal(direct.status, 404);
    assert.deepEqual(
      { ...(direct.body as object), detail: null, instance: null, requestId: null },
      { ...(none.body as object), detail: null, instance: null, requestId: null },
    );

    // One minute before the end it is still hidden (the 8-hour session has ended: log in again).
    clock.advance(EMBARGO_DAYS * DAY - 60_000);
    assert.equal((await browser.get('/me/accesses')).status, 401, 'the session expired on the hub’s clock');
    browser = await loginAs(th, insz);
    const almost = (await json(browser, '/me/accesses?limit=200')).body as AccessPage;
    assert.ok(!almost.entries.some((e) => e.logIndex === hidden));

    clock.advance(2 * 60_000);
    const after = (await json(browser, '/me/accesses?limit=200')).body as AccessPage;
    assert.equal(after.entries[0]?.logIndex, hidden, 'now shown, newest first');
    assert.equal(after.entries.length, list.entries.length + 1);
    assert.equal(after.entries[0].purpose, 'fraud-investigation');
    assert.equal((await browser.get(`/me/accesses/${hidden}.json`)).status, 200);
    assert.match(await browser.get('/me').then((r) => r.text()), /fraud-investigation/);
  });
});
