// npm run bench:exchange [-- --duration 10 --connections 64]
// Measures, in one run with autocannon:
//   (a) brokered POST /v1/exchanges — authentication, decision, routing, forwarding, logging on;
//   (b) the same source request sent straight to the source;
//   (c) a bare Fastify + undici proxy to the same source, with no checks and no log.
// The hub, the source, the bare proxy and autocannon each run in their own process.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon, { type Request } from 'autocannon';
import { demoAuthorisations, generatePeople } from '../src/demo/index.ts';
import type { DemoFile } from '../src/demo/index.ts';
import { dateInBelgium } from '../src/kernel/index.ts';
import { type Child, spawnReady, stop } from './lib/processes.ts';
import { machine, round } from './lib/stats.ts';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '64' } },
});
const duration = Number(values.duration);
const connections = Number(values.connections);

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  non2xx: number;
}

const dataDir = mkdtempSync(join(tmpdir(), 'crossroads-bench-'));
const children: Child[] = [];
let hub: ReturnType<typeof spawn> | undefined;
try {
  const source = await spawnReady('bench/source-process.ts');
  children.push(source);
  const {
    url: sourceUrl,
    token: sourceToken,
    kbo: nrKbo,
  } = source.ready as { url: string; token: string; kbo: string };

  hub = spawn(process.execPath, ['src/cli.ts', 'start', '--demo'], {
    cwd: new URL('../', import.meta.url),
    env: {
      ...process.env,
      CROSSROADS_DATA_DIR: dataDir,
      CROSSROADS_PORT: '0',
      CROSSROADS_DEMO_PORT_BASE: '0',
      CROSSROADS_LOG_LEVEL: 'silent',
      CROSSROADS_RATE_LIMIT_PER_MINUTE: '100000000',
      NODE_OPTIONS: process.env.BENCH_HUB_NODE_OPTIONS ?? '',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const demo = await waitForDemo(join(dataDir, 'demo.json'));
  // Point the National Register at the source process, through the operator API.
  const patched = await fetch(`${demo.hub}/admin/institutions/${nrKbo}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${demo.operator.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sourceUrl, sourceToken }),
  });
  if (patched.status !== 200) throw new Error(`could not repoint the source: ${patched.status}`);

  // bench:log measures the brokered case with the Merkle sequencer paused (operator control) too.
  if (process.env.BENCH_PAUSE_SEQUENCER === '1') {
    await fetch(`${demo.hub}/admin/log/sequencer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.operator.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ paused: true }),
    });
  }
  const proxy = await spawnReady('bench/bare-proxy.ts', { SOURCE_URL: sourceUrl, SOURCE_TOKEN: sourceToken });
  children.push(proxy);

  const ocmw = demo.institutions.find((i) => i.key === 'ocmwGent')!;
  // The fields OCMW Gent's authorisation grants, as the hub would ask the source for them.
  const identityFields = demoAuthorisations().findLast((a) => a.ref === 'IVC/KSZG/19/123')!.services[0]!
    .fields;
  const clients = generatePeople(1000).filter((p) => p.leefloon && p.region === 'gent');
  const today = dateInBelgium(new Date());
  const exchangeBodies = clients.map((p) =>
    JSON.stringify({ service: 'nr.identity', insz: p.insz, purpose: 'social-investigation', date: today }),
  );
  const sourceBodies = clients.map((p) =>
    JSON.stringify({
      exchangeId: 'bench',
      service: { id: 'nr.identity', version: 1 },
      insz: p.insz,
      period: { start: today, end: null },
      purpose: 'social-investigation',
      fields: identityFields,
      requester: { kbo: ocmw.kbo, name: ocmw.name },
    }),
  );

  // Check once that each path answers 200 before loading it.
  await expectOk(
    `${demo.hub}/v1/exchanges`,
    { authorization: `Bearer ${ocmw.credential}` },
    exchangeBodies[0]!,
  );
  await expectOk(
    `${sourceUrl}/crossroads/v1/nr.identity`,
    { authorization: `Bearer ${sourceToken}` },
    sourceBodies[0]!,
  );
  await expectOk(`${String(proxy.ready.url)}/proxy/nr.identity`, {}, sourceBodies[0]!);

  const brokered = await load(
    `${demo.hub}/v1/exchanges`,
    { authorization: `Bearer ${ocmw.credential}` },
    exchangeBodies,
  );
  if (process.env.BENCH_ONLY_BROKERED === '1') {
    // bench:log reads this line; the rest of the run is skipped.
    console.log(`BROKERED ${JSON.stringify(pick(brokered))}`);
  } else {
    await measureOthers();
  }

  async function measureOthers(): Promise<void> {
    const direct = await load(
      `${sourceUrl}/crossroads/v1/nr.identity`,
      { authorization: `Bearer ${sourceToken}` },
      sourceBodies,
    );
    const bareProxy = await load(`${String(proxy.ready.url)}/proxy/nr.identity`, {}, sourceBodies);

    const result = {
      brokered: pick(brokered),
      direct: pick(direct),
      bareProxy: pick(bareProxy),
      ratioToBareProxy: round(brokered.rps / bareProxy.rps, 3),
      settings: { durationSeconds: duration, connections, people: clients.length },
      machine: machine(),
    };
    console.table({ brokered, direct, bareProxy });
    console.log(`ratio brokered / bare proxy: ${result.ratioToBareProxy}`);
    writeFileSync(
      new URL('./results/exchange.json', import.meta.url),
      JSON.stringify(result, null, 2) + '\n',
    );
  }
} finally {
  for (const c of children) await c.stop();
  if (hub) await stop(hub);
  rmSync(dataDir, { recursive: true, force: true });
}

function pick(f: Figures): { rps: number; p50: number; p99: number; p999: number } {
  return { rps: f.rps, p50: f.p50, p99: f.p99, p999: f.p999 };
}

async function load(url: string, headers: Record<string, string>, bodies: string[]): Promise<Figures> {
  let next = 0;
  const options = {
    url,
    connections,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', ...headers },
    requests: [
      {
        setupRequest: (request: Request): Request => ({ ...request, body: bodies[next++ % bodies.length]! }),
      },
    ],
  };
  await autocannon({ ...options, duration: 2 }); // warm-up, not measured
  const r = await autocannon({ ...options, duration });
  return {
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

async function expectOk(url: string, headers: Record<string, string>, body: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  if (response.status !== 200)
    throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
}

async function waitForDemo(path: string): Promise<DemoFile> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (existsSync(path)) {
      try {
        return JSON.parse(readFileSync(path, 'utf8')) as DemoFile;
      } catch {
        // being written
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the hub did not start its demo within 3 minutes');
}
