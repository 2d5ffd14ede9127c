// Dates, half-open periods [start, end) and canonical JSON (RFC 8785 subset). Tables first, then
// properties checked against a brute-force oracle that lists the days of each period.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  addDays,
  canonicalJson,
  containsDate,
  covers,
  coveringChain,
  dateInBelgium,
  dayPeriod,
  isIsoDate,
  isValidPeriod,
  overlaps,
} from '../../src/kernel/index.ts';
import type { Period } from '../../src/kernel/index.ts';

const p = (start: string, end: string | null = null): Period => ({ start, end });

function table<I, W>(name: string, f: (input: I) => W, rows: readonly { input: I; want: W }[]): void {
  for (const { input, want } of rows) {
    test(`${name}(${JSON.stringify(input)}) → ${JSON.stringify(want)}`, () => {
      assert.deepEqual(f(input), want);
    });
  }
}

// ---- Tables ----

table('isIsoDate', isIsoDate, [
  { input: '2026-07-01', want: true },
  { input: '2024-02-29', want: true },
  { input: '2000-02-29', want: true },
  { input: '2023-02-29', want: false },
  { input: '1900-02-29', want: false },
  { input: '2026-04-31', want: false },
  { input: '2026-13-01', want: false },
  { input: '2026-00-10', want: false },
  { input: '2026-01-00', want: false },
  { input: '2026-1-01', want: false },
  { input: '2026-07-01T00:00:00Z', want: false },
  { input: '1799-12-31', want: false },
  { input: '', want: false },
]);

table('addDays', ([date, n]: [string, number]) => addDays(date, n), [
  { input: ['2026-07-01', 0], want: '2026-07-01' },
  { input: ['2026-07-01', 1], want: '2026-07-02' },
  { input: ['2026-12-31', 1], want: '2027-01-01' },
  { input: ['2024-02-28', 1], want: '2024-02-29' },
  { input: ['2026-03-01', -1], want: '2026-02-28' },
  { input: ['2026-03-28', 2], want: '2026-03-30' }, // across the Belgian switch to summer time
]);

table('dayPeriod', dayPeriod, [
  { input: '2026-07-01', want: p('2026-07-01', '2026-07-02') },
  { input: '2026-12-31', want: p('2026-12-31', '2027-01-01') },
]);

table('isValidPeriod', isValidPeriod, [
  { input: p('2026-01-01'), want: true },
  { input: p('2026-01-01', '2026-01-02'), want: true },
  { input: p('2026-01-01', '2026-01-01'), want: false },
  { input: p('2026-01-02', '2026-01-01'), want: false },
]);

table('overlaps', ([a, b]: [Period, Period]) => overlaps(a, b), [
  { input: [p('2026-01-01', '2026-02-01'), p('2026-01-15', '2026-03-01')], want: true },
  { input: [p('2026-01-01', '2026-02-01'), p('2026-02-01', '2026-03-01')], want: false }, // adjacent
  { input: [p('2026-01-01', '2026-02-01'), p('2026-01-31', '2026-02-01')], want: true }, // last day
  { input: [p('2026-01-01'), p('2030-01-01')], want: true },
  { input: [p('2026-01-01'), p('2025-01-01', '2026-01-01')], want: false },
  { input: [p('2026-01-01'), p('2025-01-01')], want: true },
  { input: [p('2026-01-10', '2026-01-10'), p('2026-01-01', '2026-02-01')], want: false }, // empty
]);

table('covers', ([outer, inner]: [Period, Period]) => covers(outer, inner), [
  { input: [p('2026-01-01', '2026-02-01'), p('2026-01-01', '2026-02-01')], want: true },
  { input: [p('2026-01-01', '2026-02-01'), p('2026-01-10', '2026-01-20')], want: true },
  { input: [p('2026-01-01', '2026-02-01'), p('2025-12-31', '2026-01-20')], want: false },
  { input: [p('2026-01-01', '2026-02-01'), p('2026-01-10', '2026-02-02')], want: false },
  { input: [p('2026-01-01', '2026-02-01'), p('2026-01-10')], want: false },
  { input: [p('2026-01-01'), p('2026-01-10')], want: true },
  { input: [p('2026-01-01'), p('2026-01-10', '2027-01-01')], want: true },
]);

table('containsDate', ([period, date]: [Period, string]) => containsDate(period, date), [
  { input: [p('2026-01-01', '2026-02-01'), '2026-01-01'], want: true },
  { input: [p('2026-01-01', '2026-02-01'), '2026-01-31'], want: true },
  { input: [p('2026-01-01', '2026-02-01'), '2026-02-01'], want: false }, // end is exclusive
  { input: [p('2026-01-01', '2026-02-01'), '2025-12-31'], want: false },
  { input: [p('2026-01-01'), '2099-12-31'], want: true },
]);

