// HTTP routes of the persons directory: REGISTER, UNREGISTER, LIST (KSZ-BCSS ManageAccess).
// LIST takes the INSZ as a query parameter; process logs mask it (http/logging.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DateRef, InszRef, PeriodRef, institutionOf, problemResponses } from '../http/index.ts';
import type { PersonsDirectory } from './directory.ts';
import type { IdentityProof } from './types.ts';

const RegistrationView = Type.Object(
  {
    id: Type.String(),
    insz: Type.String(),
    institution: Type.String({ description: 'KBO of the institution holding the dossier' }),
    sector: Type.Integer(),
    subsector: Type.Integer(),
    capacity: Type.Integer(),
    phase: Type.Integer({ description: '0 definitive, 902 provisional' }),
    period: Type.Object({ start: Type.String(), end: Type.Union([Type.String(), Type.Null()]) }),
    createdAt: Type.String(),
    endedAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'Registration' },
);

const Proof = Type.Union(
  [
    Type.Object(
      { identityCardNumber: Type.String({ minLength: 1, maxLength: 40 }) },
      { additionalProperties: false },
    ),
    Type.Object(
      { lastName: Type.String({ minLength: 1, maxLength: 200 }), birthDate: DateRef },
      { additionalProperties: false },
    ),
  ],
  { description: 'Proof that you know the person: an identity-card number, or last name and birth date' },
);

export function directoryRoutes(directory: PersonsDirectory): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(RegistrationView);
    const route = { tags: ['directory'], security: [{ bearer: [] }] };

    app.post(
      '/v1/directory/registrations',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'REGISTER: declare a dossier for a person in a capacity and period',
          description:
            'Answers the new registration and the registrations of the person in your sector that overlap it. ' +
            'Repeating an identical REGISTER answers 200 with the existing registration.',
          body: Type.Object(
            {
              insz: InszRef,
              capacity: Type.Integer({ minimum: 0 }),
              phase: Type.Optional(Type.Integer({ enum: [0, 902] })),
              period: PeriodRef,
              proof: Type.Unsafe<IdentityProof>(Proof),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              registration: Type.Ref('Registration'),
              overlapping: Type.Array(Type.Ref('Registration')),
            }),
            201: Type.Object({
              registration: Type.Ref('Registration'),
              overlapping: Type.Array(Type.Ref('Registration')),
            }),
            ...problemResponses,
            422: Type.Ref('Problem'),
            503: Type.Ref('Problem'),
          },
        },
      },
      async (request, reply) => {
        const { institution } = institutionOf(request);
        const body = request.body;
        const result = await directory.register(institution, institutionOf(request), {
          insz: body.insz,
          capacity: body.capacity,
          ...(body.phase !== undefined ? { phase: body.phase } : {}),
          start: body.period.start,
          end: body.period.end ?? null,
          proof: body.proof,
        });
        return reply.code(result.repeated ? 200 : 201).send({
          registration: directory.describe(result.registration),
          overlapping: result.overlapping.map((r) => directory.describe(r)),
        });
      },
    );

    app.post(
      '/v1/directory/registrations/:id/unregister',
      {
        config: { audience: 'institution' },
        // The body is optional: no body at all means "end today".
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: {
          ...route,
          summary: 'UNREGISTER: close the period of one of your registrations',
          description:
            'Nothing is deleted. `end` (exclusive) defaults to today; an end equal to the start annuls it.',
          params: Type.Object({ id: Type.String() }),
          body: Type.Optional(Type.Object({ end: Type.Optional(DateRef) }, { additionalProperties: false })),
          response: { 200: Type.Ref('Registration'), ...problemResponses },
        },
      },
      async (request) => {
        const actor = institutionOf(request);
        const end = request.body?.end;
        const ended = await directory.unregister(actor.institution, actor, request.params.id, end);
        return directory.describe(ended);
      },
    );

    app.get(
      '/v1/directory/registrations',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'LIST: your registrations for a person, ended ones included',
          querystring: Type.Object({ insz: InszRef }, { additionalProperties: false }),
          response: { 200: Type.Array(Type.Ref('Registration')), ...problemResponses },
        },
      },
      async (request) => {
        const { institution } = institutionOf(request);
        const list = await directory.list(institution, request.query.insz);
        return list.map((r) => directory.describe(r));
      },
    );
  };
}
