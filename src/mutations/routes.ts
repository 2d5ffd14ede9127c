// HTTP routes of change push: sources publish changes; institutions subscribe, choose how they
// take their changes, and pull their feed; the operator sees and replays dead deliveries.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DateRef, InszRef, institutionOf, problemResponses } from '../http/index.ts';
import { Problem } from '../kernel/index.ts';
import type { NetworkRegistry } from '../network/index.ts';
import type { ChangePush } from './change-push.ts';
import { publicJwks } from './delivery-key.ts';
import { CHANGE_KINDS, type Subscription } from './rules.ts';

const CapacityRefSchema = Type.Object(
  { sector: Type.Integer({ minimum: 0 }), code: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

const ChangeBody = Type.Object(
  {
    service: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'The data service you are the source of',
    }),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Service version; default the latest' })),
    insz: InszRef,
    effectiveDate: DateRef,
    kind: Type.Union(
      CHANGE_KINDS.map((k) => Type.Literal(k)),
      { description: 'created, updated, ended or corrected' },
    ),
    data: Type.Record(Type.String(), Type.Unknown(), {
      description: 'The changed fields, each as the service’s schema describes it',
    }),
    sourceReference: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Your own unique reference for this change; publishing it again is idempotent',
    }),
  },
  { additionalProperties: false },
);

const Accepted = Type.Object({
  changeId: Type.String(),
  status: Type.Literal('accepted'),
  recipients: Type.Integer({ description: 'Institutions the change will be delivered to' }),
  repeated: Type.Boolean({ description: 'True when this sourceReference had been published before' }),
});

const Settings = Type.Object(
  {
    mode: Type.Union([Type.Literal('push'), Type.Literal('pull')]),
    url: Type.Optional(
      Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], { description: 'Your webhook, for push' }),
    ),
    batch: Type.Optional(
      Type.Boolean({ description: 'Push several events per request (application/cloudevents-batch+json)' }),
    ),
  },
  { additionalProperties: false },
);

const SubscriptionView = Type.Object({
  service: Type.String(),
  capacities: Type.Union([Type.Array(CapacityRefSchema), Type.Null()]),
  purpose: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  authorised: Type.Boolean({
    description: 'Whether an authorisation in force lets you receive this service now',
  }),
});

// Passed through as stored: the events are built and checked at fan-out.
const FeedPage = Type.Object({
  events: Type.Array(Type.Unknown(), { description: 'CloudEvents 1.0, each with its feed `cursor`' }),
  cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'The last event’s cursor: ack it when done',
  }),
});

export interface ChangeRouteDeps {
  readonly push: ChangePush;
  readonly registry: NetworkRegistry;
}

