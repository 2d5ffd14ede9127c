// Process logs never carry national numbers (privacy by design): credentials and INSZ-bearing
// fields are redacted, query strings are never logged, and any long digit run in a path is masked. The exchange log is the only
// place that records who saw whom.
import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';

// Any run of nine or more digits, whatever sits between them (`.`, `-`, spaces, `+`…): parseInsz
// accepts separators anywhere, so the mask must not depend on where they are.
const DIGIT_RUN = /\d(?:[^A-Za-z0-9]*\d){8,}/g;

export function maskNationalNumbers(text: string): string {
  return text.replace(DIGIT_RUN, '***');
}

/** What a request line may show in the process log: the path, masked; never the query string. */
export function loggablePath(url: string): string {
  const question = url.indexOf('?');
  const path = question < 0 ? url : url.slice(0, question);
  return maskNationalNumbers(decodeForMasking(path)) + (question < 0 ? '' : '?…');
}

/** Percent-decoded, so that %2E-style encodings cannot hide a number; never throws. */
function decodeForMasking(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path.replace(/%[0-9A-Fa-f]{2}/g, '.');
  }
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.insz',
        'insz',
        '*.person',
        'body',
        '*.body',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request: FastifyRequest) {
        return {
          method: request.method,
          url: loggablePath(request.url),
          remoteAddress: request.ip,
          requestId: request.id,
        };
      },
    },
  };
}
