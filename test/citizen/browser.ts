// A tiny browser for the citizen tests: real HTTP with fetch, redirects followed by hand
// (redirect: 'manual'), and a cookie jar that honours Path, Max-Age and Expires — enough to walk
// an OpenID Connect login the way a browser does.
import assert from 'node:assert/strict';
import type { TestHub } from '../helpers/test-hub.ts';

/**
 * These tests never exercise source time-outs: a generous one keeps the demo's seeding (hundreds
 * of identity checks) from failing on a loaded machine.
 */
export const PATIENT = { CROSSROADS_SOURCE_TIMEOUT_MS: '5000' } as const;

export interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
  /** The Set-Cookie line as received, to check its attributes. */
  readonly raw: string;
}

export class Browser {
  readonly base: string;
  readonly #jar = new Map<string, StoredCookie>();

  constructor(base: string) {
    this.base = base;
  }

  cookie(name: string): StoredCookie | undefined {
    return [...this.#jar.values()].find((c) => c.name === name);
  }

  /** A copy of this browser with the same cookies (another tab, or a stolen cookie jar). */
  clone(): Browser {
    const copy = new Browser(this.base);
    for (const [k, v] of this.#jar) copy.#jar.set(k, v);
    return copy;
  }

  async request(
    method: string,
    target: string,
    options: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const url = new URL(target, this.base);
    const headers: Record<string, string> = { ...options.headers };
    const cookies = this.#cookiesFor(url.pathname);
    if (cookies) headers.cookie = cookies;
    let body: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.#store(line);
    return response;
  }

  get(target: string, headers?: Record<string, string>): Promise<Response> {
    return this.request('GET', target, headers ? { headers } : {});
  }

  /** Expects a redirect and returns its Location. */
  static location(response: Response, status = 303): string {
    assert.equal(response.status, status, `a ${status} redirect`);
    const location = response.headers.get('location');
    assert.ok(location, 'a Location header');
    return location;
  }

  #cookiesFor(path: string): string {
    return [...this.#jar.values()]
      .filter((c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  #store(line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const attr = new Map(
      attributes.map((a) => {
        const i = a.indexOf('=');
        return i < 0 ? [a.toLowerCase(), ''] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
      }),
    );
    const path = attr.get('path') ?? '/';
    const maxAge = attr.get('max-age');
    const expires = attr.get('expires');
    const gone =
      value === '' ||
      (maxAge !== undefined && Number(maxAge) <= 0) ||
      (expires !== undefined && Date.parse(expires) <= Date.now());
    if (gone) this.#jar.delete(`${name} ${path}`);
    else this.#jar.set(`${name} ${path}`, { name, value, path, raw: line });
  }
}

export interface LoginSteps {
  readonly browser: Browser;
  /** The provider's authorization URL the hub sent the browser to. */
  readonly authorizeUrl: URL;
  /** The callback URL the provider sent the browser back to (with code, state, iss). */
  readonly callbackUrl: URL;
}

/** Walks /me/login → the demo provider → choose `insz` → stops before the hub's callback. */
export async function startLogin(
  th: TestHub,
  insz: string,
  browser = new Browser(th.url),
): Promise<LoginSteps> {
  const authorizeUrl = new URL(Browser.location(await browser.get('/me/login')));
  assert.equal(authorizeUrl.origin + authorizeUrl.pathname, `${th.url}/demo-idp/authorize`);
  const page = await browser.get(`${authorizeUrl.href}&q=${insz}`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.ok(html.includes(`value="${insz}"`), 'the demo login page offers the person');
  const form = Object.fromEntries(authorizeUrl.searchParams);
  const chosen = await browser.request('POST', '/demo-idp/authorize', { form: { ...form, insz } });
  const callbackUrl = new URL(Browser.location(chosen));
  return { browser, authorizeUrl, callbackUrl };
}

/** The whole login: returns a browser holding the session cookie. */
export async function loginAs(th: TestHub, insz: string, browser = new Browser(th.url)): Promise<Browser> {
  const { callbackUrl } = await startLogin(th, insz, browser);
  const done = await browser.get(callbackUrl.href);
  assert.match(Browser.location(done), /^\/me\?lang=(nl|fr|en)$/);
  assert.ok(browser.cookie('crossroads_session'), 'the session cookie is set');
  return browser;
}