export function changeRoutes(deps: ChangeRouteDeps): FastifyPluginAsyncTypebox {
  const { push, registry } = deps;
  const view = (institutionId: string, s: Subscription) => ({
    service: s.service,
    capacities: s.capacities ? [...s.capacities] : null,
    purpose: s.purpose,
    createdAt: s.createdAt,
    authorised: push.authorised(institutionId, s),
  });

  return async (app) => {
    const route = { tags: ['changes'], security: [{ bearer: [] }] };

    app.post(
      '/v1/changes',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'Publish a change about a person, as the authentic source of a data service',
          description:
            'The hub checks the change, selects its recipients (institutions with a registration for the person ' +
            'active on the effective date, subscribed and authorised) and stores the change with one delivery per ' +
            'recipient in one transaction before answering 202. Repeating a sourceReference with the same content ' +
            'answers the same change id.',
          body: ChangeBody,
          response: { 202: Accepted, ...problemResponses },
        },
      },
      async (request, reply) => {
        const actor = institutionOf(request);
        const accepted = await push.outbox.publish(actor.institution, actor, request.body);
        return reply.code(202).send({ ...accepted, status: 'accepted' as const });
      },
    );

    app.get(
      '/v1/changes/feed',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'Your pending changes, oldest first (pull delivery)',
          description:
            'Events stay in the feed until you acknowledge them with POST /v1/changes/ack. Without `after` the ' +
            'feed starts at your oldest unacknowledged event; pass the last cursor as `after` to page on.',
          querystring: Type.Object(
            {
              after: Type.Optional(Type.String({ maxLength: 20 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: FeedPage, ...problemResponses },
        },
      },
      async (request) => {
        const { institution } = institutionOf(request);
        return push.ledger.feed(institution.id, request.query.after, request.query.limit ?? 100);
      },
    );

    app.post(
      '/v1/changes/ack',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'Acknowledge your feed up to and including a cursor',
          body: Type.Object(
            { cursor: Type.String({ minLength: 1, maxLength: 20 }) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ acknowledged: Type.Integer() }), ...problemResponses },
        },
      },
      async (request) => {
        const { institution } = institutionOf(request);
        return { acknowledged: await push.ledger.ack(institution.id, request.body.cursor) };
      },
    );

    app.get(
      '/v1/changes/delivery',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'How you take your changes: pushed to your webhook, or pulled from your feed',
          response: { 200: Settings, ...problemResponses },
        },
      },
      async (request) => {
        const { institution } = institutionOf(request);
        return push.subscriptions.settings(institution.id);
      },
    );

    app.put(
      '/v1/changes/delivery',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'Choose push (with your webhook) or pull; waiting deliveries follow the new choice',
          description:
            'Pushed events are signed with HTTP Message Signatures (RFC 9421, Ed25519) over @method, @target-uri, ' +
            'content-type and content-digest; the hub’s keys are at /public/changes/keys.',
          body: Settings,
          response: { 200: Settings, ...problemResponses },
        },
      },
      async (request) => {
        const actor = institutionOf(request);
        const { mode, url = null, batch = false } = request.body;
        const stored = await push.setDelivery(actor.institution.id, { mode, url, batch }, actor);
        return stored;
      },
    );

    app.get(
      '/v1/changes/:id',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'A change you published, with where its deliveries stand',
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          response: { 200: Type.Object({}, { additionalProperties: true }), ...problemResponses },
        },
      },
      async (request) => {
        const { institution } = institutionOf(request);
        return push.outbox.change(institution, request.params.id);
      },
    );

    app.get(
      '/v1/subscriptions',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'Your subscriptions to changes',
          response: {
            200: Type.Object({ subscriptions: Type.Array(SubscriptionView) }),
            ...problemResponses,
          },
        },
      },
      async (request) => {
        const { institution } = institutionOf(request);
        return {
          subscriptions: push.subscriptions.ofInstitution(institution.id).map((s) => view(institution.id, s)),
        };
      },
    );

    app.put(
      '/v1/subscriptions/:service',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'Subscribe to a data service’s changes (replaces an earlier subscription to it)',
          description:
            'You receive a change about a person when you hold a registration for them (in one of `capacities`, ' +
            'if given) and an authorisation in force lets you receive the service about people in that capacity.',
          params: Type.Object({ service: Type.String({ minLength: 1, maxLength: 100 }) }),
          body: Type.Object(
            {
              capacities: Type.Optional(
                Type.Union([Type.Array(CapacityRefSchema, { maxItems: 100 }), Type.Null()]),
              ),
              purpose: Type.Optional(
                Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()]),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: SubscriptionView, 201: SubscriptionView, ...problemResponses },
        },
      },
      async (request, reply) => {
        const actor = institutionOf(request);
        const { subscription, created } = await push.subscriptions.subscribe(
          actor.institution.id,
          request.params.service,
          request.body,
          actor,
        );
        return reply.code(created ? 201 : 200).send(view(actor.institution.id, subscription));
      },
    );

    app.delete(
      '/v1/subscriptions/:service',
      {
        config: { audience: 'institution' },
        schema: {
          ...route,
          summary: 'End your subscription to a data service’s changes',
          params: Type.Object({ service: Type.String({ minLength: 1, maxLength: 100 }) }),
          response: { 204: Type.Null(), ...problemResponses },
        },
      },
      async (request, reply) => {
        const actor = institutionOf(request);
        await push.subscriptions.unsubscribe(actor.institution.id, request.params.service, actor);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/public/changes/keys',
      {
        schema: {
          tags: ['changes'],
          summary: 'The keys that sign pushed change events (JWK set)',
          response: {
            200: Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }),
          },
        },
      },
      () => ({ keys: [...publicJwks(push.key).keys] }),
    );

    // ---- operator ----
    const adminRoute = { tags: ['admin'], security: [{ bearer: [] }] };
    app.get(
      '/admin/deliveries',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Dead deliveries (failed too often), oldest first',
          querystring: Type.Object(
            {
              recipient: Type.Optional(Type.String({ description: 'KBO of the recipient' })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ dead: Type.Array(Type.Object({}, { additionalProperties: true })) }),
            ...problemResponses,
          },
        },
      },
      async (request) => {
        const recipient =
          request.query.recipient === undefined ? undefined : recipientId(registry, request.query.recipient);
        const dead = await push.ledger.dead(request.query.limit ?? 100, recipient);
        return {
          dead: dead.map((d) => ({
            ...d,
            recipient: registry.institutionById(d.recipient)?.kbo ?? d.recipient,
          })),
        };
      },
    );

    app.post(
      '/admin/deliveries/replay',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Put dead deliveries back in line: the ones named, or all of one recipient',
          body: Type.Union([
            Type.Object(
              { ids: Type.Array(Type.String(), { minItems: 1, maxItems: 1000 }) },
              { additionalProperties: false },
            ),
            Type.Object({ recipient: Type.String({ description: 'KBO' }) }, { additionalProperties: false }),
          ]),
          response: { 200: Type.Object({ replayed: Type.Integer() }), ...problemResponses },
        },
      },
      async (request) => {
        const body = request.body;
        const replayed =
          'ids' in body
            ? await push.replay({ ids: body.ids })
            : await push.replay({ recipientId: recipientId(registry, body.recipient) });
        return { replayed };
      },
    );

    app.get(
      '/admin/changes/status',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Deliveries waiting, by channel; dead ones; changes not yet logged',
          response: { 200: Type.Object({}, { additionalProperties: true }), ...problemResponses },
        },
      },
      async () => ({ ...(await push.ledger.backlog()), queued: push.workers.size }),
    );
  };
}

function recipientId(registry: NetworkRegistry, kbo: string): string {
  const institution = registry.institutionByKbo(kbo);
  if (!institution) throw new Problem('UNKNOWN_INSTITUTION', `no institution ${kbo}`);
  return institution.id;
}
