// Starts the demo network beside a hub: one real source server per authentic source, and — the
// first time, on an empty database — the institutions, capacities, services, authorisations,
// credentials and registrations, all through the same code paths the operator and institutions use.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hub } from '../hub.ts';
import { Problem, newSecret, today } from '../kernel/index.ts';
import type { Actor } from '../network/index.ts';
import { type DemoChanges, startDemoChanges } from './changes.ts';
import { type DemoExample, demoExamples } from './examples.ts';
import {
  DEMO_INSTITUTIONS,
  type DemoInstitutionKey,
  demoAuthorisations,
  demoCapacities,
  demoServices,
} from './network.ts';
import { type DemoPerson, generatePeople } from './people.ts';
import { demoHandlers, demoRegistrations } from './sources.ts';
import { type SourceServer, startSourceServer } from './source-server.ts';

export interface DemoOptions {
  readonly hubUrl: string;
  /** Synthetic people to generate (default 1,000). */
  readonly people?: number;
  /** First port of the demo sources; 0 picks free ports. */
  readonly portBase: number;
  readonly host?: string;
  /** Where to write demo.json; null writes nothing. */
  readonly dataDir: string | null;
}

export interface DemoFile {
  readonly hub: string;
  readonly operator: { readonly token: string };
  readonly institutions: readonly {
    readonly key: DemoInstitutionKey;
    readonly kbo: string;
    readonly name: string;
    readonly sector: number | null;
    readonly subsector: number | null;
    readonly credential: string;
    readonly sourceUrl: string | null;
  }[];
  readonly examples: readonly DemoExample[];
  /** Where the demo's pushed and pulled changes can be seen. */
  readonly changes: {
    readonly webhook: string;
    readonly published: readonly {
      readonly title: string;
      readonly insz: string;
      readonly changeId: string;
      readonly recipients: number;
    }[];
    readonly feed: { readonly title: string; readonly curl: string };
  };
}

export interface Demo {
  readonly file: DemoFile;
  readonly changes: DemoChanges;
  readonly people: readonly DemoPerson[];
  readonly sources: ReadonlyMap<DemoInstitutionKey, SourceServer>;
  credential(key: DemoInstitutionKey): string;
  close(): Promise<void>;
}

