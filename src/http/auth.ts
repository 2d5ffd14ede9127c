// Authentication: every request with an Authorization header is resolved once, in onRequest,
// before its body is read. Routes say who may call them (config.audience); one hook enforces it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Problem } from '../kernel/index.ts';
import type { Actor, CallerCheck, NetworkRegistry } from '../network/index.ts';
import { sendProblem } from './problem-reply.ts';

/**
 * - public: anyone;
 * - institution / operator: a valid credential of that kind, else 401/403 before the body is read;
 * - exchange: the route itself deals with a missing or wrong credential (so it can log the attempt).
 */
export type Audience = 'public' | 'institution' | 'operator' | 'exchange';

declare module 'fastify' {
  interface FastifyContextConfig {
    audience?: Audience;
  }
  interface FastifyRequest {
    /** Set in onRequest for every route that is not public. */
    caller: CallerCheck | null;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function checkCaller(registry: NetworkRegistry, authorization: string | undefined): CallerCheck {
  if (!authorization)
    return { problem: new Problem('UNAUTHENTICATED', 'send Authorization: Bearer <credential>') };
  const token = BEARER.exec(authorization)?.[1];
  const actor = token ? registry.authenticate(token) : undefined;
  if (!actor)
    return { problem: new Problem('CREDENTIAL_INVALID', 'the credential is unknown, revoked or malformed') };
  return { actor };
}

export function registerAuthentication(app: FastifyInstance, registry: NetworkRegistry): void {
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request, reply) => {
    const audience = request.routeOptions.config.audience ?? 'public';
    if (audience === 'public') return;
    const caller = checkCaller(registry, request.headers.authorization);
    request.caller = caller;
    if (audience === 'exchange') return;
    if ('problem' in caller) return sendProblem(reply, caller.problem);
    if (audience === 'operator' && caller.actor.kind !== 'operator') {
      return sendProblem(reply, new Problem('OPERATOR_ONLY'));
    }
    if (audience === 'institution' && caller.actor.kind !== 'institution') {
      return sendProblem(
        reply,
        new Problem('INSTITUTION_ONLY', 'this endpoint acts on behalf of an institution'),
      );
    }
  });
}

/** The authenticated actor of a route whose audience hook already passed. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.caller) throw new Problem('UNAUTHENTICATED');
  if ('problem' in request.caller) throw request.caller.problem;
  return request.caller.actor;
}

export function institutionOf(request: FastifyRequest): Extract<Actor, { kind: 'institution' }> {
  const actor = actorOf(request);
  if (actor.kind !== 'institution') throw new Problem('INSTITUTION_ONLY');
  return actor;
}
