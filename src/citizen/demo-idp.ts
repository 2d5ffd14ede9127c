// A minimal but real OpenID provider for the demo network, mounted at {hub}/demo-idp when the hub
// runs its demo and no CROSSROADS_OIDC_ISSUER is set. The hub's relying party talks to it over
// HTTP exactly as to a real provider: discovery, authorization code with PKCE (S256 only),
// client_secret_basic or client_secret_post, and ES256-signed ID tokens with a published JWKS.
// It keeps its signing key and its authorization codes in memory: a restart ends logins under way.
// https://openid.net/specs/openid-connect-core-1_0.html  https://openid.net/specs/openid-connect-discovery-1_0.html
// https://www.rfc-editor.org/rfc/rfc6749  https://www.rfc-editor.org/rfc/rfc7636
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { type CryptoKey, type JWK, SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { sendPage } from '../http/index.ts';
import { type AuthorizationParams, type DemoIdentity, demoLoginPage } from './demo-idp-page.ts';

export interface DemoIdpOptions {
  /** `{public URL}/demo-idp`, known once the hub listens. */
  readonly issuer: () => string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The one redirect URI registered for the client (exact match, RFC 6749 §3.1.2). */
  readonly redirectUri: () => string;
  readonly people: () => readonly DemoIdentity[];
}

interface Grant {
  readonly person: DemoIdentity;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly nonce: string | undefined;
  readonly codeChallenge: string;
  readonly expiresAt: number;
}

const CODE_SECONDS = 60;
const ID_TOKEN_SECONDS = 300;
const REQUEST_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce'].concat([
  'code_challenge',
  'code_challenge_method',
]);
// RFC 7636 §4.1: code_verifier = 43*128unreserved; §4.2: the S256 challenge is 43 base64url characters.
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export function demoIdentityProvider(options: DemoIdpOptions): FastifyPluginAsync {
  return async (app) => {
    const signer = await IdTokenSigner.create();
    const codes = new Codes();
    const hidden = { schema: { hide: true }, config: { audience: 'public' as const } };

    app.get('/.well-known/openid-configuration', hidden, () => discoveryDocument(options.issuer()));
    app.get('/jwks', hidden, () => ({ keys: [signer.publicJwk] }));

    app.get('/authorize', hidden, (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const checked = checkAuthorization(options, query);
      if ('error' in checked) return refuseAuthorization(reply, checked);
      const q = typeof query.q === 'string' ? query.q : '';
      return sendPage(reply, demoLoginPage(checked.params, options.people(), q));
    });

    app.post('/authorize', hidden, (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const checked = checkAuthorization(options, body);
      if ('error' in checked) return refuseAuthorization(reply, checked);
      const person = options.people().find((p) => p.insz === body.insz);
      if (!person) return refuseAuthorization(reply, { ...checked, error: 'access_denied', redirect: true });
      const code = codes.issue(person, options.clientId, checked.params);
      // RFC 9207: the iss parameter tells the client which provider answered (mix-up defence).
      const target = callback(checked.params, { code, iss: options.issuer() });
      return reply.code(303).header('location', target).send();
    });

    app.post('/token', hidden, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const client = authenticateClient(request, body, options);
      if (client === 'invalid') return tokenError(reply, 401, 'invalid_client');
      if (client === 'malformed') return tokenError(reply, 400, 'invalid_request');
      if (body.grant_type !== 'authorization_code') return tokenError(reply, 400, 'unsupported_grant_type');
      const grant = codes.take(typeof body.code === 'string' ? body.code : '');
      const refusal = checkGrant(grant, body);
      if (refusal !== undefined || !grant) return tokenError(reply, 400, 'invalid_grant', refusal);
      return {
        access_token: randomBytes(32).toString('base64url'),
        token_type: 'Bearer',
        expires_in: ID_TOKEN_SECONDS,
        scope: 'openid profile',
        id_token: await signer.sign(grant, options.issuer()),
      };
    });
  };
}

/** Authorization codes: random, short-lived, and spent by the first attempt to redeem them. */
class Codes {
  readonly #grants = new Map<string, Grant>();

  issue(person: DemoIdentity, clientId: string, params: AuthorizationParams): string {
    for (const [code, grant] of this.#grants) if (grant.expiresAt < Date.now()) this.#grants.delete(code);
    const code = randomBytes(32).toString('base64url');
    this.#grants.set(code, {
      person,
      clientId,
      redirectUri: params.redirect_uri!,
      nonce: params.nonce,
      codeChallenge: params.code_challenge!,
      expiresAt: Date.now() + CODE_SECONDS * 1000,
    });
    return code;
  }

  take(code: string): Grant | undefined {
    const grant = this.#grants.get(code);
    // RFC 6749 §4.1.2: "The client MUST NOT use the authorization code more than once": it is
    // spent by this attempt, whether the rest of the request holds or not.
    this.#grants.delete(code);
    return grant;
  }
}

/** ES256 ID tokens (OpenID Connect Core §2) under a key made at start and published as a JWK. */
class IdTokenSigner {
  readonly publicJwk: JWK;
  readonly #privateKey: CryptoKey;

  private constructor(publicJwk: JWK, privateKey: CryptoKey) {
    this.publicJwk = publicJwk;
    this.#privateKey = privateKey;
  }

