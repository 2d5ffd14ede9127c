// The /me page: server-rendered HTML in Dutch, French or English (?lang=, then Accept-Language,
// then Dutch), accessible structure, the same entries as the JSON list, links to each entry's
// proof and to the authorisation, and how to verify offline.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AccessPage, MESSAGES, chooseLang, mePage } from '../../src/citizen/index.ts';
import { today } from '../../src/kernel/index.ts';
import { type TestHub, expectForwarded, leefloonClientInGent, startTestHub } from '../helpers/test-hub.ts';
import { Browser, loginAs, PATIENT } from './browser.ts';

let th: TestHub;
let browser: Browser;

before(async () => {
  th = await startTestHub({ people: 40, env: PATIENT });
  const insz = leefloonClientInGent(th.demo).insz;
  await expectForwarded(th, {
    token: th.demo.credential('ocmwGent'),
    body: { service: 'nr.identity', insz, purpose: 'social-investigation', date: today(th.hub.clock) },
  });
  browser = await loginAs(th, insz);
});
after(async () => {
  await th?.close();
});

describe('choosing the language', () => {
  const table = [
    { query: undefined, accept: undefined, want: 'nl' },
    { query: 'fr', accept: 'en', want: 'fr' },
    { query: 'de', accept: 'en-GB,en;q=0.9', want: 'en' },
    { query: undefined, accept: 'de-DE, fr-BE;q=0.8, en;q=0.5', want: 'fr' },
    { query: undefined, accept: 'fr;q=0, en;q=0.1', want: 'en' },
    { query: undefined, accept: 'de, es', want: 'nl' },
  ];
  for (const row of table) {
    test(`lang=${row.query ?? '∅'}, Accept-Language: ${row.accept ?? '∅'} → ${row.want}`, () => {
      assert.equal(chooseLang(row.query, row.accept), row.want);
    });
  }
});

describe('GET /me', () => {
  for (const lang of ['nl', 'fr', 'en'] as const) {
    test(`renders in ${lang}`, async () => {
      const response = await browser.get(`/me?lang=${lang}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const html = await response.text();
      const words = MESSAGES[lang];
      assert.ok(html.startsWith(`<!doctype html><html lang="${lang}">`));
      assert.ok(html.includes(`<h1>${words.title.replaceAll("'", '&#39;')}</h1>`));
      assert.ok(html.includes(`<caption>${words.caption.replaceAll("'", '&#39;')}</caption>`));
      assert.ok(html.includes('<a class="skip" href="#main">'), 'a skip link to the main content');
      assert.ok(html.includes('<main id="main"'));
      assert.ok(html.includes(':focus-visible{outline'), 'visible focus');
      assert.ok(html.includes('<th scope="col">') && html.includes('<th scope="row">'));
      assert.ok(html.includes('npx crossroads log verify-proof entry.json'));
      assert.ok(!/<script/i.test(html), 'works without JavaScript');
    });
  }

  test('lists the same entries as the JSON, with links to each proof and authorisation', async () => {
    const list = (await (await browser.get('/me/accesses')).json()) as AccessPage;
    const html = await (await browser.get('/me?lang=en')).text();
    const rows = html.match(/<tr><th scope="row">/g) ?? [];
    assert.equal(rows.length, list.entries.length);
    for (const entry of list.entries) {
      assert.ok(html.includes(`href="/me/accesses/${entry.logIndex}.json"`));
      const time = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Brussels',
        dateStyle: 'medium',
        timeStyle: 'medium',
      }).format(new Date(entry.time));
      assert.ok(html.includes(`<time datetime="${entry.time}">${time}</time>`), 'time in Brussels');
    }
    const link = 'href="/public/authorisations/IVC/KSZG/19/123?version=2"';
    assert.ok(html.includes(link), 'the authorisation links to the public register');
    assert.equal((await fetch(`${th.url}/public/authorisations/IVC/KSZG/19/123?version=2`)).status, 200);
    assert.ok(html.includes('Identity and address (National Register)'), 'the service in plain words');
  });

  test('Accept-Language chooses when ?lang= does not', async () => {
    const fr = await (await browser.get('/me', { 'accept-language': 'fr-BE,fr;q=0.9' })).text();
    assert.ok(fr.startsWith('<!doctype html><html lang="fr">'));
    const en = await (await browser.get('/me?lang=en', { 'accept-language': 'fr' })).text();
    assert.ok(en.startsWith('<!doctype html><html lang="en">'));
  });

  test('without a session it offers the login, in the page’s language', async () => {
    const html = await (await new Browser(th.url).get('/me?lang=fr')).text();
    assert.ok(html.includes('<a class="button" href="/me/login?lang=fr">Se connecter</a>'));
    assert.ok(!html.includes('<table'));
  });

  test('names from the identity provider are escaped', () => {
    const html = mePage({
      lang: 'en',
      session: { name: '<img src=x onerror=alert(1)>', formToken: 't"><script>' },
      accesses: { verifierKey: 'k', entries: [], nextCursor: null },
      cursor: undefined,
    });
    assert.ok(!html.includes('<img'));
    assert.ok(!html.includes('<script'));
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  });
});
