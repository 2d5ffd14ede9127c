// What each demo authentic source answers, computed from the synthetic people.
import { overlaps } from '../kernel/index.ts';
import type { SourceRequest } from '../network/index.ts';
import type { DemoInstitutionKey } from './network.ts';
import type { DemoPerson } from './people.ts';
import type { SourceHandler } from './source-server.ts';

const FUNDS = {
  cm: { code: '100', name: 'Christelijke Mutualiteit' },
  solidaris: { code: '300', name: 'Solidaris' },
};

export function demoHandlers(
  people: readonly DemoPerson[],
): Partial<Record<DemoInstitutionKey, Record<string, SourceHandler>>> {
  const byInsz = new Map(people.map((p) => [p.insz, p]));
  const person = (r: SourceRequest) => byInsz.get(r.insz);
  const asked = (r: SourceRequest) => ({ start: r.period.start, end: r.period.end });

  const fund =
    (which: 'cm' | 'solidaris'): SourceHandler =>
    (r) => {
      const p = person(r);
      const membership = p?.healthFund.find((m) => m.fund === which && overlaps(m, asked(r)));
      if (!p || !membership) return undefined;
      return {
        fund: FUNDS[which],
        insurable: true,
        since: membership.start,
        until: membership.end,
        increasedReimbursement: p.increasedReimbursement,
      };
    };
  const ocmw =
    (region: DemoPerson['region']): SourceHandler =>
    (r) => {
      const p = person(r);
      if (!p?.leefloon || p.region !== region) return undefined;
      return {
        category: p.leefloon.category,
        monthlyAmountEur: p.leefloon.monthlyAmountEur,
        since: p.leefloon.since,
      };
    };

  return {
    nr: {
      'nr.identity': (r) => {
        const p = person(r);
        if (!p) return undefined;
        const {
          lastName,
          firstNames,
          birthDate,
          sex,
          nationality,
          civilStatus,
          address,
          identityCardNumber,
        } = p;
        return {
          lastName,
          firstNames,
          birthDate,
          sex,
          nationality,
          civilStatus,
          address,
          identityCardNumber,
          deathDate: null,
        };
      },
    },
    rsz: {
      'rsz.employment': (r) => {
        const p = person(r);
        return p ? { employments: p.employments.filter((e) => overlaps(e, asked(r))) } : undefined;
      },
    },
    rva: {
      'rva.unemployment': (r) => {
        const p = person(r);
        if (!p) return undefined;
        const u = p.unemployment;
        return u
          ? {
              status: 'controlled-unemployed',
              since: u.since,
              dailyAmountEur: u.dailyAmountEur,
              category: u.category,
            }
          : { status: 'none', since: null, dailyAmountEur: 0, category: 'none' };
      },
    },
    sfpd: {
      'pension.benefit': (r) => {
        const pension = person(r)?.pension;
        return pension ? { ...pension } : undefined;
      },
    },
    cm: { 'health.insurability': fund('cm') },
    solidaris: { 'health.insurability': fund('solidaris') },
    ocmwGent: { 'ocmw.social-integration': ocmw('gent') },
    cpasLiege: { 'ocmw.social-integration': ocmw('liege') },
  };
}

/** The registrations each institution holds in the demo: [institution, capacity, start, end]. */
export function demoRegistrations(p: DemoPerson): [DemoInstitutionKey, number, string, string | null][] {
  const rows: [DemoInstitutionKey, number, string, string | null][] = [];
  for (const m of p.healthFund) rows.push([m.fund, 1, m.start, m.end]);
  const ocmw = p.region === 'gent' ? 'ocmwGent' : 'cpasLiege';
  if (p.leefloon) rows.push([ocmw, 2, p.leefloon.since, null]);
  if (p.underExamination) rows.push([ocmw, 1, '2025-11-01', null]);
  if (p.unemployment) rows.push(['rva', 1, p.unemployment.since, null]);
  if (p.pension) rows.push(['sfpd', 100, p.pension.since, null]);
  return rows;
}
