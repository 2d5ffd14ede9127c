// Assembles the HTTP server: security headers, rate limits, OpenAPI 3.1, authentication, problem
// answers, and the route plugins of every capability (passed in by the composition root).
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { Problem, newId } from '../kernel/index.ts';
import type { NetworkRegistry } from '../network/index.ts';
import { registerAuthentication } from './auth.ts';
import { landingPage, problemsPage } from './landing.ts';
import { loggerOptions } from './logging.ts';
import { sendProblem, toProblem } from './problem-reply.ts';
import { registerRateLimit } from './rate-limit.ts';
import { API_HEADERS, sendPage } from './security-headers.ts';
import { SHARED_SCHEMAS } from './schemas.ts';

export interface ServerOptions {
  readonly registry: NetworkRegistry;
  readonly routes: readonly FastifyPluginAsync[];
  /** pino level, or false for no process log (tests). */
  readonly logLevel: string | false;
  /** Requests per minute per credential (or per address when anonymous). */
  readonly rateLimitPerMinute: number;
  readonly version: string;
  readonly trustProxy?: boolean;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logLevel === false ? false : loggerOptions(options.logLevel),
    genReqId: () => newId(),
    requestIdHeader: false,
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 1_048_576,
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    routerOptions: { ignoreTrailingSlash: true },
    // Errors Fastify raises before routing (a malformed URL, a bad content length) get problems too.
    frameworkErrors: (error, _request, reply) => {
      void sendProblem(reply, toProblem(error));
    },
  });

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  // The API speaks JSON only: a text/plain body is answered 415, not parsed into a string that
  // then fails the schema as VALIDATION_FAILED.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(API_HEADERS);
    done();
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Crossroads hub API',
        version: options.version,
        description:
          'Service integrator between public institutions: persons directory, authorisations, brokered exchanges. ' +
          'Every error is an RFC 9457 problem with a stable `code` (see /problems).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'exchange', description: 'Brokered exchanges of personal data' },
        { name: 'directory', description: 'Persons directory (REGISTER, UNREGISTER, LIST)' },
        { name: 'public', description: 'Public registers, no login' },
        { name: 'admin', description: 'Operator: network, authorisations, credentials' },
        { name: 'health', description: 'Liveness' },
      ],
    },
    // Name shared schemas after their $id in the document instead of def-0, def-1, ...
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  registerAuthentication(app, options.registry);
  // After authentication: the limit counts per *verified* credential, so a made-up credential id
  // cannot buy a fresh quota (nor spend an institution's); anything else counts per address.
  registerRateLimit(app, {
    max: options.rateLimitPerMinute,
    windowMs: 60_000,
    keyOf: (request) =>
      request.caller && 'actor' in request.caller
        ? `credential:${request.caller.actor.credentialId}`
        : request.ip,
  });

  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error);
    if (problem.code === 'INTERNAL') request.log.error({ err: error }, 'unexpected error');
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new Problem('ROUTE_NOT_FOUND', `${request.method} ${request.url.split('?')[0]} does not exist`),
    ),
  );

  app.get('/', { schema: { hide: true } }, (_request, reply) => sendPage(reply, landingPage()));
  app.get('/problems', { schema: { hide: true } }, (_request, reply) => sendPage(reply, problemsPage()));
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  app.get(
    '/health',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness',
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
    },
    () => ({ status: 'ok' }),
  );

  for (const routes of options.routes) await app.register(routes);
  return app;
}