const JAN = p('2026-01-01', '2026-02-01');
const FEB = p('2026-02-01', '2026-03-01');
const MID = p('2026-01-15', '2026-02-15');
const OPEN = p('2026-02-15');
table('coveringChain', ([periods, wanted]: [Period[], Period]) => coveringChain(periods, wanted), [
  { input: [[JAN], p('2026-01-05', '2026-01-10')], want: [JAN] },
  { input: [[FEB, JAN], p('2026-01-05', '2026-02-10')], want: [JAN, FEB] }, // back to back
  { input: [[JAN, MID, FEB], p('2026-01-05', '2026-02-20')], want: [JAN, FEB] }, // the smallest set
  { input: [[JAN, FEB], p('2026-01-05', '2026-03-02')], want: undefined }, // runs past the end
  { input: [[JAN, p('2026-02-02', '2026-03-01')], p('2026-01-05', '2026-02-10')], want: undefined }, // gap
  { input: [[JAN, FEB], p('2026-01-05')], want: undefined }, // open-ended request, closed periods
  { input: [[JAN, MID, OPEN], p('2026-01-05')], want: [JAN, MID, OPEN] },
  { input: [[], p('2026-01-05', '2026-01-06')], want: undefined },
]);

// ---- Canonical JSON and the Belgian day ----

table('canonicalJson', canonicalJson, [
  { input: { b: 1, a: 2 }, want: '{"a":2,"b":1}' },
  {
    input: { z: { y: [3, { d: null, c: true }], x: 'é"\n' } },
    want: '{"z":{"x":"é\\"\\n","y":[3,{"c":true,"d":null}]}}',
  },
  { input: { a: undefined, b: -0 }, want: '{"b":0}' },
  { input: { '\u00e9': 1, z: 2, Z: 3, '10': 4, '9': 5 }, want: '{"10":4,"9":5,"Z":3,"z":2,"é":1}' },
  // RFC 8785 §3.2.3 sorts by UTF-16 code units: U+1F600 (D83D DE00) sorts before U+FB33.
  { input: { '\ufb33': 1, '\u{1f600}': 2 }, want: '{"\u{1f600}":2,"\ufb33":1}' },
  { input: [], want: '[]' },
]);

test('canonicalJson rejects what it cannot write exactly', () => {
  const bad = [1.5, NaN, Infinity, 2 ** 53, { a: 0.1 }, [1n], () => 1, undefined];
  for (const [i, value] of bad.entries()) {
    assert.throws(() => canonicalJson(value), TypeError, `bad[${i}]`);
  }
});

table('dateInBelgium', (iso: string) => dateInBelgium(new Date(iso)), [
  { input: '2026-06-30T21:59:59Z', want: '2026-06-30' }, // 23:59:59 in Brussels (CEST, UTC+2)
  { input: '2026-06-30T22:00:00Z', want: '2026-07-01' },
  { input: '2026-06-30T22:30:00Z', want: '2026-07-01' },
  { input: '2026-12-31T22:59:59Z', want: '2026-12-31' }, // CET, UTC+1
  { input: '2026-12-31T23:00:00Z', want: '2027-01-01' },
]);

// ---- Properties against a day-by-day oracle over 2026-01-01 .. 2026-01-31 ----

const DAY0 = '2026-01-01';
const HORIZON = 30; // finite ends stay ≤ day 24, so days 25..29 are reached only by open periods
const day = (i: number): string => addDays(DAY0, i);

/** Any period (possibly empty or open) over the small range. */
const anyPeriod = fc
  .record({ s: fc.integer({ min: 0, max: 20 }), len: fc.option(fc.integer({ min: 0, max: 4 })) })
  .map(({ s, len }) => p(day(s), len === null ? null : day(s + len)));
const nonEmptyPeriod = anyPeriod.filter(isValidPeriod);

function daysOf(period: Period): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < HORIZON; i++) if (containsDateOracle(period, day(i))) out.add(day(i));
  return out;
}
function containsDateOracle(period: Period, date: string): boolean {
  return period.start <= date && (period.end == null || date < period.end);
}
const isSubset = (a: Set<string>, b: Set<string>): boolean => [...a].every((d) => b.has(d));
const union = (ps: readonly Period[]): Set<string> => new Set(ps.flatMap((x) => [...daysOf(x)]));

test('overlaps is symmetric and true exactly when the periods share a day (empty periods share none)', () => {
  fc.assert(
    fc.property(anyPeriod, anyPeriod, (a, b) => {
      assert.equal(overlaps(a, b), overlaps(b, a));
      const shared = [...daysOf(a)].some((d) => daysOf(b).has(d));
      assert.equal(overlaps(a, b), shared);
    }),
  );
});

test('covers(a, b) is true exactly when every day of a non-empty b is in a, and then they overlap', () => {
  fc.assert(
    fc.property(anyPeriod, nonEmptyPeriod, (a, b) => {
      assert.equal(covers(a, b), isSubset(daysOf(b), daysOf(a)));
      if (covers(a, b)) assert.ok(overlaps(a, b));
    }),
  );
});

test('coveringChain is defined exactly when the union covers every day, and is then a smallest gapless cover', () => {
  fc.assert(
    fc.property(fc.array(anyPeriod, { maxLength: 6 }), nonEmptyPeriod, (periods, wanted) => {
      const chain = coveringChain(periods, wanted);
      const coverable = isSubset(daysOf(wanted), union(periods));
      assert.equal(chain !== undefined, coverable);
      if (!chain) return;
      assert.ok(chain.every((c) => periods.includes(c)));
      assert.ok(isSubset(daysOf(wanted), union(chain)));
      // No smaller subset covers it (brute force over at most 2^6 subsets).
      for (let mask = 0; mask < 1 << periods.length; mask++) {
        const subset = periods.filter((_, i) => mask & (1 << i));
        if (subset.length < chain.length) assert.ok(!isSubset(daysOf(wanted), union(subset)));
      }
    }),
  );
});
