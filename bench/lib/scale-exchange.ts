// The exchange part of bench:scale, as bench:exchange measures it: brokered POST /v1/exchanges by
// OCMW Gent (nr.identity for its leefloon clients) through `crossroads start` processes, the
// National Register's source in a process of its own, autocannon in this process. Against one hub
// on SQLite, one hub node on PostgreSQL, and two hub nodes on the same PostgreSQL database (the
// connections split between them). Each run records the cores every process used, so a result
// says whether the hub was the bottleneck, or the load generator, or the machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon, { type Request } from 'autocannon';
import { type DemoFile, generatePeople } from '../../src/demo/index.ts';
import { dateInBelgium } from '../../src/kernel/index.ts';
import { type Child, spawnReady } from './processes.ts';
import { ServerCpu, busyShare, machineTicks, processCpuSeconds } from './scale-postgres.ts';

const ROOT = new URL('../../', import.meta.url);

export interface HubNode {
  readonly process: ChildProcess;
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * `crossroads start [--demo]` on `dataDir`: on the PostgreSQL database `databaseUrl`, or on the
 * data directory's SQLite file when it is undefined. Resolves once it listens.
 */
export async function startHubNode(options: {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly demo: boolean;
}): Promise<HubNode> {
  const child = spawn(process.execPath, ['src/cli.ts', 'start', ...(options.demo ? ['--demo'] : [])], {
    cwd: ROOT,
    env: {
      ...process.env,
      CROSSROADS_DATA_DIR: options.dataDir,
      CROSSROADS_DATABASE_URL: options.databaseUrl ?? '',
      CROSSROADS_PORT: '0',
      CROSSROADS_DEMO_PORT_BASE: '0',
      CROSSROADS_LOG_LEVEL: 'silent',
      CROSSROADS_RATE_LIMIT_PER_MINUTE: '100000000',
      NODE_OPTIONS: process.env.BENCH_HUB_NODE_OPTIONS ?? '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the hub did not listen within 3 minutes: ${tail(output)}`)),
      180_000,
    );
    const check = () => {
      const match = /(?:Crossroads demo hub: |listening on )(http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited with ${code} before it listened: ${tail(output)}`));
    });
  });
  return { process: child, url, stop: () => stopProcess(child) };
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-5).join(' / ');
}

/** SIGTERM, then SIGKILL if it has not exited within 30 s. */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface ExchangeTarget {
  /** The demo hub (its demo.json holds the credentials), and any other nodes on its database. */
  readonly nodes: readonly HubNode[];
  readonly demo: DemoFile;
}

export interface ExchangeFigures {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  /** Cores each part used during the measured run (CPU seconds / wall seconds). */
  readonly cores: {
    readonly loadGenerator: number;
    readonly hubNodes: readonly (number | null)[];
    readonly source: number | null;
    readonly postgres: number | null;
  };
  readonly machineBusy: number | null;
  /** What limited the run, as far as the CPU readings tell. */
  readonly bottleneck: string;
}

export interface ExchangeLoad {
  readonly duration: number;
  readonly connections: number;
  /** The database server's processes are measured too (PostgreSQL runs). */
  readonly postgres?: { readonly admin: string; readonly database: string };
}

/** The National Register's source, in a process of its own. */
export function startSource(): Promise<Child> {
  return spawnReady('bench/source-process.ts');
}

/** Points the demo hub's National Register at the source process (operator API). */
export async function repointSource(demo: DemoFile, hubUrl: string, source: Child): Promise<void> {
  const { url, token, kbo } = source.ready as { url: string; token: string; kbo: string };
  const patched = await fetch(`${hubUrl}/admin/institutions/${kbo}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${demo.operator.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sourceUrl: url, sourceToken: token }),
  });
  if (patched.status !== 200) throw new Error(`could not repoint the source: ${patched.status}`);
}

export function readDemoFile(dataDir: string): DemoFile {
  return JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as DemoFile;
}

/** Brokered exchanges through every node of `target` (connections spread over them). */
export async function measureExchanges(
  target: ExchangeTarget,
  source: Child,
  load: ExchangeLoad,
): Promise<ExchangeFigures> {
  const ocmw = target.demo.institutions.find((i) => i.key === 'ocmwGent')!;
  const today = dateInBelgium(new Date());
  const bodies = generatePeople(1000)
    .filter((p) => p.leefloon && p.region === 'gent')
    .map((p) =>
      JSON.stringify({ service: 'nr.identity', insz: p.insz, purpose: 'social-investigation', date: today }),
    );
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${ocmw.credential}` };
  const urls = target.nodes.map((n) => `${n.url}/v1/exchanges`);
  for (const url of urls) {
    const response = await fetch(url, { method: 'POST', headers, body: bodies[0]! });
    if (response.status !== 200)
      throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  }
  let next = 0;
  const options = {
    // autocannon spreads the connections over several URLs (its types name one).
    url: (urls.length === 1 ? urls[0]! : urls) as string,
    connections: load.connections,
    method: 'POST' as const,
    headers,
    requests: [{ setupRequest: (r: Request): Request => ({ ...r, body: bodies[next++ % bodies.length]! }) }],
  };
  await autocannon({ ...options, duration: 2 }); // warm-up, not measured

  const serverCpu = load.postgres ? new ServerCpu(load.postgres.admin, load.postgres.database) : undefined;
  await serverCpu?.sample();
  const pids = [...target.nodes.map((n) => n.process.pid!), source.process.pid!];
  const before = pids.map(processCpuSeconds);
  const ownBefore = process.cpuUsage();
  const machineBefore = machineTicks();
  const started = performance.now();
  const result = await autocannon({ ...options, duration: load.duration });
  const seconds = (performance.now() - started) / 1000;
  const own = process.cpuUsage(ownBefore);
  const after = pids.map(processCpuSeconds);
  const machineBusy = busyShare(machineBefore, machineTicks());
  await serverCpu?.sample();
  const cores = (i: number): number | null => {
    const a = after[i];
    const b = before[i];
    return a === undefined || b === undefined ? null : Math.round(((a - b) / seconds) * 100) / 100;
  };
  const figures = {
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    cores: {
      loadGenerator: Math.round(((own.user + own.system) / 1e6 / seconds) * 100) / 100,
      hubNodes: target.nodes.map((_, i) => cores(i)),
      source: cores(target.nodes.length),
      postgres: serverCpu ? Math.round((serverCpu.seconds() / seconds) * 100) / 100 : null,
    },
    machineBusy,
  };
  return { ...figures, bottleneck: bottleneck(figures) };
}

/**
 * The limit the readings point to: a process near one core (one event loop), or a machine with
 * little CPU left (every process here competes for the same cores).
 */
function bottleneck(f: Omit<ExchangeFigures, 'bottleneck'>): string {
  const saturated = (cores: number | null) => cores !== null && cores >= 0.9;
  const parts: string[] = [];
  if (saturated(f.cores.loadGenerator))
    parts.push('the load generator (autocannon, one event loop) was saturated');
  f.cores.hubNodes.forEach((c, i) => {
    if (saturated(c)) parts.push(`hub node ${i + 1} was saturated (${c} cores)`);
  });
  if (f.machineBusy !== null && f.machineBusy >= 0.85) {
    parts.push(`the machine's CPUs were ${Math.round(f.machineBusy * 100)}% busy`);
  }
  if (!saturated(f.cores.loadGenerator))
    parts.push(`not the load generator (${f.cores.loadGenerator} cores)`);
  return parts.join('; ');
}
