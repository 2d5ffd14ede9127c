// Synthetic people with valid INSZ numbers and the facts each demo source holds about them.
// Generated from a fixed seed: the same 1,000 people on every machine.
import { addDays, makeInsz } from '../kernel/index.ts';
import { Random } from './random.ts';

export interface Address {
  readonly street: string;
  readonly number: string;
  readonly postalCode: string;
  readonly municipality: string;
  readonly country: 'BE';
}

export interface Employment {
  readonly employer: { readonly kbo: string; readonly name: string };
  readonly start: string;
  readonly end: string | null;
  readonly jointCommittee: string;
  readonly workerType: 'employee' | 'worker';
}

export interface DemoPerson {
  readonly insz: string;
  readonly firstNames: string;
  readonly lastName: string;
  readonly birthDate: string;
  readonly sex: 'M' | 'F';
  readonly nationality: string;
  readonly civilStatus: 'single' | 'married' | 'legally-cohabiting' | 'divorced' | 'widowed';
  readonly identityCardNumber: string;
  readonly address: Address;
  readonly region: 'gent' | 'liege';
  readonly employments: readonly Employment[];
  /** Health-insurance membership: which fund, from when (a few changed funds in 2024). */
  readonly healthFund: readonly {
    readonly fund: 'cm' | 'solidaris';
    readonly start: string;
    readonly end: string | null;
  }[];
  readonly unemployment: {
    readonly since: string;
    readonly dailyAmountEur: number;
    readonly category: 'head-of-household' | 'single' | 'cohabitant';
  } | null;
  readonly leefloon: {
    readonly since: string;
    readonly category: 'cohabitant' | 'single' | 'family';
    readonly monthlyAmountEur: number;
  } | null;
  readonly underExamination: boolean;
  readonly pension: {
    readonly since: string;
    readonly type: 'retirement' | 'survivor';
    readonly monthlyAmountEur: number;
    readonly incomeGuarantee: boolean;
  } | null;
  readonly increasedReimbursement: boolean;
}

const MALE = [
  'Jan',
  'Pieter',
  'Luc',
  'Marc',
  'Youssef',
  'Thomas',
  'Koen',
  'Mehdi',
  'Jean',
  'Pierre',
  'Olivier',
  'Nicolas',
  'Arne',
  'Wout',
  'Lucas',
];
const FEMALE = [
  'Marie',
  'An',
  'Els',
  'Sofie',
  'Fatima',
  'Lotte',
  'Nathalie',
  'Julie',
  'Camille',
  'Aïcha',
  'Inge',
  'Léa',
  'Emma',
  'Hanne',
  'Chloé',
];
const LAST = [
  'Peeters',
  'Janssens',
  'Maes',
  'Jacobs',
  'Mertens',
  'Willems',
  'Claes',
  'Goossens',
  'Wouters',
  'De Smet',
  'Dubois',
  'Lambert',
  'Dupont',
  'Martin',
  'Simon',
  'Van den Broeck',
  'El Amrani',
  'Lejeune',
  'Renard',
  'Vandenberghe',
  "D'Hondt",
  'Leclercq',
  'Hermans',
  'Michiels',
  'Çelik',
];
const GENT_STREETS = [
  'Korenmarkt',
  'Veldstraat',
  'Sint-Pietersnieuwstraat',
  'Dendermondsesteenweg',
  'Brugsesteenweg',
  'Kortrijksesteenweg',
];
const LIEGE_STREETS = [
  'Rue Saint-Gilles',
  'Boulevard de la Sauvenière',
  'Rue Féronstrée',
  'Quai de Rome',
  'Rue de Campine',
  'Rue Hors-Château',
];
const EMPLOYERS = [
  { kbo: '0403170701', name: 'Electrabel', jointCommittee: '326', workerType: 'employee' as const },
  { kbo: '0428759497', name: 'Demo Bouw NV', jointCommittee: '124', workerType: 'worker' as const },
  { kbo: '0403019261', name: 'Demo Retail NV', jointCommittee: '311', workerType: 'employee' as const },
];

export function generatePeople(count: number, seed = 20_180_101): DemoPerson[] {
  const random = new Random(seed);
  const used = new Set<string>();
  const people: DemoPerson[] = [];
  while (people.length < count) {
    const person = generatePerson(random, people.length);
    if (used.has(person.insz)) continue;
    used.add(person.insz);
    people.push(person);
  }
  return people;
}

