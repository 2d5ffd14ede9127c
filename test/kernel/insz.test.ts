// INSZ / NISS and BIS numbers (domain.md §4): the documented test vectors, then properties over
// numbers built with makeInsz — every valid number parses back, every single-digit typo is caught.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatInsz, makeInsz, parseInsz } from '../../src/kernel/index.ts';
import type { Insz, InszParts } from '../../src/kernel/index.ts';

type Want = Partial<Omit<Insz, 'value'>>;

const VALID: { input: string; want: Want }[] = [
  {
    input: '85073003328',
    want: { kind: 'nrn', birthYear: 1985, birthDate: '1985-07-30', sex: 'M' },
  },
  // Born in 2017: the check digits only match with the 2000000000 prefix.
  { input: '17073003384', want: { kind: 'nrn', birthYear: 2017, birthDate: '2017-07-30', sex: 'M' } },
  { input: '98472899765', want: { kind: 'bis', birthYear: 1998, birthDate: '1998-07-28', sex: 'M' } },
  { input: '01490700185', want: { kind: 'bis', birthYear: 2001, birthDate: '2001-09-07', sex: 'M' } },
  { input: '85.07.30-033.28', want: { kind: 'nrn', birthDate: '1985-07-30' } },
  { input: ' 85 07 30 033 28 ', want: { kind: 'nrn', birthDate: '1985-07-30' } },
  // Unknown month and day (00): a birth year but no birth date.
  {
    input: makeInsz({ year: 1960, month: 0, day: 0, sequence: 2 }),
    want: { kind: 'nrn', birthYear: 1960, birthMonth: undefined, birthDay: undefined, birthDate: undefined },
  },
  {
    input: makeInsz({ year: 1960, month: 5, day: 0, sequence: 2 }),
    want: { birthYear: 1960, birthMonth: 5, birthDay: undefined, birthDate: undefined, sex: 'F' },
  },
  // BIS, month + 20: the sex is unknown, whatever the sequence says.
  {
    input: makeInsz({ year: 1975, month: 3, day: 14, sequence: 7, bis: 'sex-unknown' }),
    want: { kind: 'bis', birthDate: '1975-03-14', sex: undefined },
  },
  {
    input: makeInsz({ year: 2004, month: 2, day: 29, sequence: 10, bis: 'sex-known' }),
    want: { kind: 'bis', birthDate: '2004-02-29', sex: 'F' },
  },
];

const INVALID: { input: string; want: string }[] = [
  { input: '12345678901', want: 'INSZ_CHECKSUM' },
  { input: '85073003329', want: 'INSZ_CHECKSUM' },
  { input: '85133000105', want: 'INSZ_MONTH' },
  { input: makeInsz({ year: 1985, month: 13, day: 1, sequence: 1 }), want: 'INSZ_MONTH' },
  { input: makeInsz({ year: 1985, month: 13, day: 1, sequence: 1, bis: 'sex-unknown' }), want: 'INSZ_MONTH' },
  { input: makeInsz({ year: 1985, month: 13, day: 1, sequence: 1, bis: 'sex-known' }), want: 'INSZ_MONTH' },
  { input: '', want: 'INSZ_FORMAT' },
  { input: '8507300332', want: 'INSZ_FORMAT' },
  { input: '850730033280', want: 'INSZ_FORMAT' },
  { input: '8507300332A', want: 'INSZ_FORMAT' },
  { input: '85/07/30-033.28', want: 'INSZ_FORMAT' },
  { input: '８５０７３００３３２８', want: 'INSZ_FORMAT' }, // full-width digits are not digits here
  { input: makeInsz({ year: 1985, month: 2, day: 30, sequence: 33 }), want: 'INSZ_DAY' },
  { input: makeInsz({ year: 1985, month: 2, day: 29, sequence: 33 }), want: 'INSZ_DAY' },
  { input: makeInsz({ year: 1900, month: 2, day: 29, sequence: 33 }), want: 'INSZ_DAY' },
  { input: makeInsz({ year: 1985, month: 4, day: 31, sequence: 33 }), want: 'INSZ_DAY' },
  { input: makeInsz({ year: 1985, month: 0, day: 32, sequence: 33 }), want: 'INSZ_DAY' },
  { input: makeInsz({ year: 1985, month: 7, day: 30, sequence: 0 }), want: 'INSZ_SEQUENCE' },
  { input: makeInsz({ year: 1985, month: 7, day: 30, sequence: 999 }), want: 'INSZ_SEQUENCE' },
];

for (const { input, want } of VALID) {
  test(`parseInsz accepts ${JSON.stringify(input)}`, () => {
    const result = parseInsz(input);
    assert.ok(result.ok, JSON.stringify(result));
    for (const [key, value] of Object.entries(want)) {
      assert.equal(result.insz[key as keyof Insz], value, key);
    }
  });
}

