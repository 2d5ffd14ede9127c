// "Who used my data" against a really running hub: exchanges about two people through
// POST /v1/exchanges with demo credentials, then each person's /me/accesses must list exactly the
// log records about them — none about the other — each with a proof that the project's own
// verifier accepts once the sequencer has integrated the records.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AccessEntry, AccessPage } from '../../src/citizen/index.ts';
import { today } from '../../src/kernel/index.ts';
import {
  leafHash,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  verifyInclusion,
} from '../../src/log/index.ts';
import {
  type TestHub,
  assertProblem,
  expectForwarded,
  expectRefused,
  startTestHub,
} from '../helpers/test-hub.ts';
import { type Browser, loginAs, PATIENT } from './browser.ts';

let th: TestHub;
let alice: string; // two leefloon recipients OCMW Gent holds a dossier for
let bob: string;
const exchanges = new Map<string, string[]>(); // person → exchange ids

before(async () => {
  th = await startTestHub({ people: 60, env: PATIENT });
  const clients = th.demo.people.filter((p) => p.leefloon !== null && p.region === 'gent');
  assert.ok(clients.length >= 2, 'the demo holds two leefloon recipients in Gent');
  [alice, bob] = [clients[0]!.insz, clients[1]!.insz];
  const ask = (insz: string, purpose: string) => ({
    token: th.demo.credential('ocmwGent'),
    body: { service: 'nr.identity', insz, purpose, date: today(th.hub.clock) },
  });
  const done = (insz: string, id: string) => exchanges.set(insz, [...(exchanges.get(insz) ?? []), id]);
  done(alice, (await expectForwarded(th, ask(alice, 'social-investigation'))).record.exchangeId);
  done(bob, (await expectForwarded(th, ask(bob, 'social-investigation'))).record.exchangeId);
  done(
    alice,
    (await expectRefused(th, ask(alice, 'marketing'), 403, 'PURPOSE_NOT_AUTHORISED')).record.exchangeId,
  );
});
after(async () => {
  await th?.close();
});

async function accesses(browser: Browser, query = ''): Promise<AccessPage> {
  const response = await browser.get(`/me/accesses${query}`);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as AccessPage;
}

/** Every log record about `insz`, newest first, straight from the store. */
async function recordsAbout(insz: string): Promise<{ seq: number; exchangeId: string }[]> {
  const rows = await th.hub.store.db
    .selectFrom('exchange_log')
    .select(['seq', 'exchange_id'])
    .where('person', '=', insz)
    .orderBy('seq', 'desc')
    .execute();
  return rows.map((r) => ({ seq: Number(r.seq), exchangeId: r.exchange_id }));
}

