// "Who used my data": GET /me (the page), GET /me/accesses (JSON, paged) and
// GET /me/accesses/{logIndex}.json (one entry with its proof, to save and verify offline).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { sendPage } from '../http/index.ts';
import { Problem } from '../kernel/index.ts';
import { type AccessSources, DEFAULT_LIMIT, MAX_LIMIT, accessEntry, listAccesses } from './accesses.ts';
import { LANGS, chooseLang } from './messages.ts';
import { mePage } from './page.ts';
import type { CitizenContext, CitizenDeps } from './routes.ts';
import { SESSION_COOKIE, type CitizenSession } from './sessions.ts';

type App = Parameters<FastifyPluginAsyncTypebox>[0];

const Lang = Type.Union(LANGS.map((l) => Type.Literal(l)));
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const AccessEntrySchema = Type.Object(
  {
    logIndex: Type.Integer({ description: 'Leaf index in the log’s Merkle tree (record seq − 1)' }),
    time: Type.String(),
    kind: Type.String({ enum: ['exchange', 'identity-check', 'change'] }),
    outcome: Type.String({ enum: ['forwarded', 'refused', 'failed'] }),
    institution: Nullable(
      Type.Object({
        kbo: Type.String(),
        name: Nullable(Type.Object({ nl: Type.String(), fr: Type.String() })),
      }),
    ),
    service: Nullable(
      Type.Object({
        id: Type.String(),
        version: Nullable(Type.Integer()),
        title: Nullable(Type.Object({ nl: Type.String(), fr: Type.String(), en: Type.String() })),
      }),
    ),
    purpose: Nullable(Type.String()),
    authorisation: Nullable(Type.Object({ ref: Type.String(), version: Type.Integer() })),
    display: Type.Object({ institution: Type.String(), service: Type.String(), outcome: Type.String() }),
    record: Type.String({ description: 'The record’s canonical JSON: the leaf hash covers these bytes' }),
    proof: Nullable(
      Type.Object({
        checkpoint: Type.Object({ size: Type.Integer(), rootHash: Type.String(), note: Type.String() }),
        leafHash: Type.String(),
        inclusion: Type.Array(Type.String()),
      }),
    ),
    verifierKey: Type.String({ description: 'The log’s C2SP signed-note verifier key' }),
  },
  {
    $id: 'AccessEntry',
    description: 'One exchange-log entry about you, with its proof (docs/citizen-proofs.md)',
  },
);

const problems = { 400: Type.Ref('Problem'), 401: Type.Ref('Problem'), 404: Type.Ref('Problem') };

export function accessRoutes(app: App, deps: CitizenDeps, context: CitizenContext): void {
  const sources: AccessSources = {
    reader: deps.store.reader,
    tree: deps.tree,
    registry: deps.registry,
    authorisations: deps.authorisations,
    verifierKey: deps.logKey.verifierKey,
    clock: deps.clock,
  };
  app.addSchema(AccessEntrySchema);
  const citizen = { tags: ['citizen'] };
  const required = async (request: FastifyRequest, reply: FastifyReply): Promise<CitizenSession> => {
    void reply.header('vary', 'cookie');
    const session = await context.sessionOf(request);
    if (!session) throw new Problem('LOGIN_REQUIRED', 'log in at /me/login');
    return session;
  };

  app.get(
    '/me',
    {
      config: { audience: 'public' },
      schema: {
        hide: true,
        querystring: Type.Object({
          lang: Type.Optional(Type.String({ maxLength: 8 })),
          cursor: Type.Optional(Type.String({ maxLength: 64 })),
        }),
      },
    },
    async (request, reply) => {
      const lang = chooseLang(request.query.lang, request.headers['accept-language']);
      void reply.header('vary', 'cookie, accept-language');
      const session = await context.sessionOf(request);
      if (!session && request.cookies[SESSION_COOKIE] !== undefined) {
        void reply.clearCookie(SESSION_COOKIE, { path: '/me' }); // expired or ended elsewhere
      }
      const { cursor } = request.query;
      const accesses = session
        ? await listAccesses(sources, session.insz, { cursor, limit: DEFAULT_LIMIT, lang })
        : null;
      const who = session ? { name: session.name, formToken: context.formToken(session) } : null;
      return sendPage(reply, mePage({ lang, session: who, accesses, cursor }));
    },
  );

  app.get(
    '/me/accesses',
    {
      config: { audience: 'public' },
      schema: {
        ...citizen,
        summary: 'Every exchange-log entry about you, newest first, each with its inclusion proof',
        description:
          'Needs the session cookie of a citizen login (/me/login). Entries under an embargo appear when it ends.',
        querystring: Type.Object(
          {
            from: Type.Optional(
              Type.String({ description: 'YYYY-MM-DD (Belgian day) or ISO date-time, inclusive' }),
            ),
            to: Type.Optional(Type.String({ description: 'YYYY-MM-DD or ISO date-time, exclusive' })),
            cursor: Type.Optional(
              Type.String({ maxLength: 64, description: 'nextCursor of the previous page' }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })),
            lang: Type.Optional(Lang),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            verifierKey: Type.String(),
            entries: Type.Array(Type.Ref('AccessEntry')),
            nextCursor: Nullable(Type.String()),
          }),
          ...problems,
        },
      },
    },
    async (request, reply) => {
      const session = await required(request, reply);
      const { from, to, cursor, limit = DEFAULT_LIMIT } = request.query;
      const lang = chooseLang(request.query.lang, request.headers['accept-language']);
      return listAccesses(sources, session.insz, { from, to, cursor, limit, lang });
    },
  );

  app.get(
    '/me/accesses/:entry',
    {
      config: { audience: 'public' },
      schema: {
        ...citizen,
        summary: 'One entry about you with its proof, as a file to verify offline',
        params: Type.Object({
          entry: Type.String({ pattern: '^(0|[1-9][0-9]{0,14})\\.json$', description: '<logIndex>.json' }),
        }),
        querystring: Type.Object({ lang: Type.Optional(Lang) }, { additionalProperties: false }),
        response: { 200: Type.Ref('AccessEntry'), ...problems },
      },
    },
    async (request, reply) => {
      const session = await required(request, reply);
      const logIndex = Number(request.params.entry.slice(0, -'.json'.length));
      const lang = chooseLang(request.query.lang, request.headers['accept-language']);
      const entry = accessEntry(sources, session.insz, logIndex, lang);
      void reply.header('content-disposition', `inline; filename="crossroads-entry-${logIndex}.json"`);
      return entry;
    },
  );
}
