// Operator routes over the exchange log: read any record, check the hash chain.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problemResponses } from '../http/index.ts';
import { Problem } from '../kernel/index.ts';
import type { Store } from '../store/index.ts';
import { recordByExchangeId, verifyChain } from './reader.ts';

export function adminLogRoutes(store: Store): FastifyPluginAsyncTypebox {
  return async (app) => {
    const route = { tags: ['admin'], security: [{ bearer: [] }] };
    app.get(
      '/admin/exchanges/:id',
      {
        config: { audience: 'operator' },
        schema: {
          ...route,
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
          ...route,
          summary: 'Recompute the exchange log’s hash chain and name the first record that disagrees',
          response: { 200: Type.Object({}, { additionalProperties: true }), ...problemResponses },
        },
      },
      () => verifyChain(store.db),
    );
  };
}
