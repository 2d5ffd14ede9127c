// A real HTTP server speaking the source protocol (docs/source-protocol.md): what an institution
// runs so the hub can fetch data from it. The demo runs one per authentic source, and tests use it
// to play a source that is slow, down or wrong.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { SourceRequest } from '../network/index.ts';

/** Answers one request: the data, or undefined when the source does not know the person. */
export type SourceHandler = (request: SourceRequest) => Record<string, unknown> | undefined;

export interface SourceServerOptions {
  readonly token: string;
  readonly handlers: Readonly<Record<string, SourceHandler>>;
  readonly host?: string;
  readonly port?: number;
}

export interface SourceServer {
  readonly url: string;
  /** Requests received, for tests that check what reached the source. */
  readonly received: SourceRequest[];
  /** Makes every answer wait this long (tests of timeouts). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

const PATH = /^\/crossroads\/v1\/([A-Za-z0-9._-]+)$/;

export async function startSourceServer(options: SourceServerOptions): Promise<SourceServer> {
  let delayMs = 0;
  const received: SourceRequest[] = [];
  const expected = Buffer.from(`Bearer ${options.token}`);

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => answer(res, 500, { code: 'SOURCE_INTERNAL' }));
  });
  server.keepAliveTimeout = 60_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const service = PATH.exec(req.url ?? '')?.[1];
    if (req.method !== 'POST' || !service) return answer(res, 404, { code: 'NO_SUCH_ENDPOINT' });
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return answer(res, 401, { code: 'UNAUTHENTICATED' });
    }
    const handler = options.handlers[service];
    if (!handler) return answer(res, 404, { code: 'UNKNOWN_SERVICE' });
    let body: SourceRequest;
    try {
      body = JSON.parse(await readBody(req)) as SourceRequest;
    } catch {
      return answer(res, 400, { code: 'BODY_MALFORMED' });
    }
    received.push(body);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const data = handler(body);
    if (data === undefined)
      return answer(res, 404, {
        type: 'about:blank',
        title: 'Unknown person',
        status: 404,
        code: 'PERSON_UNKNOWN',
      });
    return answer(res, 200, { data });
  }

  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    received,
    setDelay: (ms) => {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': status === 200 ? 'application/json' : 'application/problem+json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
