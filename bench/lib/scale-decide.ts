// The decision path of an exchange, measured on a loaded directory: the caller institution's
// registrations for the person through the directory's hot read (PersonsDirectory, a named
// prepared statement on PostgreSQL), then decide() — as the broker does for each exchange.
import { performance } from 'node:perf_hooks';
import {
  type Authorisation,
  AuthorisationRegister,
  type DecisionRequest,
  decide,
  inForce,
  isRecipient,
} from '../../src/authz/index.ts';
import { type IdentitySource, PersonsDirectory } from '../../src/directory/index.ts';
import { Problem, addDays, dateInBelgium, systemClock } from '../../src/kernel/index.ts';
import { NetworkRegistry } from '../../src/network/index.ts';
import { openStore } from '../../src/store/index.ts';
import { Random } from '../../src/demo/index.ts';
import type { HeldSample } from './scale-file.ts';
import { percentile, round } from './stats.ts';

export interface DecideFigures {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly samples: number;
  /** Share of the decisions that permitted (the rest are denials, also fully decided). */
  readonly permitShare: number;
}

const NO_IDENTITY_SOURCE: IdentitySource = {
  lookup: () => Promise.reject(new Problem('IDENTITY_SOURCE_UNAVAILABLE', 'not measured here')),
};

/**
 * `samples` decisions (after `warmUp` unmeasured ones), one after the other, each for a person
 * drawn at random from `people` asking as an institution that holds a registration for them, for
 * the first service of an authorisation that names that institution.
 */
export async function measureDecisions(options: {
  readonly url: string;
  readonly people: readonly HeldSample[];
  readonly samples: number;
  readonly warmUp?: number;
}): Promise<DecideFigures> {
  const store = await openStore({ url: options.url, poolSize: 1 });
  try {
    const registry = await NetworkRegistry.load(store.db, systemClock);
    const authorisations = await AuthorisationRegister.load(store.db, registry, systemClock);
    const directory = new PersonsDirectory(store, registry, NO_IDENTITY_SOURCE, systemClock);
    const today = dateInBelgium(new Date());
    const latest = authorisations.latest();
    const requests = new Map<string, Omit<DecisionRequest, 'period'> | null>();
    const requestOf = (kbo: string) => {
      if (!requests.has(kbo)) requests.set(kbo, requestFor(kbo, registry, latest, today));
      return requests.get(kbo)!;
    };
    const random = new Random(99);
    const warmUp = options.warmUp ?? 1_000;
    const timings: number[] = [];
    let permits = 0;
    for (let i = 0; i < warmUp + options.samples; i++) {
      const person = options.people[random.int(0, options.people.length - 1)]!;
      const request = requestOf(person.kbo);
      if (!request) throw new Error(`institution ${person.kbo} is named by no authorisation`);
      const institution = registry.institutionByKbo(person.kbo)!;
      const t0 = performance.now();
      const held = await directory.ofPersonAtInstitution(person.insz, institution.id);
      const decision = decide(
        { ...request, period: { start: today, end: addDays(today, 1) } },
        { today, authorisations: latest, registrations: held },
      );
      const elapsed = performance.now() - t0;
      if (i >= warmUp) {
        timings.push(elapsed);
        if (decision.permit) permits++;
      }
    }
    timings.sort((a, b) => a - b);
    return {
      p50Ms: round(percentile(timings, 50), 3),
      p99Ms: round(percentile(timings, 99), 3),
      p999Ms: round(percentile(timings, 99.9), 3),
      maxMs: round(timings.at(-1) ?? NaN, 3),
      samples: timings.length,
      permitShare: round(permits / Math.max(1, timings.length), 3),
    };
  } finally {
    await store.close();
  }
}

/** What the institution asks: the first service of the first authorisation naming it. */
function requestFor(
  kbo: string,
  registry: NetworkRegistry,
  latest: readonly Authorisation[],
  today: string,
): Omit<DecisionRequest, 'period'> | null {
  const institution = registry.institutionByKbo(kbo);
  if (!institution) return null;
  const caller = { kbo, sector: institution.sector, subsector: institution.subsector };
  // One in force when there is one (the demo's SFPD authorisation has ended: it is denied).
  const authorisation =
    latest.find((a) => inForce(a, today) && isRecipient(a, caller)) ??
    latest.find((a) => isRecipient(a, caller));
  const service = authorisation?.services[0];
  if (!authorisation || !service) return null;
  return {
    caller,
    service: service.service,
    serviceFields: service.fields,
    purpose: authorisation.purposes[0]!,
  };
}
