// HTTP routes of the exchange log.
// Public (no login): the latest signed checkpoint with its witnesses' cosignatures (C2SP signed
// note, text/plain), the checkpoint history, the log's verifier key, RFC 9162 inclusion and
// consistency proofs, and witnesses posting cosignatures. Operator: any record, the hash-chain
// check, witness registration, and pausing the sequencer for maintenance.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, problemResponses } from '../http/index.ts';
import { type Clock, Problem } from '../kernel/index.ts';
import { actorLabel } from '../network/index.ts';
import type { Store } from '../store/index.ts';
import type { ExchangeLog } from './exchange-log.ts';
import { recordByExchangeId, verifyChain } from './reader.ts';
import type { LogSigningKey } from './signing-key.ts';
import type { LogTree } from './tree-reader.ts';
import { acceptCosignature, listWitnesses, registerWitness } from './witnesses.ts';

export interface LogRouteDeps {
  readonly store: Store;
  readonly tree: LogTree;
  readonly log: ExchangeLog;
  readonly logKey: LogSigningKey;
  readonly clock: Clock;
}

const NOTE = 'text/plain; charset=utf-8';
const Size = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const CheckpointView = Type.Object({
  size: Type.Integer(),
  rootHash: Type.String(),
  note: Type.String(),
  createdAt: Type.String(),
});