  static async create(): Promise<IdTokenSigner> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return new IdTokenSigner({ ...jwk, kid, alg: 'ES256', use: 'sig' }, privateKey);
  }

  sign(grant: Grant, issuer: string): Promise<string> {
    const { person } = grant;
    return new SignJWT({
      nonce: grant.nonce,
      name: `${person.firstNames} ${person.lastName}`,
      given_name: person.firstNames,
      family_name: person.lastName,
      birthdate: person.birthDate,
      // The claim Belgium's FAS uses for the national number, so either claim setting works.
      egovNRN: person.insz,
    })
      .setProtectedHeader({ alg: 'ES256', kid: this.publicJwk.kid!, typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(person.insz)
      .setAudience(grant.clientId)
      .setIssuedAt()
      .setExpirationTime(`${ID_TOKEN_SECONDS}s`)
      .sign(this.#privateKey);
  }
}

function discoveryDocument(issuer: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    scopes_supported: ['openid', 'profile'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    claims_supported: ['sub', 'name', 'given_name', 'family_name', 'birthdate', 'egovNRN', 'nonce'],
    authorization_response_iss_parameter_supported: true,
  };
}

type AuthorizationCheck =
  | { readonly params: AuthorizationParams }
  | { readonly params: AuthorizationParams; readonly error: string; readonly redirect: boolean };

function checkAuthorization(options: DemoIdpOptions, input: Record<string, unknown>): AuthorizationCheck {
  const params: Record<string, string> = {};
  for (const name of REQUEST_PARAMS) if (typeof input[name] === 'string') params[name] = input[name];
  // RFC 6749 §4.1.2.1: with a missing or wrong client or redirection URI, the server "MUST NOT
  // automatically redirect the user-agent to the invalid redirection URI".
  if (params.client_id !== options.clientId || params.redirect_uri !== options.redirectUri()) {
    return { params, error: 'invalid_request', redirect: false };
  }
  if (params.response_type !== 'code') return { params, error: 'unsupported_response_type', redirect: true };
  // OpenID Connect Core §3.1.2.1: "OpenID Connect requests MUST contain the openid scope value."
  if (!(params.scope ?? '').split(' ').includes('openid'))
    return { params, error: 'invalid_scope', redirect: true };
  // This provider requires PKCE with S256 (RFC 7636 §4.4.1: "If the server requires Proof Key
  // for Code Exchange (PKCE) [...] and the client does not send the "code_challenge" in the
  // request, the authorization endpoint MUST return [...] "invalid_request"").
  if (params.code_challenge_method !== 'S256' || !CHALLENGE.test(params.code_challenge ?? '')) {
    return { params, error: 'invalid_request', redirect: true };
  }
  return { params };
}

function refuseAuthorization(
  reply: FastifyReply,
  check: { params: AuthorizationParams; error: string; redirect: boolean },
): FastifyReply {
  if (!check.redirect) {
    return reply
      .code(400)
      .type('text/plain; charset=utf-8')
      .send(`${check.error}: unknown client or redirection URI`);
  }
  return reply
    .code(303)
    .header('location', callback(check.params, { error: check.error }))
    .send();
}

function callback(params: AuthorizationParams, answer: Record<string, string>): string {
  const url = new URL(params.redirect_uri!);
  for (const [k, v] of Object.entries(answer)) url.searchParams.set(k, v);
  // RFC 6749 §4.1.2: state is returned "if the "state" parameter was present in the client
  // authorization request. The exact value received from the client."
  if (params.state !== undefined) url.searchParams.set('state', params.state);
  return url.href;
}

/** 'ok', 'invalid' (wrong credentials: 401) or 'malformed' (two methods at once: 400). */
function authenticateClient(
  request: FastifyRequest,
  body: Record<string, unknown>,
  options: DemoIdpOptions,
): 'ok' | 'invalid' | 'malformed' {
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
  if (basic !== undefined && body.client_secret !== undefined) return 'malformed';
  let id: unknown = body.client_id;
  let secret: unknown = body.client_secret;
  if (basic !== undefined) {
    // RFC 6749 §2.3.1: the id and secret are form-urlencoded, then joined by a colon.
    const pair = Buffer.from(basic, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon < 0) return 'invalid';
    [id, secret] = [safeDecode(pair.slice(0, colon)), safeDecode(pair.slice(colon + 1))];
  }
  return id === options.clientId && typeof secret === 'string' && sameText(secret, options.clientSecret)
    ? 'ok'
    : 'invalid';
}

function checkGrant(grant: Grant | undefined, body: Record<string, unknown>): string | undefined {
  if (!grant || grant.expiresAt < Date.now()) return 'unknown, used or expired code';
  // RFC 6749 §4.1.3: the server must "ensure that the "redirect_uri" parameter is present if the
  // "redirect_uri" parameter was included in the initial authorization request [...] and if
  // included ensure that their values are identical."
  if (body.redirect_uri !== grant.redirectUri) return 'redirect_uri differs from the authorization request';
  const verifier = typeof body.code_verifier === 'string' ? body.code_verifier : '';
  if (!VERIFIER.test(verifier)) return 'code_verifier missing or malformed';
  // RFC 7636 §4.6: "the server verifies it by calculating the code challenge from the received
  // "code_verifier" and comparing it with the previously associated "code_challenge"" —
  // S256: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge.
  const challenge = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  if (!sameText(challenge, grant.codeChallenge)) return 'code_verifier does not match the code_challenge';
  return undefined;
}

/** RFC 6749 §5.2 error answer (OAuth's own format, not a problem: clients parse `error`). */
function tokenError(reply: FastifyReply, status: number, error: string, description?: string): FastifyReply {
  if (status === 401) void reply.header('www-authenticate', 'Basic realm="crossroads-demo-idp"');
  return reply
    .code(status)
    .type('application/json')
    .send({ error, ...(description ? { error_description: description } : {}) });
}

function sameText(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return '';
  }
}
