// Routing (domain.md §3): a service's provider rule names a fixed authentic source, or "the
// institution(s) where the person is registered in sector S" for the period asked.
import { overlaps, type Period } from '../kernel/index.ts';
import type { Institution, ProviderRule } from '../network/index.ts';

export interface SectorRegistration {
  readonly institutionId: string;
  readonly subsector: number;
  readonly capacity: number;
  readonly start: string;
  readonly end: string | null;
}

/** Institution ids that provide the data, in a stable order (earliest registration first). */
export function providerIds(
  rule: Extract<ProviderRule, { kind: 'registration' }>,
  registrations: readonly SectorRegistration[],
  period: Period,
): string[] {
  const ids: string[] = [];
  const sorted = [...registrations].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (const r of sorted) {
    if (rule.subsector !== undefined && r.subsector !== rule.subsector) continue;
    if (rule.capacities && !rule.capacities.includes(r.capacity)) continue;
    if (!overlaps({ start: r.start, end: r.end }, period)) continue;
    if (!ids.includes(r.institutionId)) ids.push(r.institutionId);
  }
  return ids;
}

export function describeProvider(i: Institution): { kbo: string; name: string } {
  return { kbo: i.kbo, name: i.nameNl };
}
