// Turns any error into an RFC 9457 problem (application/problem+json) with a stable code.
// Bad input is always a 4xx with its code; only a fault of the hub itself becomes INTERNAL (500),
// and no answer ever carries a stack trace.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEMS, Problem, type ProblemCode } from '../kernel/index.ts';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

export function problemBody(problem: Problem, request: FastifyRequest): Record<string, unknown> {
  return {
    ...problem.extra,
    // RFC 9457 §3.1.1: "type" is a URI reference that identifies the problem type.
    type: `/problems#${problem.code}`,
    title: PROBLEMS[problem.code].title,
    status: problem.status,
    ...(problem.detail !== undefined ? { detail: problem.detail } : {}),
    code: problem.code,
    instance: request.url.split('?')[0],
    requestId: request.id,
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.code === 'UNAUTHENTICATED' || problem.code === 'CREDENTIAL_INVALID') {
    // RFC 6750 §3: a 401 names the scheme the resource expects.
    void reply.header('www-authenticate', 'Bearer realm="crossroads"');
  }
  return reply.code(problem.status).type(PROBLEM_MEDIA_TYPE).send(problemBody(problem, reply.request));
}

/** Maps what Fastify and its plugins throw to the hub's problem codes. */
export function toProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  const e = error as Partial<FastifyError> & { validationContext?: string };
  if (e.validation) {
    const errors = e.validation.map((v) => {
      const missing =
        v.params && 'missingProperty' in v.params ? String(v.params.missingProperty) : undefined;
      const unexpected =
        v.params && 'additionalProperty' in v.params ? String(v.params.additionalProperty) : undefined;
      // A missing or unexpected member is pointed at itself (/body/purpose), not at its parent.
      const member = missing ?? unexpected;
      const tail = member === undefined ? '' : `/${pointerToken(member)}`;
      return {
        pointer: `/${e.validationContext ?? 'body'}${v.instancePath}${tail}`,
        message: v.message ?? 'invalid',
        ...(missing !== undefined ? { missing } : {}),
        ...(unexpected !== undefined ? { unexpected } : {}),
      };
    });
    return new Problem('VALIDATION_FAILED', errors.map((x) => `${x.pointer} ${x.message}`).join('; '), {
      errors,
    });
  }
  const byFastifyCode: Record<string, ProblemCode> = {
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BODY_MALFORMED',
    FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'BODY_MALFORMED',
    FST_ERR_CTP_INVALID_JSON_BODY: 'BODY_MALFORMED',
  };
  const mapped = e.code !== undefined ? byFastifyCode[e.code] : undefined;
  if (mapped) return new Problem(mapped, e.message);
  if (e.statusCode === 429)
    return new Problem('RATE_LIMITED', 'slow down and retry after the time in Retry-After');
  if (error instanceof SyntaxError || (e.statusCode === 400 && e.code === undefined)) {
    return new Problem('BODY_MALFORMED', 'the body is not valid JSON');
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    return new Problem('VALIDATION_FAILED', e.message);
  }
  return new Problem('INTERNAL');
}

/** RFC 6901: escapes one reference token of a JSON pointer. */
function pointerToken(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}