for (const { input, want } of INVALID) {
  test(`parseInsz rejects ${JSON.stringify(input)} with ${want}`, () => {
    const result = parseInsz(input);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.code, want);
  });
}

test('formatInsz shows YY.MM.DD-SSS.CC, and the formatted form parses back to the same value', () => {
  assert.equal(formatInsz('85073003328'), '85.07.30-033.28');
  fc.assert(
    fc.property(validParts(), (parts) => {
      const value = makeInsz(parts);
      const again = parseInsz(formatInsz(value));
      assert.ok(again.ok);
      assert.equal(again.insz.value, value);
    }),
  );
});

// ---- Properties ----

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function validParts(): fc.Arbitrary<InszParts> {
  return fc
    .record({
      year: fc.integer({ min: 1900, max: 2099 }),
      month: fc.integer({ min: 0, max: 12 }),
      sequence: fc.integer({ min: 1, max: 998 }),
      bis: fc.constantFrom(undefined, 'sex-known' as const, 'sex-unknown' as const),
    })
    .chain((p) =>
      fc
        .integer({ min: 0, max: p.month === 0 ? 31 : daysInMonth(p.year, p.month) })
        .map((day) => ({ ...p, day })),
    );
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

test('every number built from valid parts parses with the same birth date, sex and kind', () => {
  fc.assert(
    fc.property(validParts(), (parts) => {
      const result = parseInsz(makeInsz(parts));
      assert.ok(result.ok, JSON.stringify({ parts, result }));
      const { insz } = result;
      assert.equal(insz.kind, parts.bis ? 'bis' : 'nrn');
      assert.equal(insz.birthYear, parts.year);
      assert.equal(insz.birthMonth, parts.month || undefined);
      assert.equal(insz.birthDay, parts.day || undefined);
      const known = parts.month > 0 && parts.day > 0;
      assert.equal(
        insz.birthDate,
        known ? `${parts.year}-${pad2(parts.month)}-${pad2(parts.day)}` : undefined,
      );
      const sex = parts.sequence % 2 === 1 ? 'M' : 'F';
      assert.equal(insz.sex, parts.bis === 'sex-unknown' ? undefined : sex);
    }),
  );
});

/** Every number that differs from `value` in exactly one digit (99 of them). */
function singleDigitChanges(value: string): { position: number; delta: number; changed: string }[] {
  const out = [];
  for (let position = 0; position < value.length; position++) {
    const digit = Number(value[position]);
    for (let d = 0; d <= 9; d++) {
      if (d === digit) continue;
      const changed = value.slice(0, position) + String(d) + value.slice(position + 1);
      out.push({ position, delta: d - digit, changed });
    }
  }
  return out;
}

// src/kernel/insz.ts, "Note on ambiguity": 2000000000 mod 97 = 68 and 10^7 mod 97 = 76, so moving the
// second year digit by ∓6 shifts the first nine digits by exactly what the 2000+ prefix shifts the
// checksum: a valid 19xx number becomes a valid 20xx number (−6) and back (+6). No other position
// and no other change can do that (76·δ ≡ ±68 mod 97 only for δ = ±6); the test checks all 99.
function isCenturyFlip(position: number, delta: number, birthYear: number): boolean {
  return position === 1 && (birthYear < 2000 ? delta === -6 : delta === 6);
}

test('every single-digit change is rejected, except the century flip, which names another birth year', () => {
  fc.assert(
    fc.property(validParts(), (parts) => {
      const original = parseInsz(makeInsz(parts));
      assert.ok(original.ok);
      for (const { position, delta, changed } of singleDigitChanges(original.insz.value)) {
        const result = parseInsz(changed);
        const flip = isCenturyFlip(position, delta, original.insz.birthYear);
        if (!flip) {
          assert.equal(result.ok, false, `${original.insz.value} → ${changed} was accepted`);
          continue;
        }
        if (result.ok) {
          // 19yy → 20(yy−6) is 94 years later; 20yy → 19(yy+6) is 94 years earlier.
          const year: number = original.insz.birthYear;
          assert.equal(result.insz.birthYear, year < 2000 ? year + 94 : year - 94);
        } else {
          // Only a 29 February that does not exist in the other century's year can stop the flip.
          assert.equal(result.code, 'INSZ_DAY', `${changed}: ${result.code}`);
          assert.deepEqual([parts.month, parts.day], [2, 29]);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('the century flip is real: 26073003350 (1926) and 20073003350 (2020) are both valid', () => {
  const [a, b] = [parseInsz('26073003350'), parseInsz('20073003350')];
  assert.ok(a.ok && b.ok);
  assert.deepEqual([a.insz.birthYear, b.insz.birthYear], [1926, 2020]);
});