export async function startDemo(hub: Hub, options: DemoOptions): Promise<Demo> {
  const people = generatePeople(options.people ?? 1000);
  const handlers = demoHandlers(people);
  const previous = readDemoFile(options.dataDir);
  const operatorToken = await ensureOperator(hub, previous);
  const operator = hub.registry.authenticate(operatorToken)!;

  const fresh = hub.registry.institutions().length === 0;
  if (!fresh && previous === undefined) {
    // A network the demo did not seed: never repoint real institutions to demo sources.
    throw new Error(
      'CONFIG_INVALID: --demo needs an empty database or one the demo created (its demo.json is missing); ' +
        'use another CROSSROADS_DATA_DIR',
    );
  }
  const sources = new Map<DemoInstitutionKey, SourceServer>();
  try {
    let port = options.portBase;
    for (const inst of DEMO_INSTITUTIONS) {
      if (!inst.isSource) continue;
      const token = newSecret();
      const server = await startSourceServer({
        token,
        handlers: handlers[inst.key] ?? {},
        host: options.host ?? '127.0.0.1',
        port: options.portBase === 0 ? 0 : port++,
      });
      sources.set(inst.key, server);
      const input = { sourceUrl: server.url, sourceToken: token };
      if (fresh)
        await hub.registry.createInstitution(
          {
            kbo: inst.kbo,
            nameNl: inst.nameNl,
            nameFr: inst.nameFr,
            sector: inst.sector,
            subsector: inst.subsector,
            ...input,
          },
          operator,
        );
      else await hub.registry.updateInstitution(inst.kbo, input, operator);
    }
    if (fresh) await seedNetwork(hub, operator, people);
  } catch (error) {
    await Promise.all([...sources.values()].map((s) => s.close()));
    throw error;
  }

  const credentials = await ensureCredentials(hub, operator, previous);
  let changes: DemoChanges;
  try {
    changes = await startDemoChanges(hub, people, {
      host: options.host ?? '127.0.0.1',
      port: options.portBase === 0 ? 0 : options.portBase + 50,
    });
  } catch (error) {
    await Promise.all([...sources.values()].map((s) => s.close()));
    throw error;
  }
  const liege = credentials.get('cpasLiege')!;
  const file: DemoFile = {
    hub: options.hubUrl,
    operator: { token: operatorToken },
    institutions: DEMO_INSTITUTIONS.map((i) => ({
      key: i.key,
      kbo: i.kbo,
      name: i.nameNl,
      sector: i.sector,
      subsector: i.subsector,
      credential: credentials.get(i.key)!,
      sourceUrl: sources.get(i.key)?.url ?? null,
    })),
    examples: demoExamples(options.hubUrl, people, (key) => credentials.get(key)!, today(hub.clock)),
    changes: {
      webhook: changes.inbox.url,
      published: changes.published.map((c) => ({
        title: c.title,
        insz: c.insz,
        changeId: c.accepted.changeId,
        recipients: c.accepted.recipients,
      })),
      feed: {
        title:
          'CPAS Liège reads its pending changes (pull); acknowledge with POST /v1/changes/ack {"cursor": …}',
        curl: `curl -s ${options.hubUrl}/v1/changes/feed -H 'Authorization: Bearer ${liege}'`,
      },
    },
  };
  if (options.dataDir !== null) {
    writeFileSync(join(options.dataDir, 'demo.json'), JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  }
  return {
    file,
    changes,
    people,
    sources,
    credential: (key) => credentials.get(key)!,
    close: async () => {
      await Promise.all([...sources.values()].map((s) => s.close()));
      await changes.inbox.close();
    },
  };
}

async function seedNetwork(hub: Hub, operator: Actor, people: readonly DemoPerson[]): Promise<void> {
  const { registry, authorisations, directory } = hub;
  for (const inst of DEMO_INSTITUTIONS) {
    if (!inst.isSource)
      await registry.createInstitution(
        {
          kbo: inst.kbo,
          nameNl: inst.nameNl,
          nameFr: inst.nameFr,
          sector: inst.sector,
          subsector: inst.subsector,
        },
        operator,
      );
  }
  for (const capacity of demoCapacities()) await registry.createCapacity(capacity, operator);
  for (const service of demoServices()) await registry.publishService(service, operator);
  for (const a of demoAuthorisations()) {
    if (authorisations.get(a.ref)) await authorisations.amend(a, operator);
    else await authorisations.create(a, operator);
  }
  // Each institution registers its people itself, with proof of identity checked at the National Register.
  const byKey = new Map(DEMO_INSTITUTIONS.map((i) => [i.key, registry.institutionByKbo(i.kbo)!]));
  const jobs = people.flatMap((person, n) =>
    demoRegistrations(person).map(([key, capacity, start, end]) => async () => {
      const institution = byKey.get(key)!;
      const actor: Actor = { kind: 'institution', institution, credentialId: 'demo-seed' };
      const proof =
        n % 2 === 0
          ? { identityCardNumber: person.identityCardNumber }
          : { lastName: person.lastName, birthDate: person.birthDate };
      await withRetries(() =>
        directory.register(institution, actor, { insz: person.insz, capacity, start, end, proof }),
      );
    }),
  );
  await runLimited(jobs, 16);
}

/** A seeding batch retries what a busy machine makes transient: the identity source's timeouts. */
async function withRetries<T>(job: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await job();
    } catch (error) {
      const transient = error instanceof Problem && error.code === 'IDENTITY_SOURCE_UNAVAILABLE';
      if (!transient || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

async function runLimited(jobs: (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function readDemoFile(dataDir: string | null): DemoFile | undefined {
  const path = dataDir === null ? undefined : join(dataDir, 'demo.json');
  if (!path || !existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DemoFile;
  } catch {
    return undefined;
  }
}

async function ensureOperator(hub: Hub, previous: DemoFile | undefined): Promise<string> {
  const token = previous?.operator.token;
  if (token && hub.registry.authenticate(token)?.kind === 'operator') return token;
  const bootstrap: Actor = { kind: 'operator', credentialId: 'demo-bootstrap' };
  return (await hub.registry.issueCredential(null, 'demo operator', bootstrap)).token;
}

/** Reuses the credentials of demo.json that still work; issues new ones for the rest. */
async function ensureCredentials(
  hub: Hub,
  operator: Actor,
  previous: DemoFile | undefined,
): Promise<Map<DemoInstitutionKey, string>> {
  const credentials = new Map<DemoInstitutionKey, string>();
  for (const inst of DEMO_INSTITUTIONS) {
    const old = previous?.institutions.find((i) => i.kbo === inst.kbo)?.credential;
    const actor = old ? hub.registry.authenticate(old) : undefined;
    if (old && actor?.kind === 'institution' && actor.institution.kbo === inst.kbo) {
      credentials.set(inst.key, old);
    } else {
      credentials.set(
        inst.key,
        (await hub.registry.issueCredential(inst.kbo, 'demo credential', operator)).token,
      );
    }
  }
  return credentials;
}
