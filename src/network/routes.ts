// HTTP routes of the network registry: the public lists, and the operator's administration.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { KboRef, actorOf, problemResponses } from '../http/index.ts';
import { Problem } from '../kernel/index.ts';
import type { NetworkRegistry } from './registry.ts';
import { SECTORS } from './reference.ts';
import type { DataService, Institution, ProviderRule } from './types.ts';

const InstitutionView = Type.Object(
  {
    kbo: Type.String(),
    nameNl: Type.String(),
    nameFr: Type.String(),
    sector: Type.Union([Type.Integer(), Type.Null()]),
    subsector: Type.Union([Type.Integer(), Type.Null()]),
    isSource: Type.Boolean({ description: 'Whether it runs an authentic-source endpoint' }),
  },
  { $id: 'Institution' },
);

const ProviderRuleSchema = Type.Union(
  [
    Type.Object({ kind: Type.Literal('fixed'), institution: KboRef }, { additionalProperties: false }),
    Type.Object(
      {
        kind: Type.Literal('registration'),
        sector: Type.Integer({ minimum: 0 }),
        subsector: Type.Optional(Type.Integer({ minimum: 0 })),
        capacities: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 })),
      },
      { additionalProperties: false },
    ),
  ],
  { $id: 'ProviderRule' },
);

