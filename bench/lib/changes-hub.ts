// The hub of bench:changes in a process of its own: createHub on a fresh data folder (the
// environment carries CROSSROADS_*, e.g. CROSSROADS_NATS_URL), then the bench network built through
// the hub's own code — capacities, institutions, the service, one authorisation per recipient
// sector, BENCH_PEOPLE people registered at about 13 institutions each (importRegistrations) —
// and credentials for the source, the recipients and the operator. Prints `READY {json}`.
import { performance } from 'node:perf_hooks';
import { readConfig } from '../../src/config.ts';
import type { ImportLine } from '../../src/directory/index.ts';
import { Random } from '../../src/demo/index.ts';
import { createHub } from '../../src/hub.ts';
import { addDays } from '../../src/kernel/index.ts';
import { type Actor, findOfficialCapacity } from '../../src/network/index.ts';
import {
  FIELDS_SCHEMA,
  SERVICE,
  SOURCE,
  institutionsPerPerson,
  personInsz,
  recipientPlan,
  recipientSectors,
} from './changes-network.ts';

const people = Number(process.env.BENCH_PEOPLE ?? '10000');
const started = performance.now();
const hub = await createHub(readConfig(process.env));
const operator: Actor = { kind: 'operator', credentialId: 'bench' };
const plan = recipientPlan();

for (const r of recipientSectors(plan)) {
  const official = findOfficialCapacity(r.sector, r.capacity);
  if (!official) throw new Error(`capacity ${r.capacity} is not in sector ${r.sector}'s official list`);
  await hub.registry.createCapacity(
    {
      sector: r.sector,
      code: r.capacity,
      labelNl: official.labelNl,
      labelFr: official.labelFr,
      exclusive: false,
    },
    operator,
  );
}
await hub.registry.createInstitution(
  {
    kbo: SOURCE.kbo,
    nameNl: SOURCE.name,
    nameFr: SOURCE.name,
    sector: SOURCE.sector,
    subsector: SOURCE.subsector,
  },
  operator,
);
for (const r of plan) {
  await hub.registry.createInstitution(
    { kbo: r.kbo, nameNl: r.name, nameFr: r.name, sector: r.sector, subsector: r.subsector },
    operator,
  );
}
await hub.registry.publishService(
  {
    id: SERVICE,
    title: { nl: 'Identiteit (bench)', fr: 'Identité (bench)', en: 'Identity (bench)' },
    description: 'bench:changes',
    fieldsSchema: FIELDS_SCHEMA,
    providerRule: { kind: 'fixed', institution: SOURCE.kbo },
  },
  operator,
);
for (const [i, r] of recipientSectors(plan).entries()) {
  await hub.authorisations.create(
    {
      ref: `BENCH/CHANGES/${i + 1}`,
      title: `Identity changes to sector ${r.sector}/${r.subsector}`,
      decidedOn: '2020-01-01',
      recipients: { institutions: [], sectors: [{ sector: r.sector, subsector: r.subsector }] },
      services: [{ service: SERVICE, fields: [...r.fields] }],
      purposes: ['keep-file-current'],
      capacities: [{ sector: r.sector, code: r.capacity }],
      validFrom: '2020-01-01',
      validTo: null,
      dataLevel: 'identified',
    },
    operator,
  );
}

// Everyone's registrations are active today: started some time since 2015, not ended.
const random = new Random(13_21);
let registrations = 0;
let batch: ImportLine[] = [];
for (let n = 0; n < people; n++) {
  const insz = personInsz(n);
  const at = [...plan];
  for (let k = institutionsPerPerson(() => random.next()); k > 0; k--) {
    const r = at.splice(random.int(0, at.length - 1), 1)[0]!;
    batch.push({
      insz,
      institution: r.kbo,
      capacity: r.capacity,
      start: addDays('2015-01-01', random.int(0, 3000)),
    });
  }
  if (batch.length >= 50_000 || n === people - 1) {
    const result = await hub.directory.importRegistrations(batch, operator);
    if (result.rejected.length > 0)
      throw new Error(`registrations refused: ${JSON.stringify(result.rejected[0])}`);
    registrations += result.loaded;
    batch = [];
  }
}

const source = await hub.registry.issueCredential(SOURCE.kbo, 'bench source', operator);
const recipients = [];
for (const r of plan) {
  const { token } = await hub.registry.issueCredential(r.kbo, 'bench recipient', operator);
  recipients.push({ kbo: r.kbo, name: r.name, token });
}
const operatorCredential = await hub.registry.issueCredential(null, 'bench operator', operator);
const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });

console.log(
  `READY ${JSON.stringify({
    url,
    pid: process.pid,
    service: SERVICE,
    sourceToken: source.token,
    operatorToken: operatorCredential.token,
    recipients,
    people,
    registrations,
    setupSeconds: Math.round((performance.now() - started) / 100) / 10,
  })}`,
);

// Stop: what is still queued stays pending in the store; a hub that cannot close in 10 s is cut off
// (so --cpu-prof still writes its profile).
process.once('SIGTERM', () => {
  const cut = setTimeout(() => process.exit(0), 10_000);
  void hub.close().finally(() => {
    clearTimeout(cut);
    process.exit(0);
  });
});
