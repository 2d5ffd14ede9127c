// The citizens' routes under /me: login through OpenID Connect (or the demo provider), logout,
// and "who used my data" as a page and as JSON. Sessions are cookies, not bearer credentials, so
// these routes are `public` to the bearer hook and check the session themselves.
import type { Server } from 'node:http';
import { join } from 'node:path';
import cookie, { type CookieSerializeOptions } from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AuthorisationRegister } from '../authz/index.ts';
import type { HubConfig } from '../config.ts';
import type { Clock } from '../kernel/index.ts';
import type { LogSigningKey, LogTree } from '../log/index.ts';
import type { NetworkRegistry } from '../network/index.ts';
import type { Store } from '../store/index.ts';
import { accessRoutes } from './access-routes.ts';
import type { DemoIdentity } from './demo-idp-page.ts';
import { demoIdentityProvider } from './demo-idp.ts';
import { loginRoutes } from './login-routes.ts';
import { type ProviderSettings, RelyingParty } from './relying-party.ts';
import {
  deriveCitizenKeys,
  formToken,
  formTokenMatches,
  loadOrCreateSessionSecret,
} from './session-secret.ts';
import { type CitizenSession, SESSION_COOKIE, SessionStore } from './sessions.ts';

export interface CitizenDeps {
  readonly config: Pick<HubConfig, 'dataDir' | 'demo' | 'publicUrl' | 'oidc' | 'oidcInszClaim'>;
  readonly store: Store;
  readonly tree: LogTree;
  readonly logKey: LogSigningKey;
  readonly registry: NetworkRegistry;
  readonly authorisations: AuthorisationRegister;
  readonly clock: Clock;
  /** The demo network's people, for the demo login page (demo mode only). */
  readonly demoPeople?: () => readonly DemoIdentity[];
}

export const DEMO_CLIENT_ID = 'crossroads-demo';
export const SESSION_SECRET_FILE = 'session-secret';

/** What the /me routes share: the session cookie and the hub's external address. */
export interface CitizenContext {
  readonly baseUrl: () => string;
  readonly cookieOptions: (path: string, maxAgeSeconds: number) => CookieSerializeOptions;
  readonly sessionOf: (request: FastifyRequest) => Promise<CitizenSession | undefined>;
  readonly formTokenOk: (session: CitizenSession, token: unknown) => boolean;
  readonly formToken: (session: CitizenSession) => string;
}

export function citizenRoutes(deps: CitizenDeps): FastifyPluginAsyncTypebox {
  const { config, clock } = deps;
  const keys = deriveCitizenKeys(loadOrCreateSessionSecret(join(config.dataDir, SESSION_SECRET_FILE)));
  const sessions = new SessionStore(deps.store.db, clock);
  const people = config.demo && !config.oidc ? deps.demoPeople : undefined;
  let known: readonly DemoIdentity[] | undefined;
  const demoPeople = people && (() => (known ??= people()));

  return async (app) => {
    await app.register(cookie);
    await app.register(formbody);
    const baseUrl = () => config.publicUrl ?? listenUrl(app.server);
    const context: CitizenContext = {
      baseUrl,
      cookieOptions: (path, maxAge) => ({
        path,
        maxAge,
        httpOnly: true,
        sameSite: 'lax',
        secure: baseUrl().startsWith('https:'),
      }),
      sessionOf: (request) => sessions.find(request.cookies[SESSION_COOKIE]),
      formTokenOk: (session, token) =>
        typeof token === 'string' && formTokenMatches(keys, session.idHash, token),
      formToken: (session) => formToken(keys, session.idHash),
    };

    let provider: (() => ProviderSettings) | undefined;
    const { oidc, oidcInszClaim: inszClaim } = config;
    if (oidc) provider = () => ({ ...oidc, inszClaim });
    else if (demoPeople) {
      const demo = { issuer: () => `${baseUrl()}/demo-idp`, clientId: DEMO_CLIENT_ID };
      const clientSecret = keys.demoClientSecret;
      provider = () => ({ issuer: demo.issuer(), clientId: demo.clientId, clientSecret, inszClaim });
      const redirectUri = () => `${baseUrl()}/me/callback`;
      const idp = demoIdentityProvider({ ...demo, clientSecret, redirectUri, people: demoPeople });
      await app.register(idp, { prefix: '/demo-idp' });
    }
    const relyingParty = provider ? new RelyingParty(provider, keys.flowKey, clock) : undefined;

    loginRoutes(app, { relyingParty, sessions, context, direct: config.publicUrl === undefined });
    accessRoutes(app, deps, context);
  };
}

/** The hub's own address when no CROSSROADS_PUBLIC_URL says otherwise. */
function listenUrl(server: Server): string {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the hub does not listen on TCP');
  const any = ['0.0.0.0', '::', '::1'].includes(address.address);
  const host = any ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