/** Waits (the sequencer runs every second) until every entry is in a signed tree. */
async function withProofs(browser: Browser): Promise<AccessPage> {
  for (let waited = 0; ; waited += 100) {
    const page = await accesses(browser, '?limit=200');
    if (page.entries.every((e) => e.proof !== null) || waited >= 3000) return page;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function verifyEntry(entry: AccessEntry, trustedKey: string): void {
  assert.ok(entry.proof, `entry ${entry.logIndex} has a proof`);
  const leaf = leafHash(new TextEncoder().encode(entry.record));
  assert.equal(Buffer.from(leaf).toString('base64'), entry.proof.leafHash, 'the record hashes to the leaf');
  const opened = openNote(entry.proof.checkpoint.note, [parseVerifierKey(trustedKey)]);
  const checkpoint = parseCheckpoint(opened.text);
  assert.equal(checkpoint.size, entry.proof.checkpoint.size);
  assert.equal(Buffer.from(checkpoint.rootHash).toString('base64'), entry.proof.checkpoint.rootHash);
  verifyInclusion({
    leafIndex: entry.logIndex,
    treeSize: checkpoint.size,
    leafHash: leaf,
    proof: entry.proof.inclusion.map((h) => new Uint8Array(Buffer.from(h, 'base64'))),
    rootHash: checkpoint.rootHash,
  });
}

describe('GET /me/accesses', () => {
  test('lists exactly the records about the logged-in person, newest first', async () => {
    for (const [me, other] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      const page = await accesses(await loginAs(th, me), '?limit=200');
      const expected = await recordsAbout(me);
      assert.deepEqual(
        page.entries.map((e) => e.logIndex),
        expected.map((r) => r.seq - 1),
      );
      const ids = page.entries.map((e) => (JSON.parse(e.record) as { exchangeId: string }).exchangeId);
      for (const id of exchanges.get(me)!) assert.ok(ids.includes(id), 'my exchanges are listed');
      for (const id of exchanges.get(other)!) assert.ok(!ids.includes(id), 'nobody else’s are');
      for (const entry of page.entries)
        assert.equal((JSON.parse(entry.record) as { person: string }).person, me);
      assert.equal(page.nextCursor, null);
    }
  });

  test('each entry says who, what, why, under which authorisation, and with what result', async () => {
    const page = await accesses(await loginAs(th, alice), '?lang=fr');
    const [refused, forwarded] = page.entries;
    assert.equal(refused?.outcome, 'refused');
    assert.equal(refused.purpose, 'marketing');
    assert.equal(forwarded?.outcome, 'forwarded');
    assert.equal(forwarded.kind, 'exchange');
    assert.equal(forwarded.purpose, 'social-investigation');
    assert.deepEqual(forwarded.authorisation, { ref: 'IVC/KSZG/19/123', version: 2 });
    const ocmw = th.hub.registry.institutionByKbo(forwarded.institution!.kbo)!;
    assert.deepEqual(forwarded.institution, { kbo: ocmw.kbo, name: { nl: ocmw.nameNl, fr: ocmw.nameFr } });
    assert.equal(forwarded.display.institution, ocmw.nameFr, 'lang=fr names it in French');
    assert.equal(forwarded.service?.id, 'nr.identity');
    assert.deepEqual(forwarded.service.title, th.hub.registry.service('nr.identity')!.title);
    assert.equal(forwarded.display.outcome, 'Données transmises');
    assert.equal(page.verifierKey, th.hub.logKey.verifierKey);
    assert.equal(forwarded.verifierKey, th.hub.logKey.verifierKey, 'the key travels inside each entry too');
  });

  test('every entry carries a proof that verifies offline, and a changed record does not', async () => {
    const page = await withProofs(await loginAs(th, alice));
    assert.ok(page.entries.length >= 3);
    for (const entry of page.entries) verifyEntry(entry, th.hub.logKey.verifierKey);
    const forged = { ...page.entries[0]!, record: page.entries[0]!.record.replace('marketing', 'marketinG') };
    assert.throws(() => verifyEntry(forged, th.hub.logKey.verifierKey));
  });

  test('pages never repeat or skip an entry', async () => {
    const browser = await loginAs(th, alice);
    const all = (await accesses(browser, '?limit=200')).entries.map((e) => e.logIndex);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: AccessPage = await accesses(browser, `?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.entries.length, 1);
      seen.push(page.entries[0]!.logIndex);
      cursor = page.nextCursor;
    } while (cursor !== null);
    assert.deepEqual(seen, all);
  });

  test('from and to narrow the list; bad values are problems', async () => {
    const browser = await loginAs(th, alice);
    const now = th.hub.clock.now();
    assert.equal(
      (await accesses(browser, `?from=${new Date(now.getTime() + 60_000).toISOString()}`)).entries.length,
      0,
    );
    assert.equal((await accesses(browser, '?to=2000-01-01')).entries.length, 0);
    const sinceYesterday = await accesses(
      browser,
      `?from=${new Date(now.getTime() - 86_400_000).toISOString()}`,
    );
    assert.equal(sinceYesterday.entries.length, (await recordsAbout(alice)).length);
    const bad = await browser.get('/me/accesses?from=2025-02-30');
    assertProblem({ status: bad.status, headers: bad.headers, body: await bad.json() }, 400, 'DATE_INVALID');
    const cursor = await browser.get('/me/accesses?cursor=bm90LW91cnM');
    assertProblem(
      { status: cursor.status, headers: cursor.headers, body: await cursor.json() },
      400,
      'VALIDATION_FAILED',
    );
    const limit = await browser.get('/me/accesses?limit=201');
    assert.equal(limit.status, 400);
  });
});

describe('GET /me/accesses/{logIndex}.json', () => {
  test('gives one of my entries with its proof, and nobody else’s', async () => {
    const browser = await withProofsReady(alice);
    const mine = (await accesses(browser)).entries[0]!;
    const response = await browser.get(`/me/accesses/${mine.logIndex}.json`);
    assert.equal(response.status, 200);
    const entry = (await response.json()) as AccessEntry;
    assert.deepEqual(entry, mine);
    verifyEntry(entry, entry.verifierKey);

    const bobs = (await recordsAbout(bob))[0]!.seq - 1;
    const theirs = await browser.get(`/me/accesses/${bobs}.json`);
    const missing = await browser.get('/me/accesses/999999.json');
    for (const r of [theirs, missing]) {
      assertProblem({ status: r.status, headers: r.headers, body: await r.json() }, 404, 'ACCESS_NOT_FOUND');
    }
    assert.equal((await browser.get('/me/accesses/01.json')).status, 400);
  });
});

async function withProofsReady(insz: string): Promise<Browser> {
  const browser = await loginAs(th, insz);
  await withProofs(browser);
  return browser;
}
