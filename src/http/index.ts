// HTTP: server assembly, authentication, problem answers, shared schemas.
export { buildServer } from './server.ts';
export type { ServerOptions } from './server.ts';
export { actorOf, institutionOf, checkCaller } from './auth.ts';
export type { Audience } from './auth.ts';
export { sendProblem, problemBody, toProblem, PROBLEM_MEDIA_TYPE } from './problem-reply.ts';
export { loggablePath, maskNationalNumbers } from './logging.ts';
export { PAGE_HEADERS, sendPage } from './security-headers.ts';
export * from './schemas.ts';
export { HubMetrics, operationsRoutes } from './operations.ts';
export type { ObservedRecord, OperationsSources, ReadinessCheck } from './operations.ts';
