// The network bench:changes publishes into (bench/changes.ts, bench/lib/changes-hub.ts): the
// National Register as the source of one identity service, 20 recipient institutions in 11 sectors
// of the official list, each sector authorised for the service, and people registered at about 13
// of the 20 institutions each (mean 13.2; the real network's average is 13.21).
import { makeInsz, makeKbo } from '../../src/kernel/index.ts';

export const SERVICE = 'bench.identity';

export interface RecipientPlan {
  readonly kbo: string;
  readonly name: string;
  readonly sector: number;
  readonly subsector: number;
  /** The capacity code its registrations use (official list, sector-specific). */
  readonly capacity: number;
  /** The fields the sector's authorisation grants. */
  readonly fields: readonly string[];
}

const CORE = ['lastName', 'firstNames', 'birthDate', 'address', 'civilStatus', 'deathDate'];
const ALL = [...CORE, 'sex', 'nationality', 'identityCardNumber'];

/** [sector, subsector, capacity, how many institutions, name, fields] */
const SECTORS: readonly (readonly [number, number, number, number, string, readonly string[]])[] = [
  [17, 1, 2, 4, 'OCMW', ALL], // public social welfare centres, leefloon
  [11, 1, 1, 3, 'Ziekenfonds', CORE], // health funds, insurability
  [7, 1, 101, 3, 'Kinderbijslagfonds', CORE], // family allowance funds
  [15, 1, 2, 2, 'Socialeverzekeringsfonds', CORE], // self-employed social insurance funds
  [18, 1, 1, 2, 'Uitbetalingsinstelling', ['lastName', 'firstNames', 'address', 'deathDate']],
  [5, 0, 100, 1, 'Federale Pensioendienst', CORE],
  [12, 0, 10, 1, 'RSZ', ['lastName', 'firstNames', 'birthDate', 'address']],
  [10, 1, 10, 1, 'Vakantiefonds', ['lastName', 'firstNames', 'address']],
  [16, 0, 1, 1, 'DG Personen met een handicap', ALL],
  [1, 0, 10, 1, 'Fedris', CORE],
  [9, 0, 2, 1, 'Hulpkas voor Zeevarenden', CORE],
];

export const SOURCE = { kbo: makeKbo(2_990_000), name: 'Rijksregister (bench)', sector: 0, subsector: 0 };

export function recipientPlan(): RecipientPlan[] {
  const plan: RecipientPlan[] = [];
  let n = 0;
  for (const [sector, subsector, capacity, count, name, fields] of SECTORS) {
    for (let i = 0; i < count; i++) {
      plan.push({
        kbo: makeKbo(2_900_000 + n++),
        name: count > 1 ? `${name} ${i + 1}` : name,
        sector,
        subsector,
        capacity,
        fields,
      });
    }
  }
  return plan;
}

/** The distinct sectors, one authorisation each. */
export function recipientSectors(plan: readonly RecipientPlan[]): RecipientPlan[] {
  const seen = new Map<string, RecipientPlan>();
  for (const r of plan)
    if (!seen.has(`${r.sector}/${r.subsector}`)) seen.set(`${r.sector}/${r.subsector}`, r);
  return [...seen.values()];
}

export const FIELDS_SCHEMA = {
  type: 'object' as const,
  properties: {
    lastName: { type: 'string' },
    firstNames: { type: 'string' },
    birthDate: { type: 'string', format: 'date' },
    sex: { type: 'string', enum: ['M', 'F'] },
    nationality: { type: 'string' },
    civilStatus: { type: 'string' },
    address: {
      type: 'object',
      properties: {
        street: { type: 'string' },
        number: { type: 'string' },
        postalCode: { type: 'string' },
        municipality: { type: 'string' },
        country: { type: 'string' },
      },
    },
    identityCardNumber: { type: 'string' },
    deathDate: { type: ['string', 'null'], format: 'date' },
  },
};

/** How many institutions person n is registered at: 10 + Binomial(8, 0.4), mean 13.2. */
export function institutionsPerPerson(next: () => number): number {
  let k = 10;
  for (let i = 0; i < 8; i++) if (next() < 0.4) k++;
  return k;
}

/** A distinct valid INSZ for person n (n < 10 million). */
export function personInsz(n: number): string {
  return makeInsz({
    year: 1930 + (Math.floor(n / 336) % 90),
    month: 1 + (Math.floor(n / 28) % 12),
    day: 1 + (n % 28),
    sequence: 1 + (Math.floor(n / 30_240) % 998),
  });
}
