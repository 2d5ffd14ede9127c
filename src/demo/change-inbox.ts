// A change receiver, as an institution runs one: takes pushed CloudEvents (one, or a batch),
// checks the hub's signature and Content-Digest before trusting anything, drops events it has
// already seen (delivery is at least once; the event id is stable), and keeps them in order.
// The demo institutions that take push run one; tests and the benchmark use it as the receiver.
import { type KeyObject, createPublicKey } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChangeEvent } from '../mutations/index.ts';
import { verifyRequest } from '../mutations/index.ts';

export interface ChangeInboxOptions {
  /** The hub's public key for a key id (from /public/changes/keys). */
  readonly key: (kid: string) => KeyObject | undefined;
  readonly host?: string;
  readonly port?: number;
  /** Path the hub posts to. */
  readonly path?: string;
  /** Called with each new (not duplicate) event, in arrival order. */
  readonly onEvent?: (event: ChangeEvent) => void;
}

export interface ChangeInbox {
  /** The webhook address to give the hub. */
  readonly url: string;
  /** New events, in arrival order. */
  readonly events: ChangeEvent[];
  /** Requests refused, by reason code (e.g. SIGNATURE_INVALID). */
  readonly refused: Map<string, number>;
  /** Events received again (already seen). */
  duplicates: number;
  /** Answer the next `count` requests with this status instead of taking them (tests of retries). */
  failNext(count: number, status?: number): void;
  close(): Promise<void>;
}

/** Builds a key resolver from the hub's JWK set. */
export function keysFromJwks(jwks: {
  keys: readonly { kid?: string; [k: string]: unknown }[];
}): (kid: string) => KeyObject | undefined {
  const keys = new Map(
    jwks.keys.map((jwk) => [jwk.kid ?? '', createPublicKey({ key: jwk as never, format: 'jwk' })]),
  );
  return (kid) => keys.get(kid);
}

export async function startChangeInbox(options: ChangeInboxOptions): Promise<ChangeInbox> {
  const path = options.path ?? '/crossroads/changes';
  const seen = new Set<string>();
  let failing = 0;
  let failStatus = 503;
  let origin = '';
  const inbox: ChangeInbox = {
    url: '',
    events: [],
    refused: new Map(),
    duplicates: 0,
    failNext(count, status = 503) {
      failing = count;
      failStatus = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => reply(res, 500, { code: 'RECEIVER_INTERNAL' }));
  });
  server.keepAliveTimeout = 60_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === path && req.method === 'GET') return reply(res, 200, { events: inbox.events });
    if (req.url !== path || req.method !== 'POST') return reply(res, 404, { code: 'NO_SUCH_ENDPOINT' });
    const body = await readBody(req);
    if (failing > 0) {
      failing -= 1;
      return reply(res, failStatus, { code: 'TRY_LATER' });
    }
    const verdict = verifyRequest({
      method: 'POST',
      url: `${origin}${req.url}`,
      headers: req.headers,
      body,
      key: options.key,
      now: Math.floor(Date.now() / 1000),
    });
    if (!verdict.ok) {
      inbox.refused.set(verdict.code, (inbox.refused.get(verdict.code) ?? 0) + 1);
      return reply(res, 401, { code: verdict.code, detail: verdict.reason });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return reply(res, 400, { code: 'BODY_MALFORMED' });
    }
    const batch = (req.headers['content-type'] ?? '').startsWith('application/cloudevents-batch+json');
    for (const event of (batch ? parsed : [parsed]) as ChangeEvent[]) {
      if (seen.has(event.id)) {
        inbox.duplicates += 1;
        continue;
      }
      seen.add(event.id);
      inbox.events.push(event);
      options.onEvent?.(event);
    }
    res.writeHead(204).end();
  }

  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { address, port } = server.address() as AddressInfo;
  origin = `http://${address}:${port}`;
  return Object.assign(inbox, { url: `${origin}${path}` });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