const Titles = Type.Object(
  { nl: Type.String({ minLength: 1 }), fr: Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);

const ServiceView = Type.Object(
  {
    id: Type.String(),
    version: Type.Integer(),
    title: Titles,
    description: Type.String(),
    fields: Type.Array(Type.String()),
    fieldsSchema: Type.Object({}, { additionalProperties: true }),
    providerRule: Type.Ref('ProviderRule'),
  },
  { $id: 'DataService' },
);

const CapacityView = Type.Object(
  {
    sector: Type.Integer(),
    code: Type.Integer(),
    labelNl: Type.String(),
    labelFr: Type.String(),
    exclusive: Type.Boolean(),
  },
  { $id: 'Capacity', additionalProperties: false },
);

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Url = Type.String({
  minLength: 1,
  maxLength: 500,
  description: 'http(s) base URL of the source endpoint',
});

export function publicInstitution(i: Institution) {
  return {
    kbo: i.kbo,
    nameNl: i.nameNl,
    nameFr: i.nameFr,
    sector: i.sector,
    subsector: i.subsector,
    isSource: i.sourceUrl !== null,
  };
}

export function serviceView(s: DataService) {
  return { ...s, fields: Object.keys(s.fieldsSchema.properties), fieldsSchema: { ...s.fieldsSchema } };
}

export function networkRoutes(registry: NetworkRegistry): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(InstitutionView);
    app.addSchema(ProviderRuleSchema);
    app.addSchema(ServiceView);
    app.addSchema(CapacityView);
    const publicRoute = { tags: ['public'] };
    const adminRoute = { tags: ['admin'], security: [{ bearer: [] }] };

    // ---- public ----
    app.get(
      '/public/institutions',
      {
        schema: {
          ...publicRoute,
          summary: 'Institutions in the network',
          response: { 200: Type.Array(Type.Ref('Institution')) },
        },
      },
      () => registry.institutions().map(publicInstitution),
    );
    app.get(
      '/public/sectors',
      {
        schema: {
          ...publicRoute,
          summary: 'The official KSZ-BCSS sector list',
          response: {
            200: Type.Array(
              Type.Object({
                sector: Type.Integer(),
                subsector: Type.Integer(),
                nameNl: Type.String(),
                nameFr: Type.String(),
              }),
            ),
          },
        },
      },
      () =>
        SECTORS.map((s) => ({
          sector: s.sector,
          subsector: s.subsector,
          nameNl: s.nameNl,
          nameFr: s.nameFr,
        })),
    );
    app.get(
      '/public/capacities',
      {
        schema: {
          ...publicRoute,
          summary: 'Capacity codes in use, per sector',
          response: { 200: Type.Array(Type.Ref('Capacity')) },
        },
      },
      () => registry.capacities(),
    );
    app.get(
      '/public/services',
      {
        schema: {
          ...publicRoute,
          summary: 'The data-service catalogue (latest versions)',
          response: { 200: Type.Array(Type.Ref('DataService')) },
        },
      },
      () => registry.services().map(serviceView),
    );
    app.get(
      '/public/services/:id',
      {
        schema: {
          ...publicRoute,
          summary: 'Every version of one data service',
          params: Type.Object({ id: Type.String() }),
          response: { 200: Type.Array(Type.Ref('DataService')), 404: Type.Ref('Problem') },
        },
      },
      (request) => {
        const versions = registry.serviceVersions(request.params.id);
        if (versions.length === 0)
          throw new Problem('UNKNOWN_SERVICE', `no data service ${request.params.id}`);
        return versions.map(serviceView);
      },
    );

    // ---- operator ----
    const InstitutionAdminView = Type.Object({
      id: Type.String(),
      kbo: Type.String(),
      nameNl: Type.String(),
      nameFr: Type.String(),
      sector: Type.Union([Type.Integer(), Type.Null()]),
      subsector: Type.Union([Type.Integer(), Type.Null()]),
      sourceUrl: Type.Union([Type.String(), Type.Null()]),
    });
    app.get(
      '/admin/institutions',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Institutions with their source endpoints',
          response: { 200: Type.Array(InstitutionAdminView) },
        },
      },
      () => registry.institutions(),
    );
    app.post(
      '/admin/institutions',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Add an institution to the network',
          body: Type.Object(
            {
              kbo: Type.String(),
              nameNl: Name,
              nameFr: Name,
              sector: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
              subsector: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
              sourceUrl: Type.Optional(Type.Union([Url, Type.Null()])),
              sourceToken: Type.Optional(
                Type.Union([Type.String({ minLength: 16, maxLength: 500 }), Type.Null()]),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 201: InstitutionAdminView, ...problemResponses },
        },
      },
      async (request, reply) => {
        const created = await registry.createInstitution(request.body, actorOf(request));
        return reply.code(201).send(created);
      },
    );
    app.patch(
      '/admin/institutions/:kbo',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Change an institution’s names or source endpoint',
          params: Type.Object({ kbo: Type.String() }),
          body: Type.Object(
            {
              nameNl: Type.Optional(Name),
              nameFr: Type.Optional(Name),
              sourceUrl: Type.Optional(Type.Union([Url, Type.Null()])),
              sourceToken: Type.Optional(
                Type.Union([Type.String({ minLength: 16, maxLength: 500 }), Type.Null()]),
              ),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: InstitutionAdminView, ...problemResponses },
        },
      },
      (request) => registry.updateInstitution(request.params.kbo, request.body, actorOf(request)),
    );
    app.post(
      '/admin/capacities',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Define a capacity code in a sector',
          body: Type.Object(
            {
              sector: Type.Integer({ minimum: 0 }),
              code: Type.Integer({ minimum: 0 }),
              labelNl: Name,
              labelFr: Name,
              exclusive: Type.Boolean(),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('Capacity'), ...problemResponses },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await registry.createCapacity(request.body, actorOf(request))),
    );
    app.post(
      '/admin/services',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Publish a data service (a new version when the id exists)',
          body: Type.Object(
            {
              id: Type.String({ pattern: '^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*$', maxLength: 100 }),
              title: Titles,
              description: Type.String({ maxLength: 2000 }),
              fieldsSchema: Type.Object(
                {
                  type: Type.Literal('object'),
                  properties: Type.Record(Type.String(), Type.Object({}, { additionalProperties: true })),
                },
                { additionalProperties: true },
              ),
              providerRule: Type.Unsafe<ProviderRule>(Type.Ref('ProviderRule')),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('DataService'), ...problemResponses },
        },
      },
      async (request, reply) =>
        reply.code(201).send(serviceView(await registry.publishService(request.body, actorOf(request)))),
    );
    app.post(
      '/admin/credentials',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Issue a bearer credential to an institution (or, with institution null, to an operator)',
          description: 'The token is shown once; the hub keeps only its hash.',
          body: Type.Object(
            {
              institution: Type.Union([Type.String(), Type.Null()]),
              label: Type.String({ minLength: 1, maxLength: 200 }),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ id: Type.String(), token: Type.String() }), ...problemResponses },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(
            await registry.issueCredential(request.body.institution, request.body.label, actorOf(request)),
          ),
    );
    app.post(
      '/admin/credentials/:id/revoke',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Revoke a credential at once',
          params: Type.Object({ id: Type.String() }),
          response: { 204: Type.Null(), ...problemResponses },
        },
      },
      async (request, reply) => {
        await registry.revokeCredential(request.params.id, actorOf(request));
        return reply.code(204).send(null);
      },
    );
  };
}
