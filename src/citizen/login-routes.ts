// GET /me/login, GET /me/callback and POST /me/logout: the browser side of the OpenID Connect
// login, and the session cookie it ends in.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Problem } from '../kernel/index.ts';
import type { CitizenContext } from './routes.ts';
import { chooseLang } from './messages.ts';
import { FLOW_COOKIE, FLOW_SECONDS, type RelyingParty } from './relying-party.ts';
import { SESSION_COOKIE, SESSION_HOURS, type SessionStore } from './sessions.ts';

type App = Parameters<FastifyPluginAsyncTypebox>[0];

export interface LoginRouteDeps {
  readonly relyingParty: RelyingParty | undefined;
  readonly sessions: SessionStore;
  readonly context: CitizenContext;
  /** No CROSSROADS_PUBLIC_URL: the hub is reached directly, and its listen address is canonical. */
  readonly direct: boolean;
}

const PAGE = { schema: { hide: true }, config: { audience: 'public' as const } };

export function loginRoutes(app: App, deps: LoginRouteDeps): void {
  const { sessions, context } = deps;
  const relyingParty = () => {
    if (!deps.relyingParty)
      throw new Problem('LOGIN_UNAVAILABLE', 'this hub has no identity provider configured');
    return deps.relyingParty;
  };
  const redirectUri = () => `${context.baseUrl()}/me/callback`;

  app.get('/me/login', PAGE, async (request, reply) => {
    const lang = chooseLang((request.query as { lang?: unknown }).lang, request.headers['accept-language']);
    // Reached as localhost while listening on 127.0.0.1 (or the reverse): the flow cookie would be
    // set for one host and the provider would send the browser back to the other. Start over at
    // the canonical address. (Behind a proxy, CROSSROADS_PUBLIC_URL is set and this never runs.)
    const canonical = new URL(context.baseUrl());
    if (deps.direct && request.host !== canonical.host) {
      return reply.code(303).header('location', `${canonical.origin}/me/login?lang=${lang}`).send();
    }
    const { location, flowCookie } = await relyingParty().start(redirectUri(), lang);
    void reply.setCookie(FLOW_COOKIE, flowCookie, context.cookieOptions('/me/callback', FLOW_SECONDS));
    return reply.code(303).header('location', location.href).send();
  });

  app.get('/me/callback', PAGE, async (request, reply) => {
    const rp = relyingParty();
    // The flow cookie is single-use: cleared whether the login succeeds or not.
    void reply.clearCookie(FLOW_COOKIE, { path: '/me/callback' });
    // The provider answered at our registered redirect URI; openid-client reads code, state and
    // iss from that URL as the browser was sent to it (behind a proxy, request.url lacks the host).
    const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const person = await rp.finish(new URL(redirectUri() + search), request.cookies[FLOW_COOKIE]);
    const { id } = await sessions.create(person.insz, person.name);
    void reply.setCookie(SESSION_COOKIE, id, context.cookieOptions('/me', SESSION_HOURS * 3600));
    return reply.code(303).header('location', `/me?lang=${person.lang}`).send();
  });

  app.post('/me/logout', PAGE, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const lang = chooseLang(body.lang, request.headers['accept-language']);
    const session = await context.sessionOf(request);
    // Without the form token of this session the post did not come from our page (CSRF): the
    // session stays, and the person sees the page again with a working logout button.
    const genuine = session !== undefined && context.formTokenOk(session, body.token);
    if (genuine) await sessions.delete(session.idHash);
    if (genuine || !session) void reply.clearCookie(SESSION_COOKIE, { path: '/me' });
    return reply.code(303).header('location', `/me?lang=${lang}`).send();
  });
}
