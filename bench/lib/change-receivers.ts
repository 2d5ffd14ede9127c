// The recipients' webhooks for bench:changes, in a process of their own: RECEIVERS HTTP servers on
// loopback, one port each. Each takes single events and CloudEvents batches, verifies the hub's
// RFC 9421 signature and Content-Digest as a real receiver must (VERIFY=0 skips it) with the key
// from the hub's /public/changes/keys, drops duplicates by event id, and records the arrival time
// (epoch ms, performance clock) of each new event with its change id. It keeps no events.
// A control server answers GET /count and GET /arrivals?since=<index> for the benchmark.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { keysFromJwks } from '../../src/demo/index.ts';
import { verifyRequest } from '../../src/mutations/index.ts';

const hubUrl = process.env.HUB_URL!;
const count = Number(process.env.RECEIVERS ?? '20');
const verify = process.env.VERIFY !== '0';
const jwks = (await (await fetch(`${hubUrl}/public/changes/keys`)).json()) as {
  keys: { kid?: string; [k: string]: unknown }[];
};
const key = keysFromJwks(jwks);

const seen = new Set<string>();
const changes: string[] = [];
const arrivals: number[] = [];
const totals = { requests: 0, events: 0, duplicates: 0, refused: 0, malformed: 0, verifyMs: 0 };
const refusals = new Map<string, number>();
const now = (): number => performance.timeOrigin + performance.now();

const servers: Server[] = [];
const urls: string[] = [];
for (let i = 0; i < count; i++) {
  let origin = '';
  const server = createServer((req, res) => void take(req, res, origin));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(server);
  urls.push(`${origin}/crossroads/changes`);
}

async function take(req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const at = now();
  totals.requests++;
  if (verify) {
    const t0 = performance.now();
    const verdict = verifyRequest({
      method: req.method ?? 'POST',
      url: `${origin}${req.url}`,
      headers: req.headers,
      body,
      key,
      now: Math.floor(Date.now() / 1000),
    });
    totals.verifyMs += performance.now() - t0;
    if (!verdict.ok) {
      totals.refused++;
      refusals.set(verdict.code, (refusals.get(verdict.code) ?? 0) + 1);
      res.writeHead(401).end();
      return;
    }
  }
  let events: { id: string; data: { change: string } }[];
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    const batch = (req.headers['content-type'] ?? '').startsWith('application/cloudevents-batch+json');
    events = (batch ? parsed : [parsed]) as typeof events;
  } catch {
    totals.malformed++;
    res.writeHead(400).end();
    return;
  }
  for (const event of events) {
    if (seen.has(event.id)) {
      totals.duplicates++;
      continue;
    }
    seen.add(event.id);
    changes.push(event.data.change);
    arrivals.push(at);
    totals.events++;
  }
  res.writeHead(204).end();
}

const control = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://control');
  let answer: unknown;
  if (url.pathname === '/count') {
    answer = { ...totals, refusals: Object.fromEntries(refusals), cpu: process.cpuUsage() };
  } else if (url.pathname === '/arrivals') {
    const since = Number(url.searchParams.get('since') ?? '0');
    answer = { changes: changes.slice(since), at: arrivals.slice(since) };
  } else {
    res.writeHead(404).end();
    return;
  }
  const text = JSON.stringify(answer);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
});
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
console.log(`READY ${JSON.stringify({ urls, control: controlUrl, pid: process.pid, verify })}`);

process.once('SIGTERM', () => {
  for (const server of [...servers, control]) server.closeAllConnections();
  process.exit(0);
});
