// npm run bench:directory [-- --registrations 1000000 --samples 20000]
// Loads N registrations into a fresh SQLite directory, then measures decide() together with its
// directory look-up — the per-exchange access-control cost — as p50/p99 in microseconds.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { type Authorisation, decide } from '../src/authz/index.ts';
import { readConfig } from '../src/config.ts';
import type { ImportLine } from '../src/directory/index.ts';
import { createHub } from '../src/hub.ts';
import { addDays, dateInBelgium, makeInsz, makeKbo } from '../src/kernel/index.ts';
import type { Actor } from '../src/network/index.ts';
import { Random } from '../src/demo/index.ts';
import { machine, percentile, round } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    registrations: { type: 'string', default: '1000000' },
    samples: { type: 'string', default: '20000' },
  },
});
const total = Number(values.registrations);
const samples = Number(values.samples);
const PER_PERSON = 5; // registrations per person, spread over institutions
const INSTITUTIONS = 60;

const dir = mkdtempSync(join(tmpdir(), 'crossroads-directory-'));
const hub = await createHub(readConfig({ CROSSROADS_DATA_DIR: dir, CROSSROADS_LOG_LEVEL: 'silent' }));
try {
  const operator: Actor = { kind: 'operator', credentialId: 'bench' };
  await hub.registry.createCapacity(
    { sector: 17, code: 2, labelNl: 'Leefloon', labelFr: "Revenu d'intégration", exclusive: false },
    operator,
  );
  const kbos: string[] = [];
  for (let i = 0; i < INSTITUTIONS; i++) {
    const kbo = makeKbo(2_100_000 + i);
    await hub.registry.createInstitution(
      { kbo, nameNl: `OCMW ${i}`, nameFr: `CPAS ${i}`, sector: 17, subsector: 1 },
      operator,
    );
    kbos.push(kbo);
  }
  await hub.registry.publishService(
    {
      id: 'bench.service',
      title: { nl: 'b', fr: 'b', en: 'b' },
      description: 'bench',
      fieldsSchema: { type: 'object', properties: { a: {}, b: {} } },
      providerRule: { kind: 'fixed', institution: kbos[0]! },
    },
    operator,
  );
  await hub.authorisations.create(
    {
      ref: 'BENCH/1',
      title: 'bench',
      decidedOn: '2020-01-01',
      recipients: { institutions: [], sectors: [{ sector: 17, subsector: 1 }] },
      services: [{ service: 'bench.service', fields: ['a', 'b'] }],
      purposes: ['p'],
      capacities: [{ sector: 17, code: 2 }],
      validFrom: '2020-01-01',
      validTo: null,
      dataLevel: 'identified',
    },
    operator,
  );

  // Load: people with PER_PERSON registrations each, at random institutions, some ended.
  const random = new Random(42);
  const persons: { insz: string; institution: string }[] = [];
  const started = performance.now();
  let batch: ImportLine[] = [];
  let loaded = 0;
  for (let n = 0; loaded + batch.length < total; n++) {
    const insz = uniqueInsz(n);
    for (let k = 0; k < PER_PERSON && loaded + batch.length < total; k++) {
      const institution = kbos[random.int(0, INSTITUTIONS - 1)]!;
      const start = addDays('2015-01-01', random.int(0, 3000));
      batch.push({
        insz,
        institution,
        capacity: 2,
        start,
        end: random.chance(0.3) ? addDays(start, random.int(30, 900)) : null,
      });
      if (k === 0 && persons.length < 200_000) persons.push({ insz, institution });
    }
    if (batch.length >= 100_000) {
      loaded += (await hub.directory.importRegistrations(batch, operator)).loaded;
      batch = [];
    }
  }
  loaded += (await hub.directory.importRegistrations(batch, operator)).loaded;
  const loadSeconds = (performance.now() - started) / 1000;

  // Measure: the caller's registrations for the person (indexed look-up) + decide().
  const authorisations: readonly Authorisation[] = hub.authorisations.latest();
  const today = dateInBelgium(new Date());
  const timings: number[] = [];
  let permits = 0;
  for (let i = 0; i < samples + 1000; i++) {
    const person = persons[random.int(0, persons.length - 1)]!;
    const caller = hub.registry.institutionByKbo(person.institution)!;
    const t0 = performance.now();
    const held = await hub.directory.ofPersonAtInstitution(person.insz, caller.id);
    const decision = decide(
      {
        caller,
        service: 'bench.service',
        serviceFields: ['a', 'b'],
        purpose: 'p',
        period: { start: today, end: addDays(today, 1) },
      },
      { today, authorisations, registrations: held },
    );
    const elapsed = (performance.now() - t0) * 1000;
    if (i >= 1000) timings.push(elapsed); // the first 1,000 warm up
    if (decision.permit) permits++;
  }
  timings.sort((a, b) => a - b);
  const result = {
    registrations: loaded,
    loadPerSec: Math.round(loaded / loadSeconds),
    decideP50Us: round(percentile(timings, 50), 1),
    decideP99Us: round(percentile(timings, 99), 1),
    settings: {
      samples,
      permitsShare: round(permits / (samples + 1000), 3),
      loadSeconds: round(loadSeconds, 1),
      databaseMiB: Math.round(statSync(join(dir, 'crossroads.db')).size / 2 ** 20),
    },
    machine: machine(),
  };
  console.table([
    {
      registrations: result.registrations,
      loadPerSec: result.loadPerSec,
      decideP50Us: result.decideP50Us,
      decideP99Us: result.decideP99Us,
    },
  ]);
  writeFileSync(new URL('./results/directory.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
} finally {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
}

/** A distinct valid INSZ for person n (n < 10 million): the sequence and date vary together. */
function uniqueInsz(n: number): string {
  const day = 1 + (n % 28);
  const month = 1 + (Math.floor(n / 28) % 12);
  const year = 1930 + (Math.floor(n / 336) % 90);
  const sequence = 1 + (Math.floor(n / 30_240) % 998);
  return makeInsz({ year, month, day, sequence });
}
