// The hub as an OpenID Connect relying party: authorization-code flow with PKCE (RFC 7636, S256),
// state and nonce, through openid-client (which validates the ID token as OpenID Connect Core
// §3.1.3.7 requires). Between the redirect to the provider and the callback, the PKCE verifier,
// state and nonce travel in a short-lived encrypted cookie (JWE, dir + A256GCM), not in memory,
// so any hub node holding the same session secret can finish a login another node started.
// https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth
// https://www.rfc-editor.org/rfc/rfc7636
import { EncryptJWT, jwtDecrypt } from 'jose';
import * as oidc from 'openid-client';
import { type Clock, Problem, parseInsz } from '../kernel/index.ts';

export const FLOW_COOKIE = 'crossroads_login';
export const FLOW_SECONDS = 600;

export interface ProviderSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly inszClaim: string;
}

export interface LoggedIn {
  readonly insz: string;
  readonly name: string;
  /** The page language the person started from. */
  readonly lang: string;
}

interface Flow {
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
  readonly lang: string;
}

export class RelyingParty {
  readonly #settings: () => ProviderSettings;
  readonly #flowKey: Uint8Array;
  readonly #clock: Clock;
  #configuration: Promise<oidc.Configuration> | undefined;

  /** `settings` is read at the first login: the demo provider's address is known only then. */
  constructor(settings: () => ProviderSettings, flowKey: Uint8Array, clock: Clock) {
    this.#settings = settings;
    this.#flowKey = flowKey;
    this.#clock = clock;
  }

  /** The provider's authorization URL and the encrypted flow cookie to set beside it. */
  async start(redirectUri: string, lang: string): Promise<{ location: URL; flowCookie: string }> {
    const configuration = await this.#discover();
    // RFC 7636 §4.1: "code_verifier = high-entropy cryptographic random STRING [...] with a
    // minimum length of 43 characters"; §4.2: "If the client is capable of using "S256", it MUST
    // use "S256"".
    const flow: Flow = {
      verifier: oidc.randomPKCECodeVerifier(),
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      lang,
    };
    const location = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      // OpenID Connect Core §3.1.2.1: state "is used to maintain state between the request and the
      // callback [...] by cryptographically binding the value of this parameter with a browser
      // cookie"; nonce is "used to associate a Client session with an ID Token, and to mitigate
      // replay attacks".
      state: flow.state,
      nonce: flow.nonce,
    });
    return { location, flowCookie: await this.#seal(flow) };
  }

  /** Checks the provider's answer at the callback URL against the flow cookie; LOGIN_FAILED if not. */
  async finish(callbackUrl: URL, flowCookie: string | undefined): Promise<LoggedIn> {
    const flow = await this.#open(flowCookie);
    const configuration = await this.#discover();
    let claims: oidc.IDToken | undefined;
    try {
      // openid-client checks state, sends the verifier and, OpenID Connect Core §3.1.3.7: "The
      // Issuer Identifier [...] MUST exactly match the value of the iss (issuer) Claim", "The
      // Client MUST validate that the aud (audience) Claim contains its client_id value", "The
      // current time MUST be before the time represented by the exp Claim", and the nonce "value
      // [is] checked to verify that it is the same value as the one that was sent".
      const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (error) {
      throw new Problem('LOGIN_FAILED', `the identity provider's answer was refused: ${messageOf(error)}`);
    }
    if (!claims) throw new Problem('LOGIN_FAILED', 'the identity provider returned no ID token');
    return { insz: this.#inszOf(claims), name: nameOf(claims), lang: flow.lang };
  }

  #inszOf(claims: oidc.IDToken): string {
    const { inszClaim } = this.#settings();
    const value = claims[inszClaim];
    const parsed = typeof value === 'string' ? parseInsz(value) : undefined;
    if (!parsed?.ok) {
      throw new Problem(
        'LOGIN_FAILED',
        `the ID token's ${inszClaim} claim is not a valid INSZ or BIS number`,
      );
    }
    return parsed.insz.value;
  }

  #discover(): Promise<oidc.Configuration> {
    this.#configuration ??= this.#connect().catch((error: unknown) => {
      this.#configuration = undefined; // try again at the next login
      throw new Problem('LOGIN_UNAVAILABLE', `the identity provider cannot be reached: ${messageOf(error)}`);
    });
    return this.#configuration;
  }

  async #connect(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret } = this.#settings();
    const url = new URL(issuer);
    // Plain http only for a provider on this machine (the demo provider, a developer's own).
    const local = url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    return oidc.discovery(url, clientId, clientSecret, undefined, {
      ...(local ? { execute: [oidc.allowInsecureRequests] } : {}),
      timeout: 10,
    });
  }

  async #seal(flow: Flow): Promise<string> {
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    return new EncryptJWT({ ...flow })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(now)
      .setExpirationTime(now + FLOW_SECONDS)
      .encrypt(this.#flowKey);
  }

  async #open(cookie: string | undefined): Promise<Flow> {
    if (!cookie) throw new Problem('LOGIN_FAILED', 'the login cookie is missing: start again from /me/login');
    try {
      const { payload } = await jwtDecrypt(cookie, this.#flowKey, { currentDate: this.#clock.now() });
      const { verifier, state, nonce, lang } = payload;
      if ([verifier, state, nonce, lang].every((v) => typeof v === 'string')) {
        return { verifier, state, nonce, lang } as Flow;
      }
    } catch {
      // expired, tampered with, or sealed with another secret: same answer
    }
    throw new Problem('LOGIN_FAILED', 'the login cookie is invalid or expired: start again from /me/login');
  }
}

function nameOf(claims: oidc.IDToken): string {
  if (typeof claims.name === 'string') return claims.name;
  return [claims.given_name, claims.family_name].filter((v) => typeof v === 'string').join(' ');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
