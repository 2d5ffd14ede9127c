// npm run bench:scale [-- --registrations 27000000 --samples 20000 --duration 10 --connections 64
//                        --skip-exchange --pg-url postgres://… --work-dir DIR --keep --reuse]
// The hub at the scale of the deck: 27 million registrations (its count of active dossiers).
//   1. Generates the import file (valid INSZ and KBO, the demo network's institutions, sectors and
//      capacity codes), creates a fresh PostgreSQL database, migrates and seeds it with the demo
//      network (`crossroads start --demo`, stopped once seeded), then times the real
//      `crossroads directory import FILE --defer-indexes` (a child process, CROSSROADS_DATABASE_URL
//      set) and reports the load rate and the database size.
//   2. Measures the decision path on that directory — the caller's registrations for the person
//      through PersonsDirectory's hot read, plus decide() — p50/p99 over random people.
//   3. Unless --skip-exchange: brokered exchanges as bench:exchange runs them, against one hub on
//      SQLite, one hub node on the loaded PostgreSQL database, and two nodes on it.
// Writes bench/results/scale.json. Targets: the load in ≤ 10 minutes, decision p99 ≤ 2 ms, two
// nodes ≥ 1.5× one node while the load generator is not the bottleneck.
// --keep leaves the database, its data directory and the import file in --work-dir; --reuse then
// measures again on them (steps 2 and 3; the load figures are those of the run that loaded it).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureDecisions, type DecideFigures } from './lib/scale-decide.ts';
import {
  type ExchangeFigures,
  type HubNode,
  measureExchanges,
  readDemoFile,
  repointSource,
  startHubNode,
  startSource,
} from './lib/scale-exchange.ts';
import { scaleFile } from './lib/scale-file.ts';
import { type ImportRun, runImport } from './lib/scale-import.ts';
import {
  adminUrl,
  createDatabase,
  databaseExists,
  databaseSizes,
  databaseUrl,
  dropDatabase,
  serverSettings,
} from './lib/scale-postgres.ts';
import { machine, round } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    registrations: { type: 'string', default: '27000000' },
    samples: { type: 'string', default: '20000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    chunk: { type: 'string' },
    'skip-exchange': { type: 'boolean', default: false },
    'pg-url': { type: 'string' },
    'work-dir': { type: 'string', default: join(tmpdir(), 'crossroads-scale') },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
  },
});
const registrations = positive('registrations');
const samples = positive('samples');
const duration = positive('duration');
const connections = positive('connections');
const admin = adminUrl(values['pg-url']);
const workDir = values['work-dir'];
mkdirSync(workDir, { recursive: true });
const filePath = join(workDir, `registrations-${registrations}.csv`);
const statePath = join(workDir, `scale-${registrations}.state.json`);

/** What a load left, for --reuse. */
interface LoadState {
  readonly database: string;
  readonly dataDir: string;
  readonly load: ImportRun;
}

function positive(name: 'registrations' | 'samples' | 'duration' | 'connections'): number {
  const n = Number(values[name]);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`--${name} is a whole number ≥ 1, not ${values[name]}`);
  return n;
}

