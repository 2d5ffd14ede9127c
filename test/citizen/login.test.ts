// Citizen login against a really running hub: the relying party walks the authorization-code
// flow with PKCE, state and nonce through the demo identity provider over real HTTP, with a
// cookie jar and redirects followed by hand. Then the session, logout, and every check that
// must refuse a login (wrong PKCE verifier, spent code, forged state, missing flow cookie,
// wrong client secret, a claim that is not an INSZ, no provider at all).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  DEMO_CLIENT_ID,
  SESSION_SECRET_FILE,
  deriveCitizenKeys,
  loadOrCreateSessionSecret,
} from '../../src/citizen/index.ts';
import { type TestHub, assertProblem, leefloonClientInGent, startTestHub } from '../helpers/test-hub.ts';
import { Browser, loginAs, startLogin, PATIENT } from './browser.ts';

let th: TestHub;
let insz: string;

before(async () => {
  th = await startTestHub({ people: 40, env: PATIENT });
  insz = leefloonClientInGent(th.demo).insz;
});
after(async () => {
  await th?.close();
});

async function problemOf(response: Response, status: number, code: string): Promise<void> {
  const body: unknown = await response.json();
  assertProblem({ status: response.status, headers: response.headers, body }, status, code);
}

/** The demo client's credentials, derived from the data folder's secret exactly as the hub does. */
function demoClient(): { id: string; secret: string } {
  const secret = loadOrCreateSessionSecret(join(th.dataDir, SESSION_SECRET_FILE));
  return { id: DEMO_CLIENT_ID, secret: deriveCitizenKeys(secret).demoClientSecret };
}

describe('login through the demo identity provider', () => {
  test('the provider publishes an OpenID configuration and a JWKS', async () => {
    const response = await fetch(`${th.url}/demo-idp/.well-known/openid-configuration`);
    const doc = (await response.json()) as Record<string, unknown>;
    assert.equal(doc.issuer, `${th.url}/demo-idp`);
    assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ['ES256']);
    const jwks = (await (await fetch(String(doc.jwks_uri))).json()) as {
      keys: { kty: string; alg: string }[];
    };
    assert.equal(jwks.keys[0]?.kty, 'EC');
    assert.equal(jwks.keys[0]?.alg, 'ES256');
  });

  test('the whole flow ends in a session for the person the provider vouched for', async () => {
    const browser = new Browser(th.url);
    const anonymous = await (await browser.get('/me')).text();
    assert.match(anonymous, /href="\/me\/login\?lang=nl"/, 'without a session /me offers the login');

    const start = await browser.get('/me/login');
    const authorize = new URL(Browser.location(start));
    // RFC 7636 §4.3 and OpenID Connect Core §3.1.2.1: S256 challenge, state and nonce are sent.
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authorize.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok(authorize.searchParams.get('state'));
    assert.ok(authorize.searchParams.get('nonce'));
    assert.equal(authorize.searchParams.get('redirect_uri'), `${th.url}/me/callback`);
    const flow = browser.cookie('crossroads_login');
    assert.ok(flow, 'the flow cookie is set');
    assert.match(flow.raw, /HttpOnly/i);
    assert.match(flow.raw, /Path=\/me\/callback/);
    assert.equal(flow.value.split('.').length, 5, 'the flow cookie is a JWE: the verifier is not readable');
    assert.ok(!flow.value.includes(authorize.searchParams.get('state')!));

    await loginAs(th, insz, browser);
    assert.equal(browser.cookie('crossroads_login'), undefined, 'the flow cookie is spent');
    const session = browser.cookie('crossroads_session')!;
    assert.match(session.raw, /HttpOnly/i);
    assert.match(session.raw, /SameSite=Lax/i);
    assert.match(session.raw, /Path=\/me/);
    assert.match(session.raw, /Max-Age=28800/);
    assert.doesNotMatch(session.raw, /Secure/i, 'plain http: no Secure flag (it is set for https)');

    const rows = await th.hub.store.db.selectFrom('sessions').selectAll().execute();
    const row = rows.find((r) => r.insz === insz);
    assert.ok(row, 'a session row for the person');
    assert.equal(row.id_hash, createHash('sha256').update(session.value).digest('hex'));
    assert.ok(!JSON.stringify(rows).includes(session.value), 'the store never holds the cookie value');

    const page = await (await browser.get('/me')).text();
    const person = th.demo.people.find((p) => p.insz === insz)!;
    assert.ok(page.includes(`${person.firstNames} ${person.lastName}`), 'the page names the person');
  });

  test('a login started under another host name restarts at the hub’s own address', async () => {
    const { port } = new URL(th.url);
    // fetch() will not send another Host than the URL's: node:http does.
    const location = await new Promise<string | undefined>((resolve, reject) => {
      const request = get(
        { host: '127.0.0.1', port, path: '/me/login?lang=fr', headers: { host: `localhost:${port}` } },
        (response) => {
          response.resume();
          resolve(response.headers.location);
        },
      );
      request.on('error', reject);
    });
    assert.equal(location, `${th.url}/me/login?lang=fr`);
  });

  test('the same callback cannot be used twice', async () => {
    const { browser, callbackUrl } = await startLogin(th, insz);
    const replay = browser.clone();
    assert.equal((await browser.get(callbackUrl.href)).status, 303);
    await problemOf(await replay.get(callbackUrl.href), 401, 'LOGIN_FAILED');
  });

  test('a forged state or a missing flow cookie is refused', async () => {
    const { browser, callbackUrl } = await startLogin(th, insz);
    const forged = new URL(callbackUrl);
    forged.searchParams.set('state', 'forged-state-value');
    await problemOf(await browser.clone().get(forged.href), 401, 'LOGIN_FAILED');
    // Another browser (an attacker's link opened by the victim) has no flow cookie.
    await problemOf(await new Browser(th.url).get(callbackUrl.href), 401, 'LOGIN_FAILED');
  });
});

