// The citizens' routes under /me: login through OpenID Connect (or the demo provider), logout,
// and "who used my data" as a page and as JSON. Sessions are cookies, not bearer credentials, so
// these routes are `public` to the bearer hook and check the session themselves.
import type { Server } from 'node:http';
import { join } from 'node:path';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AuthorisationRegister } from '../authz/index.ts';
import type { HubConfig } from '../config.ts';
import { type Clock, Problem } from '../kernel/index.ts';
import type { LogSigningKey, LogTree } from '../log/index.ts';
import type { NetworkRegistry } from '../network/index.ts';
import type { Store } from '../store/index.ts';
import { accessRoutes } from './access-routes.ts';
import type { DemoIdentity } from './demo-idp-page.ts';
import { demoIdentityProvider } from './demo-idp.ts';
import { chooseLang } from './messages.ts';
import { FLOW_COOKIE, FLOW_SECONDS, type ProviderSettings, RelyingParty } from './relying-party.ts';
import {
  deriveCitizenKeys,
  formToken,
  formTokenMatches,
  loadOrCreateSessionSecret,
} from './session-secret.ts';
import { type CitizenSession, SESSION_COOKIE, SESSION_HOURS, SessionStore } from './sessions.ts';

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
    const base = () => config.publicUrl ?? listenUrl(app.server);
    const redirectUri = () => `${base()}/me/callback`;
    const cookieOptions = (path: string, maxAge: number) => ({
      path,
      maxAge,
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: base().startsWith('https:'),
    });

    let provider: (() => ProviderSettings) | undefined;
    const { oidc, oidcInszClaim: inszClaim } = config;
    if (oidc) provider = () => ({ ...oidc, inszClaim });
    else if (demoPeople) {
      provider = () => ({
        issuer: `${base()}/demo-idp`,
        clientId: DEMO_CLIENT_ID,
        clientSecret: keys.demoClientSecret,
        inszClaim,
      });
      const idp = demoIdentityProvider({
        issuer: () => `${base()}/demo-idp`,
        clientId: DEMO_CLIENT_ID,
        clientSecret: keys.demoClientSecret,
        redirectUri,
        people: demoPeople,
      });
      await app.register(idp, { prefix: '/demo-idp' });
    }
    const relyingParty = provider ? new RelyingParty(provider, keys.flowKey, clock) : undefined;

    const context: CitizenContext = {
      sessionOf: (request) => sessions.find(request.cookies[SESSION_COOKIE]),
      formTokenOk: (session, token) =>
        typeof token === 'string' && formTokenMatches(keys, session.idHash, token),
      formToken: (session) => formToken(keys, session.idHash),
    };
    const page = { schema: { hide: true }, config: { audience: 'public' as const } };

    app.get('/me/login', page, async (request, reply) => {
      if (!relyingParty)
        throw new Problem('LOGIN_UNAVAILABLE', 'this hub has no identity provider configured');
      const lang = chooseLang((request.query as { lang?: unknown }).lang, request.headers['accept-language']);
      const { location, flowCookie } = await relyingParty.start(redirectUri(), lang);
      void reply.setCookie(FLOW_COOKIE, flowCookie, cookieOptions('/me/callback', FLOW_SECONDS));
      return reply.code(303).header('location', location.href).send();
    });

    app.get('/me/callback', page, async (request, reply) => {
      if (!relyingParty)
        throw new Problem('LOGIN_UNAVAILABLE', 'this hub has no identity provider configured');
      // The flow cookie is single-use: cleared whether the login succeeds or not.
      void reply.clearCookie(FLOW_COOKIE, { path: '/me/callback' });
      const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      const person = await relyingParty.finish(new URL(redirectUri() + search), request.cookies[FLOW_COOKIE]);
      const { id } = await sessions.create(person.insz, person.name);
      void reply.setCookie(SESSION_COOKIE, id, cookieOptions('/me', SESSION_HOURS * 3600));
      return reply.code(303).header('location', `/me?lang=${person.lang}`).send();
    });

    app.post('/me/logout', page, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const lang = chooseLang(body.lang, request.headers['accept-language']);
      const session = await context.sessionOf(request);
      // Without the form token of this session the post did not come from our page (CSRF): the
      // session stays, and the person sees the page again with a working logout button.
      if (session && context.formTokenOk(session, body.token)) {
        await sessions.delete(session.idHash);
        void reply.clearCookie(SESSION_COOKIE, { path: '/me' });
      } else if (!session) {
        void reply.clearCookie(SESSION_COOKIE, { path: '/me' });
      }
      return reply.code(303).header('location', `/me?lang=${lang}`).send();
    });

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
