// Helpers for the change-push HTTP tests: polling with a deadline, and a recording webhook that
// verifies the hub's RFC 9421 signature like the demo inbox does but also keeps every request it
// was sent (headers, raw body, verdict, the status it answered) and lets a test decide the answer.
import type { KeyObject } from 'node:crypto';
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChangeEvent, verifyRequest } from '../../src/mutations/index.ts';
import type { VerifyResult } from '../../src/mutations/signature.ts';

/**
 * Polls `check` until it answers something other than undefined/false/null and returns that; fails
 * after `timeoutMs` naming what was awaited (and the last thing `check` saw, when `describe` says).
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 5_000,
  describe?: () => unknown,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) {
      const seen = describe ? `; last seen: ${JSON.stringify(describe())}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await sleep(10);
  }
}

export interface RecordedRequest {
  /** Arrival order, from 0. */
  readonly n: number;
  readonly method: string;
  /** The absolute URL the request was sent to. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly verdict: VerifyResult;
  /** The events the request carried (one, or a batch); empty when it was refused or unreadable. */
  readonly events: readonly ChangeEvent[];
  /** The status answered. */
  status: number;
}

/** Decides the answer to a verified request (e.g. fail one person's first attempts). */
export type Respond = (request: RecordedRequest) => number | Promise<number>;

export interface Recorder {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Events in requests answered 2xx, in the order those answers were given. */
  readonly accepted: ChangeEvent[];
  respond: Respond;
  close(): Promise<void>;
}

/** A webhook that verifies the hub's signature and records everything it is sent. */
export async function startRecorder(
  key: (kid: string) => KeyObject | undefined,
  respond: Respond = () => 204,
): Promise<Recorder> {
  const path = '/hooks/changes';
  let origin = '';
  const recorder: Recorder = {
    url: '',
    requests: [],
    accepted: [],
    respond,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = `${origin}${req.url ?? ''}`;
    const verdict = verifyRequest({
      method: req.method ?? '',
      url,
      headers: req.headers,
      body,
      key,
      now: Math.floor(Date.now() / 1000),
    });
    let events: ChangeEvent[] = [];
    if (verdict.ok) {
      try {
        const parsed = JSON.parse(body.toString('utf8')) as unknown;
        const batch = (req.headers['content-type'] ?? '').startsWith('application/cloudevents-batch+json');
        events = (batch ? parsed : [parsed]) as ChangeEvent[];
      } catch {
        events = [];
      }
    }
    const recorded: RecordedRequest = {
      n: recorder.requests.length,
      method: req.method ?? '',
      url,
      headers: req.headers,
      body,
      verdict,
      events,
      status: 0,
    };
    recorder.requests.push(recorded);
    const status = verdict.ok ? await recorder.respond(recorded) : 401;
    recorded.status = status;
    if (status >= 200 && status < 300) recorder.accepted.push(...events);
    const text = verdict.ok ? '' : JSON.stringify({ code: verdict.code });
    res.writeHead(status, text ? { 'content-type': 'application/json' } : {}).end(text);
  }

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  origin = `http://${address}:${port}`;
  return Object.assign(recorder, { url: `${origin}${path}` });
}
