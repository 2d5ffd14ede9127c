// KBO / BCE enterprise numbers (domain.md §4): 10 digits starting with 0 or 1, 97 − (first 8 mod 97).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatKbo, kboCheckDigits, makeKbo, parseKbo } from '../../src/kernel/index.ts';
import type { KboResult } from '../../src/kernel/index.ts';

const CASES: { input: string; want: KboResult['ok'] | string }[] = [
  { input: '0403019261', want: true },
  { input: '0428759497', want: true },
  { input: '0403.019.261', want: true },
  { input: ' 0403 019 261 ', want: true },
  { input: makeKbo(10_000_000), want: true }, // newer numbers start with 1
  { input: '0123456789', want: 'KBO_CHECKSUM' },
  { input: '0403019262', want: 'KBO_CHECKSUM' },
  { input: '2403019261', want: 'KBO_PREFIX' },
  { input: '9999999999', want: 'KBO_PREFIX' },
  { input: '', want: 'KBO_FORMAT' },
  { input: '403019261', want: 'KBO_FORMAT' }, // leading 0 dropped
  { input: '04030192610', want: 'KBO_FORMAT' },
  { input: '0403O19261', want: 'KBO_FORMAT' }, // letter O
  { input: 'BE0403019261', want: 'KBO_FORMAT' }, // the VAT form is not an enterprise number
  { input: '0403-019-261', want: 'KBO_FORMAT' }, // only dots and spaces are separators
];

for (const { input, want } of CASES) {
  test(`parseKbo(${JSON.stringify(input)}) → ${String(want)}`, () => {
    const result = parseKbo(input);
    if (want === true) {
      assert.deepEqual(result, { ok: true, kbo: input.replace(/[\s.]/g, '') });
    } else {
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.code, want);
    }
  });
}

test('kboCheckDigits and formatKbo', () => {
  assert.equal(kboCheckDigits(4030192), 61);
  assert.equal(kboCheckDigits(97), 97); // a multiple of 97 gets 97, never 00
  assert.equal(formatKbo('0403019261'), '0403.019.261');
});

const firstEight = fc.integer({ min: 0, max: 19_999_999 });

test('makeKbo(n) is always valid, formatted or not', () => {
  fc.assert(
    fc.property(firstEight, (n) => {
      const kbo = makeKbo(n);
      assert.match(kbo, /^[01]\d{9}$/);
      assert.deepEqual(parseKbo(kbo), { ok: true, kbo });
      assert.deepEqual(parseKbo(formatKbo(kbo)), { ok: true, kbo });
    }),
  );
});

test('every single-digit change of a valid number is rejected (checksum, or prefix when the first digit moves past 1)', () => {
  fc.assert(
    fc.property(firstEight, (n) => {
      const kbo = makeKbo(n);
      for (let position = 0; position < 10; position++) {
        for (let d = 0; d <= 9; d++) {
          if (String(d) === kbo[position]) continue;
          const changed = kbo.slice(0, position) + String(d) + kbo.slice(position + 1);
          const result = parseKbo(changed);
          const want = position === 0 && d >= 2 ? 'KBO_PREFIX' : 'KBO_CHECKSUM';
          assert.equal(!result.ok && result.code, want, `${kbo} → ${changed}`);
        }
      }
    }),
  );
});
