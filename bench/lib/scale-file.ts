// The import file of bench:scale: N registrations as `crossroads directory import` reads them (CSV,
// the I605-style line), for synthetic people at the demo network's institutions in the sectors and
// capacity codes the demo registry defines. Every INSZ and KBO is valid (src/kernel); the file is
// the same for the same N and seed. Written once per N and kept beside the bench's work files.
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { type DemoInstitutionKey, Random, demoCapacities, demoInstitution } from '../../src/demo/index.ts';
import { addDays, makeInsz } from '../../src/kernel/index.ts';

/** A registration the file holds, for look-ups: the person and the institution holding it. */
export interface HeldSample {
  readonly insz: string;
  readonly kbo: string;
}

export interface ScaleFile {
  readonly path: string;
  readonly registrations: number;
  readonly people: number;
  readonly bytes: number;
  /** About one person in SAMPLE_EVERY, with one of their registrations. */
  readonly samples: readonly HeldSample[];
}

const GENERATOR_VERSION = 1;
const SAMPLE_EVERY = 50;
/** Birth dates over 100 years; person n is born on day n mod DAYS, sequence 1 + n div DAYS. */
const FIRST_BIRTH_YEAR = 1925;
const DAYS = 36_525;
/** Registrations start between 2000-01-01 and 2025-12-31. */
const START_DAYS = 9_497;

/**
 * The file for `registrations` lines at `path` (a CSV with its header line), generated unless a
 * previous run left it complete (its sidecar `.json` records what it holds).
 */
export function scaleFile(path: string, registrations: number, seed = 27): ScaleFile {
  const sidecar = `${path}.json`;
  if (existsSync(path) && existsSync(sidecar)) {
    const kept = JSON.parse(readFileSync(sidecar, 'utf8')) as ScaleFile & { version: number; seed: number };
    if (kept.version === GENERATOR_VERSION && kept.seed === seed && kept.registrations === registrations) {
      return { ...kept, path };
    }
  }
  const partial = `${path}.partial`;
  const written = writeFile(partial, registrations, seed);
  renameSync(partial, path);
  const file: ScaleFile = { path, registrations, ...written };
  writeFileSync(sidecar, JSON.stringify({ version: GENERATOR_VERSION, seed, ...file }) + '\n');
  return file;
}

/** The (institution, sector, capacity) lines the demo registry accepts, checked against it. */
function kinds(): Record<string, string> {
  const known = new Set(demoCapacities().map((c) => `${c.sector}:${c.code}`));
  const kind = (key: DemoInstitutionKey, capacity: number): string => {
    const institution = demoInstitution(key);
    if (!known.has(`${institution.sector}:${capacity}`)) {
      throw new Error(`capacity ${capacity} is not defined in sector ${institution.sector}`);
    }
    return `${institution.kbo},${institution.sector},${capacity}`;
  };
  return {
    cm: kind('cm', 1),
    solidaris: kind('solidaris', 1),
    pension: kind('sfpd', 100),
    incomeGuarantee: kind('sfpd', 30),
    unemployed: kind('rva', 1),
    gentExamination: kind('ocmwGent', 1),
    gentLeefloon: kind('ocmwGent', 2),
    gentEquivalent: kind('ocmwGent', 3),
    liegeExamination: kind('cpasLiege', 1),
    liegeLeefloon: kind('cpasLiege', 2),
    liegeEquivalent: kind('cpasLiege', 3),
  };
}

function writeFile(
  path: string,
  total: number,
  seed: number,
): { people: number; bytes: number; samples: HeldSample[] } {
  const k = kinds();
  const random = new Random(seed);
  const births = birthDays();
  const days = Array.from({ length: START_DAYS + 2_000 }, (_, i) => addDays('2000-01-01', i));
  const fd = openSync(path, 'w');
  let text = 'insz,institution,sector,capacity,start,end,phase\n';
  let bytes = 0;
  let lines = 0;
  let people = 0;
  const samples: HeldSample[] = [];
  const person: string[] = [];
  const flush = () => {
    const buffer = Buffer.from(text);
    let at = 0;
    while (at < buffer.length) at += writeSync(fd, buffer, at);
    bytes += buffer.length;
    text = '';
  };
  try {
    for (let n = 0; lines < total; n++) {
      const birth = births[n % DAYS]!;
      const insz = makeInsz({ ...birth, sequence: 1 + Math.floor(n / DAYS) });
      const age = 2025 - birth.year;
      person.length = 0;
      // A period: open (most) or ended, starting in 2000–2025.
      const period = (endedShare: number, phase = 0): string => {
        const start = random.int(0, START_DAYS);
        const ended = random.chance(endedShare);
        const end = ended ? days[start + random.int(30, 1_900)]! : '';
        return `,${days[start]!},${end},${phase}`;
      };
      // Health-care insurability: everyone, at one fund; some changed fund (an ended period first).
      const fund = random.chance(0.5) ? k.cm! : k.solidaris!;
      person.push(fund + period(0));
      if (random.chance(0.15)) person.push((fund === k.cm ? k.solidaris! : k.cm!) + period(1));
      if (age >= 65 && random.chance(0.9)) {
        person.push(k.pension! + period(0.02));
        if (random.chance(0.12)) person.push(k.incomeGuarantee! + period(0.1));
      }
      if (age >= 18 && age < 65 && random.chance(0.35)) {
        for (let i = random.int(1, 3); i > 0; i--) person.push(k.unemployed! + period(i > 1 ? 1 : 0.4));
      }
      if (age >= 18 && random.chance(0.12)) {
        const gent = random.chance(0.5);
        person.push(
          (gent ? k.gentExamination! : k.liegeExamination!) + period(0.8, random.chance(0.3) ? 902 : 0),
        );
        if (random.chance(0.5)) {
          const kind = random.chance(0.8)
            ? gent
              ? k.gentLeefloon!
              : k.liegeLeefloon!
            : gent
              ? k.gentEquivalent!
              : k.liegeEquivalent!;
          person.push(kind + period(0.5));
        }
      }
      people++;
      const count = Math.min(person.length, total - lines);
      for (let i = 0; i < count; i++) text += `${insz},${person[i]!}\n`;
      lines += count;
      if (n % SAMPLE_EVERY === 0) {
        const held = person[random.int(0, count - 1)]!;
        samples.push({ insz, kbo: held.slice(0, held.indexOf(',')) });
      }
      if (text.length >= 1 << 22) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { people, bytes, samples };
}

function birthDays(): { year: number; month: number; day: number }[] {
  const out: { year: number; month: number; day: number }[] = [];
  const first = Date.UTC(FIRST_BIRTH_YEAR, 0, 1);
  for (let i = 0; i < DAYS; i++) {
    const d = new Date(first + i * 86_400_000);
    out.push({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
  }
  return out;
}
