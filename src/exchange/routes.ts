// HTTP routes of the broker: POST /v1/exchanges, an exchange's own log record, and the services a
// caller may call. Authentication and schema failures of POST /v1/exchanges are handled here, not
// by the shared hooks, so that they too leave their exchange-log record.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AuthorisationRegister } from '../authz/index.ts';
import {
  DateRef,
  InszRef,
  PeriodRef,
  institutionOf,
  problemResponses,
  sendProblem,
  toProblem,
} from '../http/index.ts';
import { type Clock, Problem, today } from '../kernel/index.ts';
import { recordByExchangeId } from '../log/index.ts';
import type { NetworkRegistry } from '../network/index.ts';
import type { Store } from '../store/index.ts';
import type { Broker } from './broker.ts';
import { callableServices } from './catalogue.ts';
import type { ExchangeRequestBody } from './request.ts';

const ExchangeBody = Type.Object(
  {
    service: Type.String({ minLength: 1, maxLength: 100, description: 'Data-service id, e.g. nr.identity' }),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Service version; default the latest' })),
    insz: InszRef,
    purpose: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'A purpose named by your authorisation',
    }),
    date: Type.Optional(DateRef),
    period: Type.Optional(PeriodRef),
    fields: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true })),
    endUser: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Your agent who asks (kept in the log)' }),
    ),
    caseReference: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Your dossier reference (kept in the log)' }),
    ),
  },
  { additionalProperties: false },
);

const ExchangeAnswer = Type.Object({
  exchangeId: Type.String(),
  status: Type.Literal('forwarded'),
  service: Type.Object({ id: Type.String(), version: Type.Integer() }),
  authorisation: Type.Object({ ref: Type.String(), version: Type.Integer() }),
  providers: Type.Array(Type.Object({ kbo: Type.String(), name: Type.String() })),
  // Passed through as it is: a union here would make fast-json-stringify test each branch at run time.
  data: Type.Unknown({
    description:
      'The authorised fields of the source’s answer: one object for a fixed source; an array with one object ' +
      'per provider (same order as `providers`) for a service routed through the directory.',
  }),
});

export interface ExchangeRouteDeps {
  readonly broker: Broker;
  readonly registry: NetworkRegistry;
  readonly authorisations: AuthorisationRegister;
  readonly store: Store;
  readonly clock: Clock;
}

export function exchangeRoutes(deps: ExchangeRouteDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const route = { tags: ['exchange'], security: [{ bearer: [] }] };

    app.post(
      '/v1/exchanges',
      {
        config: { audience: 'exchange' },
        attachValidation: true,
        // Body-parsing failures (malformed JSON, wrong media type) still leave a log record.
        // eslint-disable-next-line @typescript-eslint/no-misused-promises -- Fastify awaits async error handlers
        errorHandler: async (error, request, reply) => {
          const problem = toProblem(error);
          // The broker's own refusals are logged already and carry their exchange id.
          if ('exchangeId' in problem.extra) return sendProblem(reply, problem);
          // broker.exchange logs the attempt and always throws here, since it is given a problem.
          const logged = await deps.broker
            .exchange(request.caller ?? { problem }, {} as ExchangeRequestBody, problem)
            .catch((e: unknown) => e);
          return sendProblem(reply, logged instanceof Problem ? logged : problem);
        },
        schema: {
          ...route,
          summary: 'Ask an authentic source for data about a person, through the hub',
          description:
            'The hub authenticates you, checks the request, decides against the authorisations in force and your ' +
            'registrations for the person, routes it to the source(s), keeps only the authorised fields, logs it ' +
            'and answers. Give `date` (one day) or `period`. Every refusal is a problem with `forwarded: false` ' +
            'and the `exchangeId` of its log record.',
          body: ExchangeBody,
          response: {
            200: ExchangeAnswer,
            ...problemResponses,
            502: Type.Ref('Problem'),
            503: Type.Ref('Problem'),
            504: Type.Ref('Problem'),
          },
        },
      },
      async (request) => {
        const schemaProblem = request.validationError ? toProblem(request.validationError) : undefined;
        return deps.broker.exchange(request.caller!, request.body, schemaProblem);
      },
    );

    app.get(
      '/v1/exchanges/:id',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'The exchange-log record of one of your exchanges',
          params: Type.Object({ id: Type.String() }),
          response: { 200: Type.Object({}, { additionalProperties: true }), ...problemResponses },
        },
      },
      async (request) => {
        const { institution } = institutionOf(request);
        const record = await recordByExchangeId(deps.store.db, request.params.id);
        // Another institution's exchange is answered exactly like a missing one.
        if (!record || record.caller !== institution.kbo)
          throw new Problem('ROUTE_NOT_FOUND', `no exchange ${request.params.id} of yours`);
        return record;
      },
    );

    app.get(
      '/v1/services',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'The data services you may call, with the fields and purposes your authorisations allow',
          response: {
            200: Type.Array(
              Type.Object({
                id: Type.String(),
                version: Type.Integer(),
                title: Type.Object({ nl: Type.String(), fr: Type.String(), en: Type.String() }),
                description: Type.String(),
                fields: Type.Array(Type.String()),
                purposes: Type.Array(Type.String()),
                authorisations: Type.Array(Type.String()),
              }),
            ),
            ...problemResponses,
          },
        },
      },
      (request) => {
        const { institution } = institutionOf(request);
        return callableServices(
          institution,
          deps.registry.services(),
          deps.authorisations.latest(),
          today(deps.clock),
        ).map((c) => ({
          ...c.service,
          fields: c.fields,
          purposes: c.purposes,
          authorisations: c.authorisations,
        }));
      },
    );
  };
}
