// The public register of authorisations (no login) and the operator's amendments to it.
// References contain slashes (IVC/KSZG/19/123), so the public detail route is a wildcard.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DateRef, actorOf, problemResponses } from '../http/index.ts';
import { Problem } from '../kernel/index.ts';
import type { AuthorisationInput, AuthorisationRegister } from './register.ts';

const AuthorisationView = Type.Object(
  {
    ref: Type.String(),
    version: Type.Integer(),
    title: Type.String(),
    decidedOn: Type.String(),
    status: Type.String({ enum: ['in-force', 'withdrawn'] }),
    recipients: Type.Object({
      institutions: Type.Array(Type.String()),
      sectors: Type.Array(Type.Object({ sector: Type.Integer(), subsector: Type.Optional(Type.Integer()) })),
    }),
    services: Type.Array(Type.Object({ service: Type.String(), fields: Type.Array(Type.String()) })),
    purposes: Type.Array(Type.String()),
    capacities: Type.Array(Type.Object({ sector: Type.Integer(), code: Type.Integer() })),
    validFrom: Type.String(),
    validTo: Type.Union([Type.String(), Type.Null()]),
    dataLevel: Type.String({ enum: ['identified', 'coded', 'anonymous'] }),
    embargoDays: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Days before the person sees an exchange made under it (confidential); null: at once',
    }),
    note: Type.String(),
    createdAt: Type.String(),
  },
  { $id: 'Authorisation' },
);

const AuthorisationBody = Type.Object(
  {
    ref: Type.String({ minLength: 3, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9/._-]*$' }),
    title: Type.String({ minLength: 1, maxLength: 1000 }),
    decidedOn: DateRef,
    recipients: Type.Object(
      {
        institutions: Type.Array(Type.String()),
        sectors: Type.Array(
          Type.Object(
            { sector: Type.Integer({ minimum: 0 }), subsector: Type.Optional(Type.Integer({ minimum: 0 })) },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    services: Type.Array(
      Type.Object(
        { service: Type.String(), fields: Type.Array(Type.String(), { minItems: 1 }) },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    purposes: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1 }),
    capacities: Type.Array(
      Type.Object(
        { sector: Type.Integer({ minimum: 0 }), code: Type.Integer({ minimum: 0 }) },
        { additionalProperties: false },
      ),
      { minItems: 1, description: 'The recipient must hold one of these for the person' },
    ),
    validFrom: DateRef,
    validTo: Type.Union([DateRef, Type.Null()]),
    dataLevel: Type.Union([Type.Literal('identified'), Type.Literal('coded'), Type.Literal('anonymous')]),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    embargoDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()])),
  },
  { additionalProperties: false },
);

export function authorisationRoutes(register: AuthorisationRegister): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(AuthorisationView);
    const publicRoute = { tags: ['public'] };
    const adminRoute = { tags: ['admin'], security: [{ bearer: [] }] };

    app.get(
      '/public/authorisations',
      {
        schema: {
          ...publicRoute,
          summary: 'The register of authorisations (latest version of each)',
          querystring: Type.Object(
            {
              service: Type.Optional(Type.String()),
              recipient: Type.Optional(Type.String({ description: 'KBO' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Array(Type.Ref('Authorisation')) },
        },
      },
      (request) =>
        register
          .latest()
          .filter(
            (a) => !request.query.service || a.services.some((s) => s.service === request.query.service),
          )
          .filter(
            (a) => !request.query.recipient || a.recipients.institutions.includes(request.query.recipient),
          ),
    );

    app.get(
      '/public/authorisations/*',
      {
        schema: {
          ...publicRoute,
          summary:
            'One authorisation: its latest version, a given ?version=, or every version with ?version=all',
          params: Type.Object({ '*': Type.String() }),
          querystring: Type.Object(
            { version: Type.Optional(Type.String({ pattern: '^([1-9][0-9]*|all)$' })) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Union([Type.Ref('Authorisation'), Type.Array(Type.Ref('Authorisation'))]),
            404: Type.Ref('Problem'),
          },
        },
      },
      (request) => {
        const ref = request.params['*']; // already decoded by the router
        const { version } = request.query;
        if (version === 'all') {
          const all = register.versions(ref);
          if (all.length === 0) throw new Problem('UNKNOWN_AUTHORISATION', `no authorisation ${ref}`);
          return all;
        }
        const found = register.get(ref, version === undefined ? undefined : Number(version));
        if (!found)
          throw new Problem(
            'UNKNOWN_AUTHORISATION',
            `no authorisation ${ref}${version ? ` version ${version}` : ''}`,
          );
        return found;
      },
    );

    const write = (summary: string) => ({
      config: { audience: 'operator' as const },
      schema: {
        ...adminRoute,
        summary,
        body: AuthorisationBody,
        response: { 201: Type.Ref('Authorisation'), ...problemResponses },
      },
    });
    app.post(
      '/admin/authorisations',
      write('Record a new authorisation (version 1)'),
      async (request, reply) =>
        reply.code(201).send(await register.create(request.body as AuthorisationInput, actorOf(request))),
    );
    app.post(
      '/admin/authorisations/amend',
      write('Amend an authorisation: a new version replaces the content'),
      async (request, reply) =>
        reply.code(201).send(await register.amend(request.body as AuthorisationInput, actorOf(request))),
    );
    app.post(
      '/admin/authorisations/withdraw',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Withdraw an authorisation from a date (default today), as a new version',
          body: Type.Object(
            {
              ref: Type.String(),
              on: Type.Optional(DateRef),
              note: Type.String({ minLength: 1, maxLength: 2000 }),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('Authorisation'), ...problemResponses },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(
            await register.withdraw(request.body.ref, request.body.on, request.body.note, actorOf(request)),
          ),
    );
  };
}
