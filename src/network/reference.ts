// The official sector list and capacity codes (see reference/README.md), read once at start-up.
import { readFileSync } from 'node:fs';

export interface Sector {
  readonly sector: number;
  readonly subsector: number;
  readonly abbrNl: string;
  readonly nameNl: string;
  readonly abbrFr: string;
  readonly nameFr: string;
}

export interface OfficialCapacity {
  readonly sector: number | null; // null: generic code valid in every sector
  readonly code: number;
  readonly labelFr: string;
  readonly labelNl: string;
}

function readRows(file: string): string[][] {
  const text = readFileSync(new URL(`./reference/${file}`, import.meta.url), 'utf8');
  return text
    .split(/\r?\n/)
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(';'));
}

export const SECTORS: readonly Sector[] = readRows('sectors.csv').map(
  ([s, sub, abbrNl, nameNl, abbrFr, nameFr]) => ({
    sector: Number(s),
    subsector: Number(sub),
    abbrNl: abbrNl ?? '',
    nameNl: nameNl ?? '',
    abbrFr: abbrFr ?? '',
    nameFr: nameFr ?? '',
  }),
);

export const OFFICIAL_CAPACITIES: readonly OfficialCapacity[] = readRows('capacity-codes.csv').map(
  ([s, code, fr, nl]) => ({
    sector: s === '' || s === undefined ? null : Number(s),
    code: Number(code),
    labelFr: fr ?? '',
    labelNl: nl ?? '',
  }),
);

export function findSector(sector: number, subsector: number): Sector | undefined {
  return SECTORS.find((s) => s.sector === sector && s.subsector === subsector);
}

export function findOfficialCapacity(sector: number, code: number): OfficialCapacity | undefined {
  return (
    OFFICIAL_CAPACITIES.find((c) => c.sector === sector && c.code === code) ??
    OFFICIAL_CAPACITIES.find((c) => c.sector === null && c.code === code)
  );
}
