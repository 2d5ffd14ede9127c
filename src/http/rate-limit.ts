// A fixed-window request limit per credential (or per address when anonymous). Measured here:
// @fastify/rate-limit cost about a third of a trivial route's throughput; this costs one Map
// look-up. Counters reset together every window, from one unref'd timer.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Problem } from '../kernel/index.ts';
import { sendProblem } from './problem-reply.ts';

export interface RateLimitOptions {
  readonly max: number;
  readonly windowMs: number;
  readonly keyOf: (request: FastifyRequest) => string;
}

export function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): void {
  let counts = new Map<string, number>();
  let windowEnds = Date.now() + options.windowMs;
  const timer = setInterval(() => {
    counts = new Map();
    windowEnds = Date.now() + options.windowMs;
  }, options.windowMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));

  app.addHook('onRequest', async (request, reply) => {
    const key = options.keyOf(request);
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    if (count > options.max) {
      // RFC 9110 §10.2.3: Retry-After in seconds.
      void reply.header('retry-after', String(Math.max(1, Math.ceil((windowEnds - Date.now()) / 1000))));
      return sendProblem(
        reply,
        new Problem('RATE_LIMITED', `more than ${options.max} requests in ${options.windowMs / 1000} s`),
      );
    }
  });
}