export function logRoutes(deps: LogRouteDeps): FastifyPluginAsyncTypebox {
  const { store, tree, log, logKey, clock } = deps;
  return async (app) => {
    const publicRoute = { tags: ['public'] };
    const adminRoute = { tags: ['admin'], security: [{ bearer: [] }] };

    app.get(
      '/public/log/checkpoint',
      {
        schema: {
          ...publicRoute,
          summary:
            'The latest signed checkpoint (C2SP tlog-checkpoint signed note, with witness cosignatures)',
          produces: ['text/plain'],
          response: { 200: Type.String(), 404: Type.Ref('Problem') },
        },
      },
      async (_request, reply) => {
        const latest = await tree.latestCheckpoint();
        if (!latest) throw new Problem('LOG_SIZE_UNKNOWN', 'the log has no checkpoint yet');
        return reply.type(NOTE).send(await tree.cosignedNote(latest));
      },
    );
    app.get(
      '/public/log/checkpoints',
      {
        schema: {
          ...publicRoute,
          summary: 'Checkpoint history from a tree size, oldest first, each with its cosigned note',
          querystring: Type.Object(
            {
              from: Type.Optional(Type.Integer({ minimum: 0 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Array(CheckpointView) },
        },
      },
      async (request) => {
        const checkpoints = await tree.checkpoints(request.query.from ?? 0, request.query.limit ?? 100);
        return Promise.all(checkpoints.map(async (cp) => ({ ...cp, note: await tree.cosignedNote(cp) })));
      },
    );
    app.get(
      '/public/log/key',
      {
        schema: {
          ...publicRoute,
          summary: 'The log’s verifier key (C2SP signed-note vkey) and origin',
          response: { 200: Type.Object({ origin: Type.String(), verifierKey: Type.String() }) },
        },
      },
      () => ({ origin: logKey.origin, verifierKey: logKey.verifierKey }),
    );
    app.get(
      '/public/log/proof/inclusion',
      {
        schema: {
          ...publicRoute,
          summary:
            'RFC 9162 §2.1.3 inclusion proof of leaf `index` (record seq index+1) in the tree of `size`',
          querystring: Type.Object(
            { index: Type.Integer({ minimum: 0 }), size: Size },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              index: Type.Integer(),
              size: Type.Integer(),
              leafHash: Type.String(),
              proof: Type.Array(Type.String()),
            }),
            ...problemResponses,
          },
        },
      },
      async (request) => {
        const { index, size } = request.query;
        const proof = await tree.inclusionProof(index, size);
        return { index, size, leafHash: await tree.leafHash(index), proof };
      },
    );
    app.get(
      '/public/log/proof/consistency',
      {
        schema: {
          ...publicRoute,
          summary: 'RFC 9162 §2.1.4 consistency proof between the trees of sizes `from` and `to`',
          querystring: Type.Object({ from: Size, to: Size }, { additionalProperties: false }),
          response: {
            200: Type.Object({ from: Type.Integer(), to: Type.Integer(), proof: Type.Array(Type.String()) }),
            ...problemResponses,
          },
        },
      },
      async (request) => ({
        ...request.query,
        proof: await tree.consistencyProof(request.query.from, request.query.to),
      }),
    );
    app.post(
      '/public/log/cosignatures',
      {
        schema: {
          ...publicRoute,
          summary: 'A registered witness posts its cosignature (C2SP tlog-cosignature line) of a checkpoint',
          body: Type.Object(
            {
              size: Size,
              signature: Type.String({ minLength: 10, maxLength: 1000, description: '— <witness> <base64>' }),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({ witness: Type.String(), cosignedAt: Type.Integer() }),
            ...problemResponses,
          },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(
            await acceptCosignature(
              store.db,
              tree,
              request.body.size,
              request.body.signature,
              clock.now().toISOString(),
            ),
          ),
    );

    // ---- operator ----
    app.get(
      '/admin/exchanges/:id',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Any exchange-log record, by exchange id',
          params: Type.Object({ id: Type.String() }),
          response: { 200: Type.Object({}, { additionalProperties: true }), ...problemResponses },
        },
      },
      async (request) => {
        const record = await recordByExchangeId(store.db, request.params.id);
        if (!record) throw new Problem('ROUTE_NOT_FOUND', `no exchange ${request.params.id}`);
        return record;
      },
    );
    app.get(
      '/admin/log/verify',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Recompute the exchange log’s hash chain and name the first record that disagrees',
          response: { 200: Type.Object({}, { additionalProperties: true }), ...problemResponses },
        },
      },
      () => verifyChain(store.db),
    );
    app.get(
      '/admin/log/status',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Records committed, records in the signed tree, and whether exchanges are accepted',
          response: {
            200: Type.Object({
              records: Type.Integer(),
              treeSize: Type.Integer(),
              available: Type.Boolean(),
              integrationError: Type.Union([Type.String(), Type.Null()]),
              /** Whether this node runs the sequencer (one node at a time on PostgreSQL). */
              sequencerLeader: Type.Boolean(),
            }),
            ...problemResponses,
          },
        },
      },
      () => ({
        records: log.size,
        treeSize: log.treeSize,
        available: log.available(),
        integrationError: log.integrationError ?? null,
        sequencerLeader: log.sequencerLeader,
      }),
    );
    app.post(
      '/admin/log/sequencer',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary:
            'Pause or resume the sequencer (maintenance); after the fail-closed window exchanges are refused',
          body: Type.Object({ paused: Type.Boolean() }, { additionalProperties: false }),
          response: { 204: Type.Null(), ...problemResponses },
        },
      },
      (request, reply) => {
        if (request.body.paused) log.pauseSequencer();
        else log.resumeSequencer();
        return reply.code(204).send(null);
      },
    );
    app.get(
      '/admin/log/witnesses',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Registered witnesses',
          response: {
            200: Type.Array(Type.Object({ name: Type.String(), verifierKey: Type.String() })),
            ...problemResponses,
          },
        },
      },
      () => listWitnesses(store.db),
    );
    app.post(
      '/admin/log/witnesses',
      {
        config: { audience: 'operator' },
        schema: {
          ...adminRoute,
          summary: 'Register a witness by its cosignature/v1 verifier key',
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 200 }),
              verifierKey: Type.String({ minLength: 10, maxLength: 500 }),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({ name: Type.String(), verifierKey: Type.String() }),
            ...problemResponses,
          },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(
            await registerWitness(
              store.db,
              request.body,
              actorLabel(actorOf(request)),
              clock.now().toISOString(),
            ),
          ),
    );
  };
}
