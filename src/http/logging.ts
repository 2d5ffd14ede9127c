// Process logs never carry national numbers (privacy by design): credentials and INSZ-bearing
// fields are redacted, and any 11-digit run in a URL is masked. The exchange log is the only
// place that records who saw whom.
import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';

const ELEVEN_DIGITS = /(?<!\d)\d{2}[.\s]?\d{2}[.\s]?\d{2}[-.\s]?\d{3}[.\s]?\d{2}(?!\d)/g;

export function maskNationalNumbers(text: string): string {
  return text.replace(ELEVEN_DIGITS, '***********');
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
          url: maskNationalNumbers(request.url),
          remoteAddress: request.ip,
          requestId: request.id,
        };
      },
    },
  };
}
