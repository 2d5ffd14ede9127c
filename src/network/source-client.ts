// The hub → authentic source protocol (docs/source-protocol.md):
//   POST {sourceUrl}/crossroads/v1/{service}   Authorization: Bearer {sourceToken}
//   200 { "data": { ...fields } }  |  404 problem+json (the source does not know the person)
// One keep-alive connection pool per source; every call has a deadline.
import { Agent, errors as undiciErrors, request } from 'undici';
import { Problem } from '../kernel/index.ts';
import type { Institution } from './types.ts';

export interface SourceRequest {
  readonly exchangeId: string;
  readonly service: { readonly id: string; readonly version: number };
  readonly insz: string;
  readonly period: { readonly start: string; readonly end: string | null };
  readonly purpose: string;
  readonly fields: readonly string[];
  readonly requester: { readonly kbo: string; readonly name: string };
  readonly endUser?: string;
  readonly caseReference?: string;
}

export interface SourceClientOptions {
  readonly timeoutMs: number;
  /** Largest answer accepted from a source. */
  readonly maxAnswerBytes?: number;
  readonly connectionsPerSource?: number;
}

export type SourceAnswer =
  { readonly found: true; readonly data: Record<string, unknown> } | { readonly found: false };

export class SourceClient {
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #maxAnswerBytes: number;

  constructor(options: SourceClientOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#maxAnswerBytes = options.maxAnswerBytes ?? 1_048_576;
    this.#agent = new Agent({
      connections: options.connectionsPerSource ?? 128,
      keepAliveTimeout: 30_000,
      connectTimeout: Math.min(options.timeoutMs, 5_000),
    });
  }

  /** Calls one source; throws PROVIDER_UNAVAILABLE, PROVIDER_TIMEOUT or PROVIDER_ERROR. */
  async call(source: Institution, body: SourceRequest): Promise<SourceAnswer> {
    if (!source.sourceUrl) {
      throw new Problem('PROVIDER_UNAVAILABLE', `${source.kbo} has no source endpoint configured`, {
        provider: source.kbo,
      });
    }
    const url = `${source.sourceUrl.replace(/\/+$/, '')}/crossroads/v1/${encodeURIComponent(body.service.id)}`;
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: {
          'content-type': 'application/json',
          'x-crossroads-exchange-id': body.exchangeId,
          ...(source.sourceToken ? { authorization: `Bearer ${source.sourceToken}` } : {}),
        },
        body: JSON.stringify(body),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
        // The two timeouts above only bound silences; this bounds the whole answer, so a source
        // that trickles its body still ends in PROVIDER_TIMEOUT.
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = response.statusCode;
      text = await readLimited(response.body, this.#maxAnswerBytes);
    } catch (error) {
      throw asProviderProblem(error, source.kbo, this.#timeoutMs);
    }
    if (status === 404) return { found: false };
    if (status !== 200) {
      throw new Problem('PROVIDER_ERROR', `${source.kbo} answered HTTP ${status}`, { provider: source.kbo });
    }
    const data = parseData(text);
    if (!data)
      throw new Problem('PROVIDER_ERROR', `${source.kbo} answered without a data object`, {
        provider: source.kbo,
      });
    return { found: true, data };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new AnswerTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

class AnswerTooLarge extends Error {
  constructor(limit: number) {
    super(`the answer exceeds ${limit} bytes`);
  }
}

function parseData(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed) && isObject(parsed.data)) return parsed.data;
  } catch {
    // falls through: not JSON
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asProviderProblem(error: unknown, provider: string, timeoutMs: number): Problem {
  if (error instanceof Problem) return error;
  if (error instanceof AnswerTooLarge)
    return new Problem('PROVIDER_ERROR', `${provider}: ${error.message}`, { provider });
  const name = error instanceof Error ? error.name : '';
  if (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError
  ) {
    return new Problem('PROVIDER_TIMEOUT', `${provider} did not answer within ${timeoutMs} ms`, { provider });
  }
  return new Problem('PROVIDER_UNAVAILABLE', `${provider} could not be reached`, { provider });
}