function generatePerson(random: Random, index: number): DemoPerson {
  const sex = random.chance(0.5) ? 'M' : 'F';
  const year = random.int(1935, 2006);
  const month = random.int(1, 12);
  const day = random.int(1, 28);
  const bis = index % 97 === 13; // a few people have a BIS number instead of a register number
  const sequence = random.int(1, 499) * 2 - (sex === 'M' ? 1 : 0);
  const insz = makeInsz({ year, month, day, sequence, ...(bis ? { bis: 'sex-known' as const } : {}) });
  const birthDate = `${year}-${pad(month)}-${pad(day)}`;
  const age = 2026 - year;
  const region = random.chance(0.55) ? 'gent' : 'liege';
  const adultFrom = addDays(birthDate, 18 * 365 + 5);

  const employments: Employment[] = [];
  if (age >= 20 && age < 70) {
    const jobs = random.int(0, 2);
    let start = maxDate(adultFrom, `${random.int(1995, 2018)}-${pad(random.int(1, 12))}-01`);
    for (let j = 0; j < jobs; j++) {
      const employer = random.pick(EMPLOYERS);
      const ends = j < jobs - 1 || random.chance(0.4);
      const end = ends ? addDays(start, random.int(200, 2500)) : null;
      employments.push({
        employer: { kbo: employer.kbo, name: employer.name },
        start,
        end,
        jointCommittee: employer.jointCommittee,
        workerType: employer.workerType,
      });
      if (!end) break;
      start = addDays(end, random.int(30, 400));
    }
  }
  const working = employments.some((e) => e.end === null);
  const fund: 'cm' | 'solidaris' = random.chance(0.5) ? 'cm' : 'solidaris';
  const changedFund = random.chance(0.06);
  const memberFrom = maxDate(birthDate, '2010-01-01');
  const healthFund = changedFund
    ? [
        { fund, start: memberFrom, end: '2024-01-01' },
        { fund: fund === 'cm' ? ('solidaris' as const) : ('cm' as const), start: '2024-01-01', end: null },
      ]
    : [{ fund, start: memberFrom, end: null }];
  const workingAge = age >= 18 && age < 66;
  const unemployment =
    workingAge && !working && random.chance(0.3)
      ? {
          since: `${random.int(2019, 2025)}-${pad(random.int(1, 12))}-01`,
          dailyAmountEur: random.int(55, 75),
          category: random.pick(['head-of-household', 'single', 'cohabitant'] as const),
        }
      : null;
  const leefloon =
    workingAge && !working && !unemployment && random.chance(0.35)
      ? {
          since: `${random.int(2020, 2025)}-${pad(random.int(1, 12))}-01`,
          category: random.pick(['cohabitant', 'single', 'family'] as const),
          monthlyAmountEur: random.pick([876, 1314, 1776]),
        }
      : null;
  const pension =
    age >= 66
      ? {
          since: maxDate(addDays(birthDate, 65 * 365 + 16), '2000-01-01').slice(0, 8) + '01',
          type: random.chance(0.8) ? ('retirement' as const) : ('survivor' as const),
          monthlyAmountEur: random.int(1300, 2600),
          incomeGuarantee: random.chance(0.15),
        }
      : null;
  const streets = region === 'gent' ? GENT_STREETS : LIEGE_STREETS;
  return {
    insz,
    firstNames:
      random.pick(sex === 'M' ? MALE : FEMALE) +
      (random.chance(0.4) ? ` ${random.pick(sex === 'M' ? MALE : FEMALE)}` : ''),
    lastName: random.pick(LAST),
    birthDate,
    sex,
    nationality: bis ? random.pick(['NL', 'FR', 'MA', 'TR', 'PL']) : 'BE',
    civilStatus:
      age < 25
        ? 'single'
        : random.pick(['single', 'married', 'legally-cohabiting', 'divorced', 'widowed'] as const),
    identityCardNumber: cardNumber(random),
    address: {
      street: random.pick(streets),
      number: String(random.int(1, 250)),
      postalCode:
        region === 'gent'
          ? random.pick(['9000', '9030', '9040', '9050'])
          : random.pick(['4000', '4020', '4030']),
      municipality: region === 'gent' ? 'Gent' : 'Liège',
      country: 'BE',
    },
    region,
    employments,
    healthFund,
    unemployment,
    leefloon,
    underExamination: workingAge && !leefloon && random.chance(0.04),
    pension,
    increasedReimbursement: Boolean(leefloon) || Boolean(pension?.incomeGuarantee) || random.chance(0.05),
  };
}

/** Belgian eID card number, shown `591-1234567-89`: the last two digits are the first ten mod 97 (97 when 0). */
function cardNumber(random: Random): string {
  const first = String(random.int(590, 599)) + String(random.int(0, 9_999_999)).padStart(7, '0');
  const check = Number(first) % 97 || 97;
  return `${first.slice(0, 3)}-${first.slice(3)}-${String(check).padStart(2, '0')}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function maxDate(a: string, b: string): string {
  return a > b ? a : b;
}
