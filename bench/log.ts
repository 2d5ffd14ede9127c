// npm run bench:log [-- --records 200000 --sizes 1000000,10000000 --samples 5000 --exchange-runs 2]
// Measures the tamper-evident log:
//   1. append throughput with tree integration: records appended through ExchangeLog (group
//      commit in the worker thread) until the signed tree holds them all;
//   2. checkpoint signing cost (C2SP note, Ed25519);
//   3. inclusion-proof generation (LogTree, from stored nodes) and verification, p50/p99, on trees
//      of 1M and 10M records built by the sequencer;
//   4. a person's access list at the largest size (records about one person + a proof each);
//   5. what the Merkle layer costs the brokered exchange: bench:exchange's brokered case with the
//      sequencer running and paused (operator control), alternated.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { readConfig } from '../src/config.ts';
import { createHub } from '../src/hub.ts';
import { ManualClock, makeInsz } from '../src/kernel/index.ts';
import {
  ExchangeLog,
  type ExchangeRecord,
  LogTree,
  Sequencer,
  createNoteSigner,
  formatCheckpoint,
  leafHash,
  loadOrCreateSigningKey,
  recordsAboutPerson,
  signNote,
  verifyInclusion,
} from '../src/log/index.ts';
import { openStore } from '../src/store/index.ts';
import { machine, percentile, round } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    sizes: { type: 'string', default: '1000000,10000000' },
    samples: { type: 'string', default: '5000' },
    'exchange-runs': { type: 'string', default: '2' },
  },
});
const appendCount = Number(values.records);
const sizes = values.sizes.split(',').map(Number);
const samples = Number(values.samples);
const exchangeRuns = Number(values['exchange-runs']);
const dir = mkdtempSync(join(tmpdir(), 'crossroads-log-bench-'));

