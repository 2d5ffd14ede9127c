// Half-open periods [start, end) over calendar days; an absent end means open-ended.
// (architecture.md §4: "periods are half-open [start, end), an absent end means open".)

import { addDays, type IsoDate } from './dates.ts';

export interface Period {
  readonly start: IsoDate;
  readonly end?: IsoDate | null;
}

/** The one-day period [date, date + 1). */
export function dayPeriod(date: IsoDate): Period {
  return { start: date, end: addDays(date, 1) };
}

export function isValidPeriod(p: Period): boolean {
  return p.end == null || p.end > p.start;
}

/** True when the periods share a day. An empty period [d, d) (an annulled registration) shares none. */
export function overlaps(a: Period, b: Period): boolean {
  if (!isValidPeriod(a) || !isValidPeriod(b)) return false;
  return (a.end == null || b.start < a.end) && (b.end == null || a.start < b.end);
}

/** True when `outer` contains every day of `inner`. */
export function covers(outer: Period, inner: Period): boolean {
  if (inner.start < outer.start) return false;
  if (outer.end == null) return true;
  return inner.end != null && inner.end <= outer.end;
}

export function containsDate(p: Period, date: IsoDate): boolean {
  return p.start <= date && (p.end == null || date < p.end);
}

/**
 * The smallest set of `periods` (in order of start) whose union covers `wanted`, or undefined
 * when the union leaves a gap. Lets a request span two back-to-back registrations.
 */
export function coveringChain<T extends Period>(periods: readonly T[], wanted: Period): T[] | undefined {
  const sorted = [...periods].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const chain: T[] = [];
  let reached: IsoDate = wanted.start; // every day before `reached` is covered
  for (;;) {
    let best: T | undefined;
    for (const p of sorted) {
      if (p.start > reached) break;
      if (p.end != null && p.end <= reached) continue;
      if (!best || endsLater(p, best)) best = p;
    }
    if (!best) return undefined;
    chain.push(best);
    if (best.end == null || (wanted.end != null && best.end >= wanted.end)) return chain;
    reached = best.end;
  }
}

function endsLater(a: Period, b: Period): boolean {
  if (b.end == null) return false;
  return a.end == null || a.end > b.end;
}