function log(message: string): void {
  console.error(`[bench:scale ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

const gib = (bytes: number) => round(bytes / 2 ** 30, 2);

/** Refuses to start a load the disks cannot hold (file ~45 B a line; database ~450 B a row). */
function checkDisk(): void {
  const free = (path: string) => {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  };
  const fileBytes = existsSync(filePath) ? 0 : registrations * 45;
  const databaseBytes = registrations * 450;
  log(
    `disk: ${gib(fileBytes)} GiB for the file in ${workDir} (${gib(free(workDir))} GiB free), ` +
      `about ${gib(databaseBytes)} GiB for the database`,
  );
  if (free(workDir) < fileBytes * 1.2) throw new Error(`not enough disk in ${workDir} for the import file`);
}

async function load(): Promise<LoadState> {
  checkDisk();
  log(`import file ${filePath} (${registrations.toLocaleString('en')} registrations)…`);
  const file = scaleFile(filePath, registrations);
  log(`file: ${file.people.toLocaleString('en')} people, ${gib(file.bytes)} GiB`);
  const database = await createDatabase(admin);
  const url = databaseUrl(admin, database);
  const dataDir = mkdtempSync(join(workDir, 'data-'));
  log(`database ${database}, data directory ${dataDir}: migrating and seeding the demo network…`);
  try {
    const seed = await startHubNode({ dataDir, databaseUrl: url, demo: true });
    await seed.stop();
    const args = ['--defer-indexes', ...(values.chunk !== undefined ? ['--chunk', values.chunk] : [])];
    log(`crossroads directory import ${filePath} ${args.join(' ')}`);
    const run = await runImport({
      file: filePath,
      args,
      env: { ...process.env, CROSSROADS_DATA_DIR: dataDir, CROSSROADS_DATABASE_URL: url },
      admin,
      database,
    });
    if (run.summary.rejected > 0) throw new Error(`the import rejected ${run.summary.rejected} lines`);
    const state: LoadState = { database, dataDir, load: run };
    writeFileSync(statePath, JSON.stringify(state, null, 2) + '\n');
    return state;
  } catch (error) {
    if (!values.keep) {
      await dropDatabase(admin, database).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }
    throw error;
  }
}

async function reuse(): Promise<LoadState> {
  if (!existsSync(statePath)) throw new Error(`--reuse: no ${statePath} (run with --keep first)`);
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as LoadState;
  if (!(await databaseExists(admin, state.database)))
    throw new Error(`--reuse: no database ${state.database}`);
  log(`reusing database ${state.database} (loaded in ${state.load.seconds} s), ${state.dataDir}`);
  return state;
}

interface ExchangeResults {
  sqlite: ExchangeFigures | null;
  oneNode: ExchangeFigures | null;
  twoNodes: ExchangeFigures | null;
  errors: Record<string, string>;
}

/** The three exchange runs; a run that fails is recorded with its error, the others still run. */
async function exchanges(state: LoadState): Promise<ExchangeResults> {
  const out: ExchangeResults = { sqlite: null, oneNode: null, twoNodes: null, errors: {} };
  const url = databaseUrl(admin, state.database);
  const failed = (name: string, error: unknown) => {
    out.errors[name] = error instanceof Error ? error.message : String(error);
    log(`${name} failed: ${out.errors[name]}`);
  };
  const source = await startSource();
  const nodes: HubNode[] = [];
  try {
    const sqliteDir = mkdtempSync(join(workDir, 'sqlite-'));
    try {
      log('exchanges: one hub on SQLite…');
      const hub = await startHubNode({ dataDir: sqliteDir, databaseUrl: undefined, demo: true });
      nodes.push(hub);
      const demo = readDemoFile(sqliteDir);
      await repointSource(demo, hub.url, source);
      out.sqlite = await measureExchanges({ nodes: [hub], demo }, source, { duration, connections });
    } catch (error) {
      failed('sqlite', error);
    } finally {
      for (const n of nodes.splice(0)) await n.stop();
      rmSync(sqliteDir, { recursive: true, force: true });
    }
    const postgres = { admin, database: state.database };
    let first: HubNode | undefined;
    try {
      log('exchanges: one hub node on PostgreSQL…');
      first = await startHubNode({ dataDir: state.dataDir, databaseUrl: url, demo: true });
      nodes.push(first);
      const demo = readDemoFile(state.dataDir);
      await repointSource(demo, first.url, source);
      out.oneNode = await measureExchanges({ nodes: [first], demo }, source, {
        duration,
        connections,
        postgres,
      });
      try {
        log('exchanges: two hub nodes on PostgreSQL…');
        const second = await startHubNode({ dataDir: state.dataDir, databaseUrl: url, demo: false });
        nodes.push(second);
        out.twoNodes = await measureExchanges({ nodes: [first, second], demo }, source, {
          duration,
          connections,
          postgres,
        });
      } catch (error) {
        failed('twoNodes', error);
      }
    } catch (error) {
      failed(first ? 'twoNodes' : 'oneNode', error);
    }
  } finally {
    for (const n of nodes) await n.stop();
    await source.stop();
  }
  return out;
}

const started = new Date();
log(`PostgreSQL at ${new URL(admin).host}; work directory ${workDir}`);
const state = values.reuse ? await reuse() : await load();
let kept = values.keep;
try {
  const url = databaseUrl(admin, state.database);
  const sizes = await databaseSizes(url);
  log(`database: ${gib(sizes.databaseBytes)} GiB; measuring ${samples} decisions…`);
  const file = scaleFile(filePath, registrations);
  const decisions: DecideFigures = await measureDecisions({ url, people: file.samples, samples });
  const exchange = values['skip-exchange'] ? null : await exchanges(state);

  const run = state.load;
  const rps = (f: ExchangeFigures | null | undefined) => f?.rps ?? null;
  const result = {
    registrations: run.summary.loaded,
    loadSeconds: run.seconds,
    decideP99Ms: decisions.p99Ms,
    sqliteRps: rps(exchange?.sqlite),
    oneNodeRps: rps(exchange?.oneNode),
    twoNodeRps: rps(exchange?.twoNodes),
    targets: {
      loadWithin10Minutes: run.seconds <= 600,
      decideP99Within2Ms: decisions.p99Ms <= 2,
      twoNodesAtLeast1_5x:
        exchange?.oneNode && exchange.twoNodes
          ? round(exchange.twoNodes.rps / exchange.oneNode.rps, 2) >= 1.5
          : null,
    },
    details: {
      load: {
        registrationsPerSecond: Math.round(run.summary.loaded / run.seconds),
        chunksSeconds: run.loadSeconds,
        indexBuildSeconds: run.indexSeconds,
        cliSummary: run.summary,
        cores: run.cores,
        machineBusy: run.machineBusy,
        reused: values.reuse,
      },
      database: {
        name: state.database,
        databaseGiB: gib(sizes.databaseBytes),
        registrationsTableGiB: gib(sizes.registrationsTableBytes),
        registrationsIndexGiB: Object.fromEntries(
          Object.entries(sizes.registrationsIndexBytes).map(([name, bytes]) => [name, gib(bytes)]),
        ),
        rowsInTable: sizes.registrations,
        people: file.people,
        fileGiB: gib(file.bytes),
      },
      decide: decisions,
      exchange: exchange && {
        sqlite: exchange.sqlite,
        oneNode: exchange.oneNode,
        twoNodes: exchange.twoNodes,
        twoNodeSpeedup:
          exchange.oneNode && exchange.twoNodes
            ? round(exchange.twoNodes.rps / exchange.oneNode.rps, 2)
            : null,
        errors: exchange.errors,
        note:
          "SQLite: a fresh demo hub (the demo network's registrations only); PostgreSQL: the demo hub on the loaded database. " +
          'Every process (hub nodes, source, PostgreSQL, autocannon) shares this machine.',
      },
      postgres: await serverSettings(admin),
    },
    settings: {
      registrations,
      samples,
      durationSeconds: duration,
      connections,
      command: `crossroads directory import FILE --defer-indexes${values.chunk ? ` --chunk ${values.chunk}` : ''}`,
      startedAt: started.toISOString(),
    },
    machine: machine(),
  };
  writeFileSync(new URL('./results/scale.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
  console.table({
    load: {
      value: `${result.registrations.toLocaleString('en')} in ${result.loadSeconds} s`,
      rate: `${result.details.load.registrationsPerSecond.toLocaleString('en')}/s`,
      target: '≤ 600 s',
      met: result.targets.loadWithin10Minutes,
    },
    database: { value: `${result.details.database.databaseGiB} GiB`, rate: '', target: '', met: '' },
    decide: {
      value: `p50 ${decisions.p50Ms} ms, p99 ${decisions.p99Ms} ms`,
      rate: '',
      target: 'p99 ≤ 2 ms',
      met: result.targets.decideP99Within2Ms,
    },
    exchanges: {
      value: `SQLite ${result.sqliteRps ?? '–'}, 1 node ${result.oneNodeRps ?? '–'}, 2 nodes ${result.twoNodeRps ?? '–'} req/s`,
      rate: '',
      target: '2 nodes ≥ 1.5× 1 node',
      met: result.targets.twoNodesAtLeast1_5x ?? '–',
    },
  });
  if (exchange) {
    for (const [name, f] of Object.entries({
      sqlite: exchange.sqlite,
      oneNode: exchange.oneNode,
      twoNodes: exchange.twoNodes,
    })) {
      if (f)
        console.log(
          `${name}: ${f.rps} req/s, p99 ${f.p99Ms} ms; cores ${JSON.stringify(f.cores)}; ${f.bottleneck}`,
        );
    }
    for (const [name, error] of Object.entries(exchange.errors)) console.log(`${name}: FAILED: ${error}`);
  }
  console.log(`written: bench/results/scale.json`);
} catch (error) {
  kept = true; // what failed can be looked at (and measured again with --reuse)
  log(`failed; database ${state.database} and ${state.dataDir} are kept (drop them when done)`);
  throw error;
} finally {
  if (!kept) {
    await dropDatabase(admin, state.database);
    rmSync(state.dataDir, { recursive: true, force: true });
    rmSync(statePath, { force: true });
    for (const path of [filePath, `${filePath}.json`]) rmSync(path, { force: true });
  } else {
    log(`kept: database ${state.database}, ${state.dataDir}, ${filePath} (--reuse measures on them again)`);
  }
}