describe('PKCE and client authentication at /token', () => {
  async function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}) {
    return fetch(`${th.url}/demo-idp/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  test('a wrong code_verifier is rejected, and the code is spent', async () => {
    const { browser, callbackUrl } = await startLogin(th, insz);
    const client = demoClient();
    const response = await tokenRequest({
      grant_type: 'authorization_code',
      code: callbackUrl.searchParams.get('code')!,
      redirect_uri: `${th.url}/me/callback`,
      code_verifier: 'x'.repeat(43),
      client_id: client.id,
      client_secret: client.secret,
    });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      error: 'invalid_grant',
      error_description: 'code_verifier does not match the code_challenge',
    });
    // RFC 6749 §4.1.2: a code is used at most once — the hub's own (correct) exchange now fails.
    await problemOf(await browser.get(callbackUrl.href), 401, 'LOGIN_FAILED');
  });

  test('a wrong client secret is invalid_client (basic auth)', async () => {
    const { callbackUrl } = await startLogin(th, insz);
    const basic = Buffer.from(`${DEMO_CLIENT_ID}:wrong`).toString('base64');
    const response = await tokenRequest(
      {
        grant_type: 'authorization_code',
        code: callbackUrl.searchParams.get('code')!,
        redirect_uri: `${th.url}/me/callback`,
        code_verifier: 'x'.repeat(43),
      },
      { authorization: `Basic ${basic}` },
    );
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
  });

  test('an authorization request without a PKCE challenge is refused', async () => {
    const browser = new Browser(th.url);
    const authorize = new URL(Browser.location(await browser.get('/me/login')));
    authorize.searchParams.delete('code_challenge');
    const refused = new URL(Browser.location(await browser.get(authorize.href)));
    assert.equal(refused.searchParams.get('error'), 'invalid_request');
    assert.equal(refused.searchParams.get('state'), authorize.searchParams.get('state'));
  });

  test('an unknown redirect URI is never redirected to', async () => {
    const browser = new Browser(th.url);
    const authorize = new URL(Browser.location(await browser.get('/me/login')));
    authorize.searchParams.set('redirect_uri', 'https://attacker.example/cb');
    const response = await browser.get(authorize.href);
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('location'), null);
  });
});

describe('sessions and logout', () => {
  test('without a session the JSON list is LOGIN_REQUIRED', async () => {
    await problemOf(await new Browser(th.url).get('/me/accesses'), 401, 'LOGIN_REQUIRED');
  });

  test('logout needs the page’s form token, then ends the session for every copy of the cookie', async () => {
    const browser = await loginAs(th, insz);
    const stolen = browser.clone();
    // A cross-site form cannot know the token: nothing happens.
    const forged = await browser.request('POST', '/me/logout', { form: { lang: 'nl' } });
    assert.equal(Browser.location(forged), '/me?lang=nl');
    assert.equal((await browser.get('/me/accesses')).status, 200, 'still logged in');

    const page = await (await browser.get('/me?lang=en')).text();
    const token = /name="token" value="([^"]+)"/.exec(page)?.[1];
    assert.ok(token, 'the page carries the logout form token');
    const out = await browser.request('POST', '/me/logout', { form: { token, lang: 'en' } });
    assert.equal(Browser.location(out), '/me?lang=en');
    assert.equal(browser.cookie('crossroads_session'), undefined, 'the cookie is cleared');
    await problemOf(await browser.get('/me/accesses'), 401, 'LOGIN_REQUIRED');
    await problemOf(await stolen.get('/me/accesses'), 401, 'LOGIN_REQUIRED');
    assert.match(await (await stolen.get('/me')).text(), /href="\/me\/login/);
  });
});

describe('the hub’s configuration decides who may log in', () => {
  test('the INSZ comes from the configured claim, and must be a valid INSZ', async () => {
    const other = await startTestHub({ people: 10, env: { ...PATIENT, CROSSROADS_OIDC_INSZ_CLAIM: 'name' } });
    try {
      const person = other.demo.people[0]!;
      const { browser, callbackUrl } = await startLogin(other, person.insz);
      const response = await browser.get(callbackUrl.href);
      await problemOf(response, 401, 'LOGIN_FAILED');
      assert.equal(browser.cookie('crossroads_session'), undefined);
    } finally {
      await other.close();
    }
    const fas = await startTestHub({
      people: 10,
      env: { ...PATIENT, CROSSROADS_OIDC_INSZ_CLAIM: 'egovNRN' },
    });
    try {
      await loginAs(fas, fas.demo.people[1]!.insz);
    } finally {
      await fas.close();
    }
  });

  test('outside demo mode and without a provider, login is unavailable', async () => {
    const plain = await startTestHub({ people: 10, demo: false, env: PATIENT });
    try {
      await problemOf(await new Browser(plain.url).get('/me/login'), 503, 'LOGIN_UNAVAILABLE');
      assert.equal((await fetch(`${plain.url}/demo-idp/.well-known/openid-configuration`)).status, 404);
    } finally {
      await plain.close();
    }
  });
});