try {
  const append = await appendThroughput();
  const signing = signingCost();
  const trees = await proofsAtSizes();
  const accesses = await accessesOverHttp(sizes.at(-1)!);
  const exchange = await exchangeSlowdown();
  const largest = trees.at(-1)!;
  const result = {
    appendPerSec: append.perSec,
    proofP99Ms: largest.generateP99Ms,
    accessesP99Ms: accesses.p99Ms,
    exchangeSlowdownPct: exchange.slowdownPct,
    details: { append, signing, trees, accesses, exchange },
    machine: machine(),
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(new URL('./results/log.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function syntheticRecord(i: number, person: string): ExchangeRecord {
  return {
    kind: 'exchange',
    exchangeId: `bench-${i}`,
    time: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    caller: '0212234515',
    endUser: 'agent-42',
    caseReference: `DOS-${i}`,
    person,
    service: 'nr.identity',
    serviceVersion: 1,
    purpose: 'social-investigation',
    period: { start: '2026-11-30', end: '2026-12-01' },
    decision: 'permit',
    code: null,
    reason: null,
    authorisation: { ref: 'IVC/KSZG/19/123', version: 2 },
    registrations: ['01a22afd-f15a-710d-8b22-75f972d701f1'],
    providers: ['0362475538'],
    fields: ['lastName', 'firstNames', 'birthDate', 'sex', 'nationality', 'civilStatus', 'address'],
    outcome: 'forwarded',
    durationMs: 3,
  };
}

/** Person i of a million: distinct valid INSZ numbers. */
function person(i: number): string {
  const n = i % 1_000_000;
  return makeInsz({
    year: 1930 + (n % 70),
    month: 1 + (Math.floor(n / 70) % 12),
    day: 1 + (Math.floor(n / 840) % 28),
    sequence: 1 + (Math.floor(n / 23_520) % 998),
  });
}

async function appendThroughput() {
  const store = await openStore({ path: join(dir, 'append.db') });
  const key = loadOrCreateSigningKey(join(dir, 'key.pem'), 'bench.localhost/log');
  const log = await ExchangeLog.open(store, {
    origin: key.origin,
    privateKeyPem: key.privateKeyPem,
    clock: new ManualClock(new Date()),
  });
  const started = performance.now();
  const wave = 2_000;
  for (let i = 0; i < appendCount; i += wave) {
    await Promise.all(
      Array.from({ length: Math.min(wave, appendCount - i) }, (_, k) =>
        log.append(syntheticRecord(i + k, person(i + k))),
      ),
    );
  }
  const committedMs = performance.now() - started;
  while (log.treeSize < appendCount) await new Promise((resolve) => setTimeout(resolve, 20));
  const integratedMs = performance.now() - started;
  await log.close();
  await store.close();
  return {
    records: appendCount,
    perSec: Math.round(appendCount / (integratedMs / 1000)),
    committedPerSec: Math.round(appendCount / (committedMs / 1000)),
    seconds: round(integratedMs / 1000, 2),
  };
}

function signingCost() {
  const key = loadOrCreateSigningKey(join(dir, 'key.pem'), 'bench.localhost/log');
  const signer = createNoteSigner(key.origin, createPrivateKey(key.privateKeyPem));
  const times: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const t0 = performance.now();
    signNote(
      formatCheckpoint({
        origin: key.origin,
        size: 1_000_000 + i,
        rootHash: leafHash(new Uint8Array([i & 255])),
      }),
      signer,
    );
    times.push((performance.now() - t0) * 1000);
  }
  times.sort((a, b) => a - b);
  return { p50Us: round(percentile(times, 50), 1), p99Us: round(percentile(times, 99), 1) };
}

async function proofsAtSizes() {
  const path = join(dir, 'tree.db');
  const store = await openStore({ path });
  await store.close();
  const key = loadOrCreateSigningKey(join(dir, 'key.pem'), 'bench.localhost/log');
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL'); // building the fixture only; what is measured is read-only
  const insert = db.prepare(
    'INSERT INTO exchange_log (seq, exchange_id, at, person, caller, record, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const sequencer = new Sequencer(db, {
    origin: key.origin,
    privateKeyPem: key.privateKeyPem,
    maxBatch: 100_000,
  });
  const readStore = await openStore({ path });
  const tree = new LogTree(readStore);
  const results = [];
  let built = 0;
  for (const size of sizes) {
    const t0 = performance.now();
    for (; built < size;) {
      const end = Math.min(size, built + 100_000);
      db.exec('BEGIN');
      for (let i = built; i < end; i++) {
        const record = syntheticRecord(i, person(i));
        const text = JSON.stringify({ ...record, seq: i + 1, prev: '0'.repeat(64) });
        insert.run(i + 1, record.exchangeId, record.time, record.person, record.caller, text, '-');
      }
      db.exec('COMMIT');
      built = end;
      while (sequencer.integrate()) {
        // integrate what was just added
      }
    }
    const buildSeconds = round((performance.now() - t0) / 1000, 1);
    const checkpoint = (await tree.latestCheckpoint())!;
    const root = new Uint8Array(Buffer.from(checkpoint.rootHash, 'base64'));
    const generate: number[] = [];
    const verify: number[] = [];
    for (let s = 0; s < samples; s++) {
      const index = Math.floor(Math.random() * size);
      let t = performance.now();
      const proof = await tree.inclusionProof(index, size);
      const leaf = await tree.leafHash(index);
      generate.push(performance.now() - t);
      t = performance.now();
      verifyInclusion({
        leafIndex: index,
        treeSize: size,
        leafHash: new Uint8Array(Buffer.from(leaf, 'base64')),
        proof: proof.map((p) => new Uint8Array(Buffer.from(p, 'base64'))),
        rootHash: root,
      });
      verify.push(performance.now() - t);
    }
    const accesses: number[] = [];
    for (let s = 0; s < 1_000; s++) {
      const who = person(Math.floor(Math.random() * 1_000_000));
      const t = performance.now();
      const entries = await recordsAboutPerson(readStore.reader, who, { limit: 50 });
      for (const e of entries) await tree.inclusionProof(e.record.seq - 1, size);
      accesses.push(performance.now() - t);
    }
    for (const list of [generate, verify, accesses]) list.sort((a, b) => a - b);
    results.push({
      size,
      buildSeconds,
      generateP50Ms: round(percentile(generate, 50), 3),
      generateP99Ms: round(percentile(generate, 99), 3),
      verifyP50Ms: round(percentile(verify, 50), 3),
      verifyP99Ms: round(percentile(verify, 99), 3),
      accessesP50Ms: round(percentile(accesses, 50), 3),
      accessesP99Ms: round(percentile(accesses, 99), 3),
    });
    console.log(results.at(-1));
  }
  await readStore.close();
  db.close();
  return results;
}

/**
 * GET /me/accesses through a running hub on the largest tree: a logged-in person's access list,
 * each entry with its inclusion proof against the latest checkpoint. Sessions are made directly in
 * the sessions table (SHA-256 of the cookie value), as the login would.
 */
async function accessesOverHttp(size: number) {
  const config = readConfig({
    CROSSROADS_DATA_DIR: dir,
    CROSSROADS_DB: join(dir, 'tree.db'),
    CROSSROADS_LOG_KEY: join(dir, 'key.pem'),
    CROSSROADS_LOG_ORIGIN: 'bench.localhost/log',
    CROSSROADS_LOG_LEVEL: 'silent',
    CROSSROADS_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const hub = await createHub(config);
  try {
    const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    const people = 500;
    const cookies: string[] = [];
    for (let i = 0; i < people; i++) {
      const id = randomBytes(32).toString('base64url');
      const who = person(Math.floor((i / people) * Math.min(size, 1_000_000)));
      const now = new Date();
      await hub.store.db
        .insertInto('sessions')
        .values({
          id_hash: createHash('sha256').update(id).digest('hex'),
          insz: who,
          name: 'bench',
          created_at: now.toISOString(),
          expires_at: new Date(now.getTime() + 3_600_000).toISOString(),
        })
        .execute();
      cookies.push(`crossroads_session=${id}`);
    }
    const times: number[] = [];
    let entries = 0;
    for (let round = 0; round < 4; round++) {
      for (const cookie of cookies) {
        const t = performance.now();
        const response = await fetch(`${url}/me/accesses`, { headers: { cookie } });
        const body = (await response.json()) as { entries?: unknown[] };
        if (response.status !== 200) throw new Error(`/me/accesses answered ${response.status}`);
        if (round > 0) times.push(performance.now() - t); // the first round warms up
        entries += body.entries?.length ?? 0;
      }
    }
    times.sort((a, b) => a - b);
    return {
      size,
      requests: times.length,
      entriesPerPerson: round(entries / (cookies.length * 4), 1),
      p50Ms: round(percentile(times, 50), 2),
      p99Ms: round(percentile(times, 99), 2),
    };
  } finally {
    await hub.close();
  }
}

async function exchangeSlowdown() {
  const withTree: number[] = [];
  const paused: number[] = [];
  for (let run = 0; run < exchangeRuns; run++) {
    withTree.push(await brokeredRps(false));
    paused.push(await brokeredRps(true));
  }
  const on = withTree.reduce((a, b) => a + b, 0) / withTree.length;
  const off = paused.reduce((a, b) => a + b, 0) / paused.length;
  return {
    withTreeRps: withTree,
    sequencerPausedRps: paused,
    slowdownPct: round(((off - on) / off) * 100, 1),
  };
}

function brokeredRps(pauseSequencer: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/exchange.ts', '--duration', '10'], {
      cwd: new URL('../', import.meta.url),
      env: { ...process.env, BENCH_ONLY_BROKERED: '1', BENCH_PAUSE_SEQUENCER: pauseSequencer ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', () => {
      const line = /^BROKERED (.*)$/m.exec(out)?.[1];
      if (line) resolve((JSON.parse(line) as { rps: number }).rps);
      else reject(new Error(`bench:exchange gave no figure:\n${out}`));
    });
  });
}
